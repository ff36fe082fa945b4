from __future__ import annotations

import pytest

from tests.factories import create_link, create_subject, create_violation
from tests.screening.helpers import SCREENINGS, audit_entries, counting

TAX = "0100109106"
PHONE = "0912 345 678"
BANK = "VCB:0011001234567"


@pytest.fixture
def registry_data(client, actors):
    """A state-visible seller with a tax code, phone and bank account and two cases; a police-only seller."""
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms, tax_code=TAX)
    phone = create_link(client, dms, seller["id"], "phone", PHONE)
    bank = create_link(client, dms, seller["id"], "bank_account", BANK)
    create_violation(client, dms, [seller["id"]], categories=["COUNTERFEIT", "TAX_EVASION"])
    create_violation(client, dms, [seller["id"]], [phone["identifier_id"]], categories=["COUNTERFEIT"])
    police = actors.headers("MPS-C03")
    hidden = create_subject(client, police, name="Đối tượng đang điều tra", visibility="owner")
    create_link(client, police, hidden["id"], "domain", "dieu-tra.vn", visibility="owner")
    return {"seller": seller, "phone": phone, "bank": bank, "hidden": hidden}


ITEMS = [
    {"kind": "tax_code", "value": "0100-109-106"},
    {"value": "+84 912 345 678"},
    {"kind": "tax_code", "value": "0100109107"},
    {"kind": "domain", "value": "unknown-seller.vn"},
    {"kind": "bank_account", "value": "970436:0011 0012 34567"},
    {"kind": "domain", "value": "Dieu-Tra.VN."},
    {"value": "not an identifier at all"},
]


def screen(client, headers, items, **query):
    return client.post(SCREENINGS, json={"items": items}, headers=headers, query_string=query)


def test_mixed_list_answers_each_input_in_order(client, actors, registry_data):
    response = screen(client, actors.headers("MOF-CUSTOMS"), ITEMS)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["total"] == 7 and body["matches"] == 4 and len(body["list_sha256"]) == 64
    results = body["results"]
    assert [r["input_index"] for r in results] == list(range(7))
    assert [r["status"] for r in results] == [
        "match", "match", "invalid", "no_match", "match", "match", "invalid",
    ]  # fmt: skip
    seller = registry_data["seller"]["id"]
    tax, phone, bad_tax, unknown, bank, hidden, junk = results
    assert tax["kind"] == "tax_code" and tax["canonical"] == TAX and tax["subjects"] == [seller]
    assert tax["violations_by_category"] == {"COUNTERFEIT": 2, "TAX_EVASION": 1}
    assert tax["open_orders"]["block_requests"] == 0
    assert phone["kind"] == "phone" and phone["canonical"] == "+84912345678"  # guessed
    assert phone["subjects"] == [seller]
    assert "check digit" in bad_tax["reason"] and bad_tax["kind"] == "tax_code"
    assert unknown == {"input_index": 3, "status": "no_match", "kind": "domain",
                       "canonical": "unknown-seller.vn", "sensitive": False}  # fmt: skip
    assert bank["subjects"] == [seller] and "canonical" not in bank and bank["sensitive"] is True
    # Customs is a state agency: identifiers are shared facts to it, but the police-only subject is not.
    assert hidden["subjects"] == [] and hidden["violations_by_category"] == {}
    assert junk["kind"] is None and junk["reason"]


def test_hidden_identifier_is_no_match_for_an_association(client, actors, registry_data):
    items = [{"kind": "domain", "value": "dieu-tra.vn"}, {"kind": "tax_code", "value": TAX}]
    results = screen(client, actors.headers("VECOM"), items).json["results"]
    assert [r["status"] for r in results] == ["no_match", "no_match"]
    assert "subjects" not in results[0]


def test_sensitive_values_revealed_only_with_scope(client, actors, registry_data, screening_dumps_agree):
    items = [{"kind": "bank_account", "value": BANK}, {"kind": "personal_id", "value": "001190012345"}]
    plain = screen(client, actors.headers("MOF-CUSTOMS", scopes=["registry:read"]), items)
    assert all("canonical" not in r for r in plain.json["results"])
    assert plain.json["results"][0]["status"] == "match" and "subjects" not in plain.json["results"][0]
    assert b"0011001234567" not in plain.data and b"001190012345" not in plain.data
    refused = screen(client, actors.headers("MOF-CUSTOMS", scopes=["registry:read"]), items, sensitive="true")
    assert refused.status_code == 403
    revealed = screen(client, actors.headers("MOF-CUSTOMS"), items, sensitive="true")
    assert [r["canonical"] for r in revealed.json["results"]] == ["970436:0011001234567", "001190012345"]
    assert len(screening_dumps_agree) == 2  # both answers also dumped by ScreeningRead, and equal


