"""The purpose of access (X-Purpose, issue #14): when it is required, how it is sent and what is audited."""

from __future__ import annotations

import unicodedata

import pytest

from tests.factories import create_link, create_subject
from tests.screening.helpers import audit_entries

SUBJECTS = "/api/v1/subjects"
IDENTIFIERS = "/api/v1/identifiers"


@pytest.fixture
def bank(client, actors):
    """A bank account linked to a seller, registered by MOIT-DMS: its identifier id."""
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms)
    return create_link(client, dms, seller["id"], "bank_account", "VCB:0011001234567")["identifier_id"]


@pytest.mark.parametrize("flag", ["true", "on", "On", "ON", "t", "T", "y", "Y", "yes", "1", "True"])
def test_every_spelling_of_sensitive_true_needs_a_purpose(client, actors, db, bank, flag):
    no_purpose = actors.headers("MOIT-DMS", purpose=None)
    response = client.get(f"{IDENTIFIERS}/{bank}", query_string={"sensitive": flag}, headers=no_purpose)
    assert response.status_code == 422, response.json
    assert "X-Purpose" in response.json["errors"]
    assert not [e for e in audit_entries(db, "identifier:read") if e["status_code"] == 200]
    with_purpose = actors.headers("MOIT-DMS", purpose="123/QD-CVT")
    revealed = client.get(f"{IDENTIFIERS}/{bank}", query_string={"sensitive": flag}, headers=with_purpose)
    assert revealed.status_code == 200 and revealed.json["value"] == "970436:0011001234567"
    assert audit_entries(db, "identifier:read")[-1]["purpose"] == "123/QD-CVT"


@pytest.mark.parametrize("flag", ["false", "off", "0", "n", "F"])
def test_sensitive_false_needs_no_purpose_and_reveals_nothing(client, actors, bank, flag):
    no_purpose = actors.headers("MOIT-DMS", purpose=None)
    response = client.get(f"{IDENTIFIERS}/{bank}", query_string={"sensitive": flag}, headers=no_purpose)
    assert response.status_code == 200 and response.json["value"] is None


def test_a_flag_neither_true_nor_false_is_422_naming_it(client, actors, bank):
    response = client.get(
        f"{IDENTIFIERS}/{bank}", query_string={"sensitive": "maybe"}, headers=actors.headers("MOIT-DMS")
    )
    assert response.status_code == 422 and "sensitive" in str(response.json["errors"])


# -- X-Purpose carries Vietnamese: RFC 8187 X-Purpose*, or raw UTF-8 -----------------------------------------
DECISION = "123/QĐ-CVT"


def read_bank(client, actors, bank, **purpose_headers):
    headers = {**actors.headers("MOIT-DMS", purpose=None), **purpose_headers}
    return client.get(f"{IDENTIFIERS}/{bank}", query_string={"sensitive": "true"}, headers=headers)


def test_extended_header_carries_a_vietnamese_decision_number(client, actors, db, bank):
    response = read_bank(client, actors, bank, **{"X-Purpose*": "UTF-8''123%2FQ%C4%90-CVT"})
    assert response.status_code == 200, response.json
    assert audit_entries(db, "identifier:read")[-1]["purpose"] == DECISION


def test_extended_header_wins_over_the_plain_one(client, actors, db, bank):
    extended = {"X-Purpose*": "utf-8'vi'123%2FQ%C4%90-CVT", "X-Purpose": "123/QD-CVT"}
    assert read_bank(client, actors, bank, **extended).status_code == 200
    assert audit_entries(db, "identifier:read")[-1]["purpose"] == DECISION


def test_raw_utf8_header_is_decoded_not_stored_as_mojibake(client, actors, db, bank):
    as_wsgi_gives_it = DECISION.encode("utf-8").decode("latin-1")  # PEP 3333: header bytes as Latin-1
    response = read_bank(client, actors, bank, **{"X-Purpose": as_wsgi_gives_it})
    assert response.status_code == 200, response.json
    assert audit_entries(db, "identifier:read")[-1]["purpose"] == DECISION


