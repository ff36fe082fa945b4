"""The auditors' view of one seller: every access that reached it, found by `subject:<id>` and as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from registry.audit.search import ACCESS_COLUMNS
from tests.blocking.helpers import URL, Walker, body
from tests.factories import (
    create_link,
    create_subject,
    create_violation,
    make_decision,
    make_subject,
    make_violation,
)

AUDITOR = "AUDIT"
SEARCH = "/api/v1/audit/search"
PHONE = "0912 345 678"
BANK = "VCB:0011001234567"


@pytest.fixture
def seller(client, actors):
    """A state-visible seller with a phone and a bank account, a second seller sharing the phone, a case."""
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms, name="Công ty Mỹ phẩm Lan Chi", tax_code="0100109106")
    other = create_subject(client, dms, name="Hộ kinh doanh Bảo Ngọc")
    phone = create_link(client, dms, seller["id"], "phone", PHONE)
    create_link(client, dms, other["id"], "phone", PHONE)
    bank = create_link(client, dms, seller["id"], "bank_account", BANK)
    case = create_violation(client, dms, [seller["id"]], [phone["identifier_id"]])
    return {"seller": seller["id"], "other": other["id"], "phone": phone, "bank": bank, "case": case["id"]}


def accesses(client, actors, subject_id: str, **query) -> list[dict]:
    found = client.get(
        SEARCH,
        query_string={"resource": f"subject:{subject_id}", "per_page": 100, **query},
        headers=actors.headers(AUDITOR),
    )
    assert found.status_code == 200, found.json
    return found.json["items"]


def officer_headers(actors, officer: str, **kwargs):
    return actors.headers("MOF-CUSTOMS", officer=officer, **kwargs)


# Each kind of read a seller can be reached by: (name, request maker). Every one is made by its own
# officer, so the search can tell them apart.
def _get(path, **query):
    return lambda client, headers, s: client.get(
        path.format(**s), query_string={k: v.format(**s) for k, v in query.items()}, headers=headers
    )


def _screen(client, headers, s):
    return client.post("/api/v1/screenings", json={"items": [{"value": "0100-109-106"}]}, headers=headers)


READS = {
    "subject read": _get("/api/v1/subjects/{seller}"),
    "history": _get("/api/v1/subjects/{seller}/history"),
    "own graph": _get("/api/v1/subjects/{seller}/graph"),
    "graph of another subject": _get("/api/v1/subjects/{other}/graph"),
    "identifier graph": lambda client, headers, s: client.get(
        f"/api/v1/identifiers/{s['phone']['identifier_id']}/graph", headers=headers
    ),
    "name search": _get("/api/v1/subjects", q="Lan Chi"),
    "identifier search": _get("/api/v1/subjects", q="0912345678"),
    "lookup": _get("/api/v1/identifiers/lookup", kind="phone", value=PHONE),
    "screening match": _screen,
    "cases filtered on it": _get("/api/v1/violations", subject_id="{seller}"),
    "case read": _get("/api/v1/violations/{case}"),
    "links filtered on it": _get("/api/v1/links", subject_id="{seller}"),
    "link read": lambda client, headers, s: client.get(f"/api/v1/links/{s['phone']['id']}", headers=headers),
}


@pytest.mark.parametrize("kind", list(READS))
def test_each_kind_of_access_is_found_by_subject(client, actors, seller, kind):
    headers = officer_headers(actors, f"officer-{kind.replace(' ', '-')}")
    response = READS[kind](client, headers, seller)
    assert response.status_code == 200, response.json
    officer = f"officer-{kind.replace(' ', '-')}"
    found = [hit for hit in accesses(client, actors, seller["seller"]) if hit["officer"] == officer]
    assert len(found) == 1, (kind, found)
    assert found[0]["agency"] == "MOF-CUSTOMS" and found[0]["outcome"] == "allowed"


def test_a_list_filtered_on_a_subject_is_found_even_when_it_returned_nothing(client, actors, seller):
    dms = actors.headers("MOIT-DMS")
    quiet = create_subject(client, dms, name="Cửa hàng Không Vụ Việc")
    headers = officer_headers(actors, "officer-empty-list")
    listed = client.get("/api/v1/violations", query_string={"subject_id": quiet["id"]}, headers=headers)
    assert listed.status_code == 200 and listed.json["items"] == []
    found = [h for h in accesses(client, actors, quiet["id"]) if h["officer"] == "officer-empty-list"]
    assert [h["action"] for h in found] == ["violation:list"]


def test_reads_that_did_not_show_the_subject_are_not_found(client, actors, seller):
    headers = officer_headers(actors, "officer-elsewhere")
    client.get("/api/v1/subjects", query_string={"q": "Bảo Ngọc"}, headers=headers)  # the other seller
    client.get(f"/api/v1/subjects/{seller['other']}", headers=headers)
    # A bank account's holders are not shown without registry:read_sensitive: not an access to them.
    lookup = client.get(
        "/api/v1/identifiers/lookup",
        query_string={"kind": "bank_account", "value": BANK},
        headers=officer_headers(actors, "officer-elsewhere", scopes=["registry:read"]),
    )
    assert lookup.status_code == 200 and "subjects" not in lookup.json
    seen = accesses(client, actors, seller["seller"])
    assert [h for h in seen if h["officer"] == "officer-elsewhere"] == []
    actions = {h["action"] for h in accesses(client, actors, seller["other"])}
    assert actions >= {"subject:list", "subject:read"}


def test_a_hidden_subject_read_is_found_as_denied(client, actors):
    police = actors.headers("MPS-C03")
    hidden = create_subject(client, police, name="Đối tượng đang điều tra", visibility="owner")
    headers = officer_headers(actors, "officer-curious")
    assert client.get(f"/api/v1/subjects/{hidden['id']}", headers=headers).status_code == 404
    found = [h for h in accesses(client, actors, hidden["id"]) if h["officer"] == "officer-curious"]
    assert [(h["action"], h["outcome"]) for h in found] == [("subject:read", "denied")]


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(ACCESS_COLUMNS)
    return [dict(zip(ACCESS_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_an_auditor_exports_the_accesses_to_one_seller_as_csv(client, actors, seller):
    plain = officer_headers(actors, "an.nv", purpose="Hồ sơ 12/2026")
    sensitive = actors.headers("MOIT-DMS", officer="binh.tt", purpose="=HYPERLINK(1)")
    assert client.get(f"/api/v1/subjects/{seller['seller']}/history", headers=plain).status_code == 200
    revealed = client.get(
        "/api/v1/identifiers/lookup",
        query_string={"kind": "bank_account", "value": BANK, "sensitive": "true"},
        headers=sensitive,
    )
    assert revealed.status_code == 200 and revealed.json["subjects"] == [seller["seller"]]
    client.get(f"/api/v1/subjects/{seller['other']}", headers=plain)  # another seller: not exported

    response = client.get(
        f"/api/v1/audit/subjects/{seller['seller']}/accesses", headers=actors.headers(AUDITOR)
    )
    rows = _csv(response)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    # Its creation and links by MOIT-DMS come first; then the two reads above, in order.
    reads = [r for r in rows if r["officer"] in ("an.nv", "binh.tt")]
    history, lookup = reads
    assert history["agency"] == "MOF-CUSTOMS" and history["purpose"] == "Hồ sơ 12/2026"
    assert (history["method"], history["path"]) == ("GET", f"/api/v1/subjects/{seller['seller']}/history")
    assert (history["action"], history["resource_type"], history["resource_id"]) == (
        "subject:history", "subject", seller["seller"],
    )  # fmt: skip
    assert history["sensitive"] == "no" and history["outcome"] == "allowed"
    assert history["status_code"] == "200"
    assert history["client_id"] and history["occurred_at"].endswith("Z") and history["request_id"]
    assert lookup["agency"] == "MOIT-DMS" and lookup["sensitive"] == "yes"
    assert (lookup["method"], lookup["path"]) == ("GET", "/api/v1/identifiers/lookup")  # no query string
    assert lookup["resource_type"] == "identifier"
    assert lookup["resource_id"] == seller["bank"]["identifier_id"]
    assert lookup["purpose"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert BANK.split(":")[1] not in response.get_data(as_text=True)
    assert {r["resource_id"] for r in rows} >= {seller["seller"]}
    assert all(r["resource_id"] != seller["other"] for r in rows)


def test_the_export_is_itself_audited_and_needs_audit_read_and_a_purpose(client, actors, seller):
    path = f"/api/v1/audit/subjects/{seller['seller']}/accesses"
    assert client.get(path, headers=actors.headers("MOIT-DMS", scopes=["registry:read"])).status_code == 403
    assert client.get(path, headers=actors.headers(AUDITOR, purpose=None)).status_code == 422
    assert client.get(path, headers=actors.headers(AUDITOR, officer="kiem.tra")).status_code == 200
    exports = client.get(
        SEARCH, query_string={"action": "audit:subject_accesses"}, headers=actors.headers(AUDITOR)
    ).json["items"]
    assert [(e["officer"], e["resource_id"], e["outcome"]) for e in exports][-1] == (
        "kiem.tra", seller["seller"], "allowed",
    )  # fmt: skip
    # The export reads the log, not the seller: it is not one of the seller's accesses.
    assert all(h["action"] != "audit:subject_accesses" for h in accesses(client, actors, seller["seller"]))


def test_a_history_is_recorded_as_a_read_of_its_subject_alone(client, actors, seller, history_paths_agree):
    """Both history paths (one statement on PostgreSQL, the Read schemas elsewhere) audit alike: the
    subject whose history it is, not the co-subjects its cases name."""
    dms = actors.headers("MOIT-DMS")
    create_violation(client, dms, [seller["seller"], seller["other"]])
    for scopes, officer in ((["registry:read"], "officer-one-statement"), (None, "officer-orm-path")):
        headers = officer_headers(actors, officer, scopes=scopes)
        answer = client.get(f"/api/v1/subjects/{seller['seller']}/history", headers=headers)
        assert answer.status_code == 200
        assert any(seller["other"] in v["subjects"] for v in answer.json["violations"])
        mine = [h for h in accesses(client, actors, seller["seller"]) if h["officer"] == officer]
        assert [h["action"] for h in mine] == ["subject:history"]
        assert [h for h in accesses(client, actors, seller["other"]) if h["officer"] == officer] == []


def test_a_block_request_naming_the_seller_is_an_access_to_it(client, actors, db):
    seller = make_subject(db, owner="MOIT-DMS")
    walker = Walker(client, actors, db)
    request = walker.submit_ok(body(make_decision(db), make_violation(db, subjects=[seller])))
    assert request["subject_ids"] == [str(seller.id)]
    read = client.get(f"{URL}/{request['id']}", headers=actors.headers("MOST", officer="officer-block-read"))
    assert read.status_code == 200 and read.json["subject_ids"] == [str(seller.id)]
    found = [h for h in accesses(client, actors, str(seller.id)) if h["officer"] == "officer-block-read"]
    assert [h["action"] for h in found] == ["block_request:read"]