def test_screening_needs_a_purpose(client, actors):
    response = screen(client, actors.headers("MOF-CUSTOMS", purpose=None), [{"value": TAX}])
    assert response.status_code == 422


def test_one_audit_entry_per_screening_with_list_hash_and_matches(client, actors, db, registry_data):
    before = len(audit_entries(db, "screening:run"))
    body = screen(client, actors.headers("MOF-CUSTOMS"), ITEMS).json
    entries = audit_entries(db, "screening:run")
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry["detail"] == {"items": 7, "matches": 4, "list_sha256": body["list_sha256"]}
    assert entry["change_hash"] == body["list_sha256"]
    assert "0100109106" not in str(entry) and "912345678" not in str(entry)
    # The same list spelled differently is the same canonical list.
    respelled = [dict(item) for item in ITEMS]
    respelled[0] = {"kind": "tax_code", "value": "0100.109.106"}
    assert screen(client, actors.headers("MOF-CUSTOMS"), respelled).json["list_sha256"] == body["list_sha256"]


def _items(n: int) -> list[dict]:
    kinds = [
        lambda i: {"kind": "tax_code", "value": TAX if i == 0 else "0100109107"},
        lambda i: {"kind": "phone", "value": f"09{i:08d}"},
        lambda i: {"kind": "bank_account", "value": f"VCB:{10**9 + i}"},
        lambda i: {"kind": "domain", "value": f"shop{i}.vn"},
        lambda i: {"value": f"+84 91{i:07d}"},
    ]
    return [kinds[i % len(kinds)](i) for i in range(n)]


def test_query_count_does_not_grow_with_the_list(client, actors, engine, registry_data):
    headers = actors.headers("MOF-CUSTOMS")
    assert screen(client, headers, _items(10)).status_code == 200  # the token is verified once
    with counting(engine) as small:
        assert screen(client, headers, _items(100)).status_code == 200
    with counting(engine) as large:
        response = screen(client, headers, _items(1000))
    assert response.status_code == 200
    assert response.json["matches"] >= 1
    assert len(large) == len(small)
    assert len(small) <= 20


def test_longer_lists_become_a_job_for_the_submitting_agency(
    client, actors, db, registry_data, screening_dumps_agree
):
    items = [{"kind": "tax_code", "value": TAX}] + [
        {"kind": "domain", "value": f"s{i}.vn"} for i in range(10_000)
    ]
    headers = actors.headers("MOF-CUSTOMS")
    submitted = screen(client, headers, items)
    assert submitted.status_code == 202, submitted.json
    job = submitted.json
    assert submitted.headers["Location"] == job["url"] == f"{SCREENINGS}/{job['id']}"
    assert job["total"] == 10_001
    fetched = client.get(job["url"], headers=headers)  # run inline under testing
    assert fetched.status_code == 200
    body = fetched.json
    assert body["status"] == "done" and body["processed"] == 10_001 and body["matches"] == 1
    assert len(body["results"]) == 10_000 and body["results"][0]["status"] == "match"
    rest = client.get(job["url"], headers=headers, query_string={"page": 2}).json["results"]
    assert [r["input_index"] for r in rest] == [10_000]
    assert client.get(job["url"], headers=actors.headers("MOF-TAX")).status_code == 404
    fetch_audit = [e for e in audit_entries(db, "screening:read") if e["outcome"] == "allowed"][-1]
    assert (
        fetch_audit["detail"]["matches"] == 1 and fetch_audit["detail"]["list_sha256"] == body["list_sha256"]
    )
    assert audit_entries(db, "screening:run")[-1]["detail"] == {"items": 10_001, "job": True}
    assert len(screening_dumps_agree) == 2  # the two pages fetched, each also dumped by ScreeningRead


def test_empty_or_malformed_lists_are_422(client, actors):
    headers = actors.headers("MOF-CUSTOMS")
    assert screen(client, headers, []).status_code == 422
    assert screen(client, headers, [{"kind": "nonsense", "value": "x"}]).status_code == 422
    assert screen(client, headers, [{"kind": "phone"}]).status_code == 422