def test_decomposed_vietnamese_is_stored_composed(client, actors, db, bank):
    nfd = unicodedata.normalize("NFD", "Quyết định 5/QĐ").encode().decode("latin-1")
    assert read_bank(client, actors, bank, **{"X-Purpose": nfd}).status_code == 200
    assert audit_entries(db, "identifier:read")[-1]["purpose"] == "Quyết định 5/QĐ"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Purpose", "caf\xe9 123"),  # Latin-1 bytes that are not UTF-8: refused, not guessed
        ("X-Purpose", "123\u202e/QD".encode().decode("latin-1")),  # right-to-left override, raw UTF-8
        ("X-Purpose", "12\x7f3/QD"),
        ("X-Purpose", "12\x853/QD"),  # a C1 control as Latin-1
        ("X-Purpose*", "UTF-8''123%E2%80%AE%2FQD"),  # U+202E
        ("X-Purpose*", "UTF-8''123%E2%81%A6%2FQD"),  # U+2066
        ("X-Purpose*", "UTF-8''123%E2%80%8F%2FQD"),  # U+200F
        ("X-Purpose*", "UTF-8''123%E2%80%8B%2FQD"),  # U+200B zero width space
        ("X-Purpose*", "UTF-8''123%E2%80%8D%2FQD"),  # U+200D
        ("X-Purpose*", "UTF-8''%EF%BB%BF123%2FQD"),  # U+FEFF
        ("X-Purpose*", "UTF-8''123%0A%2FQD"),  # a line feed
        ("X-Purpose*", "UTF-8''123%00%2FQD"),
        ("X-Purpose*", "UTF-8''123%C4"),  # not UTF-8
        ("X-Purpose*", "ISO-8859-1''caf%E9%20123"),  # only UTF-8 is defined
        ("X-Purpose*", "123/QD-CVT"),  # no charset
        ("X-Purpose*", "UTF-8''12"),  # too short
        ("X-Purpose*", "UTF-8''" + "a" * 301),
    ],
)
def test_unreadable_purposes_are_422_naming_the_header(client, actors, db, bank, header, value):
    response = read_bank(client, actors, bank, **{header: value})
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == [header]
    assert value not in response.json["detail"]


def test_a_purpose_sent_where_none_is_required_is_decoded_too(client, actors, db, bank):
    headers = {**actors.headers("MOIT-DMS", purpose=None), "X-Purpose*": "UTF-8''123%2FQ%C4%90-CVT"}
    assert client.get(f"{IDENTIFIERS}/{bank}", headers=headers).status_code == 200
    assert audit_entries(db, "identifier:read")[-1]["purpose"] == DECISION
    headers = {
        **actors.headers("MOIT-DMS", purpose=None),
        "X-Purpose": "12\u200b3/QD".encode().decode("latin-1"),
    }
    assert client.get(f"{IDENTIFIERS}/{bank}", headers=headers).status_code == 422


# -- the OpenAPI document declares the header where the guard reads it ---------------------------------------
def _operations(client):
    spec = client.get("/api/v1/openapi.json").json
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"} and path.startswith("/api/v1/"):
                yield f"{method.upper()} {path}", operation


def _header(operation, name):
    found = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == name]
    return found[0] if found else None


def test_every_guarded_operation_declares_x_purpose_truthfully(client):
    checked = 0
    for name, operation in _operations(client):
        if not operation.get("security") or name.startswith(("POST /api/v1/oauth", "GET /api/v1/oauth")):
            continue
        plain = _header(operation, "X-Purpose")
        # One declared parameter: X-Purpose and X-Purpose* would make one name in generated clients,
        # which then drop the operation; X-Purpose itself takes the RFC 8187 form.
        assert plain is not None and _header(operation, "X-Purpose*") is None, name
        write = name.split()[0] in {"POST", "PUT", "PATCH", "DELETE"}
        # writes and reads of a person's data need it; other reads only with ?sensitive=true
        assert plain["required"] is (write or name in PERSONAL_READS), name
        assert "UTF-8''" in plain["description"], name
        checked += 1
    assert checked > 50


def test_purpose_header_is_declared_beside_the_other_parameters(client):
    operations = dict(_operations(client))
    read = operations["GET /api/v1/identifiers/{identifier_id}"]
    assert {p["name"] for p in read["parameters"]} >= {"sensitive", "X-Purpose"}
    assert "sensitive" in _header(read, "X-Purpose")["description"]
    screening = operations["POST /api/v1/screenings"]
    assert _header(screening, "X-Purpose")["required"] is True
    keyed = [op for op in operations.values() if _header(op, "Idempotency-Key")]
    assert keyed and all(_header(op, "X-Purpose")["required"] for op in keyed)


# -- without registry:read_sensitive, a sensitive identifier does not name its holder ------------------------
PERSONAL_ID = "001190012345"
ACCOUNT = "VCB:0011001234567"


@pytest.fixture
def holders(client, actors):
    """A seller with a bank account and a domain, an individual with a personal ID (state-visible)."""
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms)
    create_link(client, dms, seller["id"], "bank_account", ACCOUNT)
    create_link(client, dms, seller["id"], "domain", "daiphat.vn")
    person = create_subject(client, dms, kind="individual", name="Trần Thị B", personal_id=PERSONAL_ID)
    return {"seller": seller["id"], "person": person["id"]}


def reader(actors):
    return actors.headers("MOF-CUSTOMS", scopes=["registry:read"])


def lookup(client, headers, kind, value):
    return client.get(f"{IDENTIFIERS}/lookup", query_string={"kind": kind, "value": value}, headers=headers)


def test_lookup_of_a_sensitive_identifier_without_the_scope_names_no_holder(client, actors, holders):
    for kind, value in (("bank_account", "970436:0011001234567"), ("personal_id", PERSONAL_ID)):
        found = lookup(client, reader(actors), kind, value)
        assert found.status_code == 200, found.json
        assert found.json["sensitive"] is True and found.json["value"] is None
        assert "subjects" not in found.json, kind
    assert lookup(client, reader(actors), "bank_account", "VCB:0099999999").status_code == 404


def test_lookup_with_the_scope_and_of_other_kinds_still_names_the_subjects(client, actors, holders):
    full = lookup(client, actors.headers("MOF-CUSTOMS"), "bank_account", ACCOUNT)
    assert full.json["subjects"] == [holders["seller"]]
    domain = lookup(client, reader(actors), "domain", "daiphat.vn")
    assert domain.json["subjects"] == [holders["seller"]]


def test_subject_search_by_a_sensitive_identifier_without_the_scope_finds_no_one(client, actors, holders):
    for q in (ACCOUNT, "970436:0011 0012 34567", PERSONAL_ID, "001 190 012 345"):
        found = client.get(SUBJECTS, query_string={"q": q}, headers=reader(actors))
        assert found.status_code == 200 and found.json["items"] == [], q
    with_scope = client.get(SUBJECTS, query_string={"q": PERSONAL_ID}, headers=actors.headers("MOF-CUSTOMS"))
    assert [item["id"] for item in with_scope.json["items"]] == [holders["person"]]
    by_domain = client.get(SUBJECTS, query_string={"q": "daiphat.vn"}, headers=reader(actors))
    assert [item["id"] for item in by_domain.json["items"]] == [holders["seller"]]


ITEMS = [
    {"kind": "bank_account", "value": ACCOUNT},
    {"value": PERSONAL_ID},
    {"kind": "domain", "value": "daiphat.vn"},
]


def test_screening_without_the_scope_gives_no_subjects_for_sensitive_matches(client, actors, holders):
    answer = client.post("/api/v1/screenings", json={"items": ITEMS}, headers=reader(actors))
    assert answer.status_code == 200, answer.json
    bank, person, domain = answer.json["results"]
    assert bank["status"] == person["status"] == "match"
    assert "subjects" not in bank and "subjects" not in person
    assert domain["subjects"] == [holders["seller"]]
    full = client.post("/api/v1/screenings", json={"items": ITEMS}, headers=actors.headers("MOF-CUSTOMS"))
    assert [r["subjects"] for r in full.json["results"]] == [
        [holders["seller"]],
        [holders["person"]],
        [holders["seller"]],
    ]