def test_a_job_whose_process_stopped_is_reported_failed_not_running_for_ever(client, actors, db):
    """A job that kept no list (as before jobs were resumable) cannot go on: failed, said at once."""
    from datetime import timedelta

    from registry.db import utcnow
    from registry.models import JobStatus, ScreeningJob

    headers = actors.headers("MOF-CUSTOMS")
    principal_agency = actors.agency("MOF-CUSTOMS")
    jobs = {}
    for name, silent_for in (("abandoned", timedelta(minutes=11)), ("busy", timedelta(minutes=2))):
        job = ScreeningJob(
            agency_id=principal_agency.id,
            client_id="a-client",
            status=JobStatus.RUNNING,
            total=20_000,
            processed=10_000,
            list_sha256="",
        )
        db.add(job)
        db.flush()
        job.updated_at = utcnow() - silent_for  # as the thread left it
        db.flush()
        jobs[name] = job.id
    abandoned = client.get(f"{SCREENINGS}/{jobs['abandoned']}", headers=headers)
    assert abandoned.status_code == 200, abandoned.json
    assert abandoned.json["status"] == "failed" and "submit the list again" in abandoned.json["error"]
    assert abandoned.json["finished_at"] is not None
    busy = client.get(f"{SCREENINGS}/{jobs['busy']}", headers=headers)
    assert busy.json["status"] == "running" and busy.json["error"] is None
    # The read showed it; it did not write it: the workflows' tick records the failure.
    from registry.services import screening

    db.expire_all()
    assert db.get(ScreeningJob, jobs["abandoned"]).status == JobStatus.RUNNING
    assert screening.tick(db, now=utcnow()) == {"screenings_failed": 1, "screenings_requeued": 0}
    db.expire_all()
    recorded = db.get(ScreeningJob, jobs["abandoned"])
    assert recorded.status == JobStatus.FAILED and recorded.error == abandoned.json["error"]
    assert db.get(ScreeningJob, jobs["busy"]).status == JobStatus.RUNNING


@pytest.mark.parametrize(
    "value",
    ["0100109107", "0100 109 107", "0100109106-000", "0100109106000", "0100109105-001"],
)
def test_a_mistyped_tax_code_without_a_kind_is_an_invalid_tax_code_not_a_phone(client, actors, value):
    response = screen(client, actors.headers("MOF-CUSTOMS"), [{"value": value}])
    assert response.status_code == 200, response.json
    (result,) = response.json["results"]
    assert result["status"] == "invalid" and result["kind"] == "tax_code", result
    assert result["reason"].startswith("invalid tax code: tax code ")


@pytest.mark.parametrize("value", ["0912345678", "0912 345 678", "0387.654.321"])
def test_a_valid_ten_digit_phone_without_a_kind_stays_a_phone(client, actors, value):
    response = screen(client, actors.headers("MOF-CUSTOMS"), [{"value": value}])
    assert response.status_code == 200, response.json
    (result,) = response.json["results"]
    assert result["status"] == "no_match" and result["kind"] == "phone", result


@pytest.mark.parametrize(
    "items",
    [
        [{"value": TAX}, {"kind": "phone", "value": PHONE}, {"value": "x" * 2048, "kind": "domain"}],
        [{"value": ""}],
        [{"value": "x" * 2049}],
        [{"kind": "nonsense", "value": TAX}],
        [{"kind": None, "value": TAX}],
        [{"kind": ["phone"], "value": TAX}],
        [{"value": 123}],
        [{"value": TAX, "note": "unknown field"}],
        [{"kind": "phone"}],
        [TAX],
        [],
    ],
)
def test_a_list_taken_as_it_is_loads_as_marshmallow_loads_it_item_by_item(items):
    """ScreeningItems takes a list of plain items without marshmallow's item-by-item load: the same
    answer, or the same errors, as List(Nested(ScreeningItem))."""
    from marshmallow import Schema, ValidationError, fields, validate

    from registry.schemas.screenings import MAX_JOB_ITEMS, ScreeningCreate, ScreeningItem

    class ItemByItem(Schema):
        items = fields.List(
            fields.Nested(ScreeningItem), required=True, validate=validate.Length(min=1, max=MAX_JOB_ITEMS)
        )

    def load(schema: Schema) -> object:
        try:
            return schema.load({"items": items})
        except ValidationError as exc:
            return exc.messages

    assert load(ScreeningCreate()) == load(ItemByItem())