def test_a_screening_job_is_shown_by_the_scope_of_the_client_that_fetches_it(
    client, actors, holders, monkeypatch
):
    from registry.services import screening

    monkeypatch.setattr(screening, "MAX_ITEMS", 2)
    full = actors.headers("MOF-CUSTOMS")
    job = client.post("/api/v1/screenings", json={"items": ITEMS}, headers=full)
    assert job.status_code == 202, job.json
    fetched = client.get(job.json["url"], query_string={"per_page": 2}, headers=reader(actors)).json
    assert fetched["status"] == "done"
    assert all("subjects" not in r for r in fetched["results"])
    assert [
        r["subjects"]
        for r in client.get(job.json["url"], query_string={"per_page": 2}, headers=full).json["results"]
    ] == [[holders["seller"]], [holders["person"]]]


# -- reads of a person's data need a purpose (Decree 13/2023) -----------------------------------------
def personal_reads(holders, bank_identifier):
    seller = holders["seller"]
    return [
        ("GET", f"{SUBJECTS}/{seller}", {}),
        ("GET", f"{SUBJECTS}/{seller}/history", {}),
        ("GET", f"{SUBJECTS}/{seller}/graph", {}),
        ("GET", f"/api/v1/identifiers/{bank_identifier}/graph", {}),
        ("GET", SUBJECTS, {"q": "Đức Anh"}),
        ("GET", SUBJECTS, {}),
        ("GET", f"{IDENTIFIERS}/lookup", {"kind": "domain", "value": "daiphat.vn"}),
    ]


def test_reads_of_a_persons_data_need_a_purpose(client, actors, db, holders):
    bank_identifier = lookup(client, actors.headers("MOIT-DMS"), "bank_account", ACCOUNT).json["id"]
    without = actors.headers("MOF-CUSTOMS", purpose=None)
    with_purpose = actors.headers("MOF-CUSTOMS", purpose="123/QD-CVT")
    for method, url, query in personal_reads(holders, bank_identifier):
        refused = client.open(url, method=method, query_string=query, headers=without)
        assert refused.status_code == 422, (url, refused.json)
        assert "X-Purpose" in refused.json["errors"]
        answered = client.open(url, method=method, query_string=query, headers=with_purpose)
        assert answered.status_code == 200, (url, answered.json)
    job_items = {"items": [{"kind": "domain", "value": "daiphat.vn"}]}
    assert client.post("/api/v1/screenings", json=job_items, headers=without).status_code == 422
    match = client.get(
        f"{IDENTIFIERS}/match", query_string={"kind": "domain", "value": "x.vn"}, headers=without
    )
    assert match.status_code == 200  # yes or no: no one's data


PERSONAL_READS = {
    "GET /api/v1/subjects/{subject_id}",
    "GET /api/v1/subjects/{subject_id}/history",
    "GET /api/v1/subjects/{subject_id}/graph",
    "GET /api/v1/identifiers/{identifier_id}/graph",
    "GET /api/v1/subjects",
    "GET /api/v1/identifiers/lookup",
    "GET /api/v1/screenings/{job_id}",
    "GET /api/v1/audit/subjects/{subject_id}/accesses",  # who read a person's data, and why
}


def test_the_document_says_those_reads_need_a_purpose(client):
    operations = dict(_operations(client))
    for name in PERSONAL_READS:
        assert _header(operations[name], "X-Purpose")["required"] is True, name


def test_x_purpose_itself_takes_the_rfc_8187_form(client, actors, db):
    """What a client generated from the OpenAPI document sends (it has one purpose parameter)."""
    headers = {**actors.headers("MOIT-DMS"), "X-Purpose": "UTF-8''123%2FQ%C4%90-CVT"}
    subject = client.post(
        "/api/v1/subjects", json={"kind": "organisation", "name": "Cửa hàng A"}, headers=headers
    )
    assert subject.status_code == 201, subject.json
    assert [e["purpose"] for e in audit_entries(db, "subject:create")] == ["123/QĐ-CVT"]
