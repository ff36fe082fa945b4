from __future__ import annotations

import unicodedata
import uuid

import pytest

from tests.factories import create_subject, create_violation

SUBJECTS = "/api/v1/subjects"


def test_create_makes_tax_code_an_identifier_found_by_lookup(client, actors):
    headers = actors.headers("MOIT-DMS")
    subject = create_subject(client, headers, tax_code="0100 109 106")
    assert subject["tax_code"] == "0100109106"
    assert subject["created_by"] == "MOIT-DMS"
    found = client.get(
        "/api/v1/identifiers/lookup",
        query_string={"kind": "tax_code", "value": "0100-109-106"},
        headers=headers,
    )
    assert found.status_code == 200
    assert found.json["subjects"] == [subject["id"]]


@pytest.mark.parametrize(
    "query",
    [
        "Nguyễn Văn Đức",
        "NGUYEN VAN DUC",
        unicodedata.normalize("NFD", "Nguyễn Văn Đức"),
        "van duc",
        "nguyen  van",
    ],
)
def test_name_search_ignores_diacritics_case_and_normal_form(client, actors, query):
    headers = actors.headers("MOIT-DMS")
    subject = create_subject(client, headers, kind="individual", name="Nguyễn Văn Đức")
    create_subject(client, headers, name="Công ty khác")
    result = client.get(SUBJECTS, query_string={"q": query}, headers=headers)
    assert [item["id"] for item in result.json["items"]] == [subject["id"]]


def test_search_by_identifier_spelling(client, actors):
    headers = actors.headers("MOIT-DMS")
    subject = create_subject(client, headers)
    link = client.post(
        "/api/v1/links",
        json={
            "subject_id": subject["id"],
            "source": "inspection",
            "identifier": {"kind": "domain", "value": "MyPham-DucAnh.VN"},
        },
        headers=headers,
    )
    assert link.status_code == 201, link.json
    result = client.get(SUBJECTS, query_string={"q": "https://www.mypham-ducanh.vn/"}, headers=headers)
    assert result.json["total"] == 0  # www. is a different host: exact identifiers, no guessing
    result = client.get(SUBJECTS, query_string={"q": "mypham-ducanh.vn."}, headers=headers)
    assert [item["id"] for item in result.json["items"]] == [subject["id"]]


def test_personal_id_encrypted_revealed_only_with_scope_and_purpose(client, actors, db):
    from registry.models import Subject

    headers = actors.headers("MPS-C03")
    subject = create_subject(
        client, headers, kind="individual", name="Trần Thị B", personal_id="001 190 012 345"
    )
    assert subject["personal_id"] is None and subject["has_personal_id"] is True
    row = db.get(Subject, uuid.UUID(subject["id"]))
    assert b"001190012345" not in row.personal_id_enc
    url = f"{SUBJECTS}/{subject['id']}"
    no_purpose = actors.headers("MPS-C03", purpose=None)
    assert client.get(url, query_string={"sensitive": "true"}, headers=no_purpose).status_code == 422
    revealed = client.get(url, query_string={"sensitive": "true"}, headers=headers)
    assert revealed.json["personal_id"] == "001190012345"
    reader = actors.headers("MOF-CUSTOMS", scopes=["registry:read"])
    assert client.get(url, query_string={"sensitive": "true"}, headers=reader).status_code == 403
    by_id = client.get(SUBJECTS, query_string={"q": "001190012345"}, headers=headers)
    assert [item["id"] for item in by_id.json["items"]] == [subject["id"]]
    assert by_id.json["items"][0]["personal_id"] is None
    # Without registry:read_sensitive a personal ID finds no one (issue #14; tests/api/test_purpose.py).
    assert client.get(SUBJECTS, query_string={"q": "001190012345"}, headers=reader).json["items"] == []


def test_duplicate_tax_code_visible_to_caller_is_409(client, actors):
    headers = actors.headers("MOIT-DMS")
    first = create_subject(client, headers, tax_code="0100109106")
    again = client.post(
        SUBJECTS, json={"kind": "organisation", "name": "X", "tax_code": "0100109106"}, headers=headers
    )
    assert again.status_code == 409 and again.json["existing"] == first["id"]


def test_invalid_input_422_and_nothing_written(client, actors):
    headers = actors.headers("MOIT-DMS")
    bad = client.post(
        SUBJECTS, json={"kind": "organisation", "name": "X", "tax_code": "0101245487"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json["errors"] == {"tax_code": ["tax code 0101245487: check digit should be 6"]}
    assert client.get(SUBJECTS, headers=headers).json["total"] == 0
    missing = client.post(SUBJECTS, json={"name": "X"}, headers=headers)
    assert missing.status_code == 422 and "kind" in missing.json["errors"]
    company_with_cccd = client.post(
        SUBJECTS, json={"kind": "organisation", "name": "X", "personal_id": "001190012345"}, headers=headers
    )
    assert company_with_cccd.status_code == 422
    assert client.get(SUBJECTS, headers=headers).json["total"] == 0
    assert client.get("/api/v1/identifiers", headers=headers).json["total"] == 0


def test_visibility_owner_named_state_public(client, actors):
    owner = actors.headers("MPS-C03")
    secret = create_subject(client, owner, name="Owner only", visibility="owner")
    create_subject(client, owner, name="Named", visibility="named", shared_with=["MOF-TAX"])
    create_subject(client, owner, name="State", visibility="state")
    create_subject(client, owner, name="Public", visibility="public")

    def visible(agency: str) -> set[str]:
        items = client.get(SUBJECTS, query_string={"per_page": 100}, headers=actors.headers(agency)).json[
            "items"
        ]
        return {item["name"] for item in items}

    assert visible("MPS-C03") == {"Owner only", "Named", "State", "Public"}
    assert visible("MOF-TAX") == {"Named", "State", "Public"}
    assert visible("MOF-CUSTOMS") == {"State", "Public"}
    assert visible("VECOM") == {"Public"}
    hidden = client.get(f"{SUBJECTS}/{secret['id']}", headers=actors.headers("MOF-CUSTOMS"))
    assert hidden.status_code == 404
    missing = client.get(
        f"{SUBJECTS}/00000000-0000-0000-0000-000000000000", headers=actors.headers("MOF-CUSTOMS")
    )
    assert missing.status_code == 404 and hidden.json["title"] == missing.json["title"]


def test_visibility_change_by_owner_only_and_recorded(client, actors, db):
    from registry.models import VisibilityChange

    owner = actors.headers("MPS-C03")
    subject = create_subject(client, owner, visibility="owner")
    url = f"{SUBJECTS}/{subject['id']}/visibility"
    changed = client.post(
        url,
        json={"visibility": "named", "shared_with": ["MOF-TAX"], "reason": "joint case 12"},
        headers=owner,
    )
    assert changed.status_code == 200, changed.json
    assert changed.json == {"visibility": "named", "shared_with": ["MOF-TAX"], "owner": "MPS-C03"}
    tax = actors.headers("MOF-TAX")
    assert client.get(f"{SUBJECTS}/{subject['id']}", headers=tax).status_code == 200
    refused = client.post(url, json={"visibility": "public", "reason": "x" * 5}, headers=tax)
    assert refused.status_code == 403
    rows = db.query(VisibilityChange).filter_by(record_id=uuid.UUID(subject["id"])).all()
    assert [(r.old_visibility, r.new_visibility, r.new_shared_with, r.reason) for r in rows] == [
        ("owner", "named", ["MOF-TAX"], "joint case 12")
    ]


def test_update_only_by_owner(client, actors):
    subject = create_subject(client, actors.headers("MOIT-DMS"))
    url = f"{SUBJECTS}/{subject['id']}"
    other = client.patch(url, json={"province": "HN"}, headers=actors.headers("MOF-TAX"))
    assert other.status_code == 403
    mine = client.patch(url, json={"name": "  Tên   mới  "}, headers=actors.headers("MOIT-DMS"))
    assert mine.status_code == 200 and mine.json["name"] == "Tên mới"


def test_write_needs_purpose_and_write_scope(client, actors):
    body = {"kind": "organisation", "name": "X"}
    assert (
        client.post(SUBJECTS, json=body, headers=actors.headers("MOIT-DMS", purpose=None)).status_code == 422
    )
    assert (
        client.post(SUBJECTS, json=body, headers=actors.headers("MOF-CUSTOMS", ["registry:read"])).status_code
        == 403
    )


def test_wrong_content_type_is_415(client, actors):
    response = client.post(
        SUBJECTS,
        data="kind=organisation",
        headers={**actors.headers("MOIT-DMS"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"


def test_history_gathers_identifiers_and_violations_across_agencies_as_far_as_visible(client, actors):
    dms, tax, customs = actors.headers("MOIT-DMS"), actors.headers("MOF-TAX"), actors.headers("MOF-CUSTOMS")
    subject = create_subject(client, dms, tax_code="0100109106")
    link = client.post(
        "/api/v1/links",
        json={
            "subject_id": subject["id"],
            "source": "tip",
            "identifier": {"kind": "phone", "value": "0912 345 678"},
        },
        headers=dms,
    ).json
    phone_id = link["identifier_id"]
    by_dms = create_violation(client, dms, [subject["id"]], detected_at="2026-03-01T00:00:00+00:00")
    # Tax knows only the phone: its case is still part of the subject's history.
    other = create_subject(client, tax, name="Người bán khác")
    by_tax = create_violation(client, tax, [other["id"]], [phone_id], categories=["TAX_EVASION"])
    create_violation(client, tax, [subject["id"]], visibility="owner", summary="hidden from others")

    seen = client.get(f"{SUBJECTS}/{subject['id']}/history", headers=customs)
    assert seen.status_code == 200, seen.json
    body = seen.json
    assert body["subject"]["id"] == subject["id"]
    assert {i["identifier"]["kind"] for i in body["identifiers"]} == {"tax_code", "phone"}
    assert [v["id"] for v in body["violations"]] == [by_dms["id"], by_tax["id"]]
    kinds = [event["kind"] for event in body["timeline"]]
    assert kinds.count("violation") == 2 and "identifier_linked" in kinds
    times = [event["at"] for event in body["timeline"]]
    assert times == sorted(times)

    as_tax = client.get(f"{SUBJECTS}/{subject['id']}/history", headers=tax).json
    assert len(as_tax["violations"]) == 3


def test_history_query_count_does_not_grow_with_history(client, actors, engine, monkeypatch):
    import psycopg
    from sqlalchemy import event

    from registry.services import history_json

    headers = actors.headers("MOIT-DMS")
    reader = actors.headers("MOIT-DMS", ["registry:read"])  # reads no freeze orders: one statement on PG
    subject = create_subject(client, headers, tax_code="0100109106")
    raw_statements: list[int] = []

    class Counted(psycopg.RawCursor):
        def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raw_statements[-1] += 1
            return super().execute(*args, **kwargs)

    monkeypatch.setattr(history_json.psycopg, "RawCursor", Counted)

    def queries_for_history() -> int:
        statements = []
        raw_statements.append(0)
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            for who in (headers, reader):
                assert client.get(f"{SUBJECTS}/{subject['id']}/history", headers=who).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    def add_case(n: int) -> None:
        link = client.post(
            "/api/v1/links",
            json={
                "subject_id": subject["id"],
                "source": "tip",
                "identifier": {"kind": "domain", "value": f"s{n}.vn"},
            },
            headers=headers,
        ).json
        create_violation(client, headers, [subject["id"]], [link["identifier_id"]])

    add_case(0)
    queries_for_history()  # tokens verified and agency facts read once (then kept, see registry.generation)
    raw_statements.clear()
    small = queries_for_history()
    for n in range(1, 8):
        add_case(n)
    assert queries_for_history() == small
    if engine.dialect.name == "postgresql":  # the one-statement history runs on a raw cursor
        assert raw_statements == [1, 1]


def test_search_pages_are_stable_and_the_total_is_exact_once_the_end_is_reached(client, actors):
    headers = actors.headers("MOIT-DMS")
    made = [create_subject(client, headers, name=f"Cửa hàng số {n}")["id"] for n in range(5)]
    seen, counts = [], []
    for page in (1, 2, 3):
        listed = client.get(
            SUBJECTS, query_string={"q": "cua hang", "per_page": 2, "page": page}, headers=headers
        )
        counts.append((listed.json["total"], listed.json["total_exact"], listed.json["has_more"]))
        seen += [item["id"] for item in listed.json["items"]]
    assert sorted(seen) == sorted(made) and len(seen) == 5
    # A search reads only as far as the page: until the end, the total is "at least" (this page + 1).
    assert counts == [(3, False, True), (5, False, True), (5, True, False)]
    beyond = client.get(SUBJECTS, query_string={"q": "cua hang", "per_page": 2, "page": 9}, headers=headers)
    assert beyond.json["items"] == [] and beyond.json["total"] == 5 and beyond.json["total_exact"] is True


def test_json_answers_are_utf8_not_escaped(client, actors):
    headers = actors.headers("MOIT-DMS")
    create_subject(client, headers, name="Nguyễn Văn Đức", kind="individual")
    response = client.get(SUBJECTS, headers=headers)
    assert "Nguyễn Văn Đức".encode() in response.data
    assert response.mimetype == "application/json"


@pytest.mark.parametrize(("agency", "is_state"), [("MOIT-DMS", True), ("VECOM", False)])
def test_history_statements_carry_the_visibility_constants_in_their_text(
    client, actors, engine, agency, is_state
):
    """The visibility rule's constants and whether the caller is a state body are written into the SQL
    text, so PostgreSQL can reuse one plan per statement and kind of caller instead of planning the
    statement again on each request; only the caller's agency and the ids stay parameters."""
    from sqlalchemy import event

    subject = create_subject(client, actors.headers("MOIT-DMS"), tax_code="0100109106", visibility="public")
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(f"{SUBJECTS}/{subject['id']}/history", headers=actors.headers(agency))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    subject_read = next(s for s in statements if s.lstrip().startswith("SELECT subject.id"))
    assert "subject.visibility = 'public'" in subject_read
    assert "record_share.record_type = 'subject'" in subject_read
    is_state_literal = {"postgresql": "true" if is_state else "false", "sqlite": "1" if is_state else "0"}
    assert f"subject.visibility = 'state' AND {is_state_literal[engine.dialect.name]}" in subject_read


def test_one_statement_history_answers_as_the_orm_path_does(client, actors, history_paths_agree, db):
    """On PostgreSQL the history answers in one statement (services.history_json) for callers who ask
    for no sensitive value and read no freeze orders; the autouse fixture `history_paths_agree` builds
    each such answer through services.history and HistoryRead too and requires them equal. This
    history has what the statement must get right: a named subject, links by two agencies (one hidden),
    violations shared with the caller by name or hidden from it, sanction decisions it may or may not
    see, references to subjects it may not see, and timestamps with and without microseconds."""
    from registry.auth.principal import Principal
    from registry.services import history_json
    from tests.factories import create_decision

    dms, tax = actors.headers("MOIT-DMS"), actors.headers("MOF-TAX")
    subject = create_subject(
        client, dms, tax_code="0100109106", visibility="named", shared_with=["MOF-CUSTOMS", "MOF-TAX"]
    )
    phone = client.post(
        "/api/v1/links",
        json={
            "subject_id": subject["id"],
            "source": "tip",
            "identifier": {"kind": "phone", "value": "0912345678"},
        },
        headers=dms,
    ).json["identifier_id"]
    client.post(
        "/api/v1/links",
        json={"subject_id": subject["id"], "source": "tip", "visibility": "owner",
              "identifier": {"kind": "domain", "value": "an-danh.vn"}},
        headers=tax,
    )  # fmt: skip
    hidden_seller = create_subject(client, tax, name="Người bán ẩn", visibility="owner")
    seen_decision = create_decision(client, actors)
    hidden_decision = create_decision(
        client, actors, agency="MOF-TAX", number="9/QĐ-XPHC", visibility="owner"
    )
    shared = create_violation(
        client, tax, [subject["id"]], [phone], visibility="named", shared_with=["MOF-CUSTOMS", "MOIT-DMS"],
        status="sanctioned", sanction_decision_id=hidden_decision["id"], fine_vnd=15_000_000,
        detected_at="2026-02-01T10:00:00.250000+07:00",
    )  # fmt: skip
    create_violation(
        client, tax, [hidden_seller["id"]], [phone], status="sanctioned",
        sanction_decision_id=seen_decision["id"], categories=["COUNTERFEIT", "SMUGGLED"],
        detected_at="2026-02-01T10:00:00+07:00",
    )  # fmt: skip
    create_violation(client, tax, [subject["id"]], visibility="owner", summary="hidden from others")

    for agency in ("MOF-CUSTOMS", "MOIT-DMS", "MOF-TAX"):  # registry:read only: no freeze orders to read
        reader = actors.headers(agency, ["registry:read"])
        assert client.get(f"{SUBJECTS}/{subject['id']}/history", headers=reader).status_code == 200
    outsider = actors.headers("VECOM", ["registry:read"])
    assert client.get(f"{SUBJECTS}/{subject['id']}/history", headers=outsider).status_code == 404
    if db.get_bind().dialect.name != "postgresql":
        agency = actors.agency("MOF-CUSTOMS")
        caller = Principal(
            client_id="t",
            agency=agency.code,
            agency_id=agency.id,
            agency_kind=agency.kind,
            scopes=frozenset(),
        )
        assert not history_json.applies(db, caller, revealed=False)  # SQLite: the ORM path
        return
    assert len(history_paths_agree) == 3
    as_customs = history_paths_agree[0]
    violation = next(v for v in as_customs["violations"] if v["id"] == shared["id"])
    assert violation["shared_with"] == ["MOF-CUSTOMS", "MOIT-DMS"]
    assert violation["sanction_decision_id"] is None  # the decision is the tax office's own
    assert any(v["sanction_decision_id"] == seen_decision["id"] for v in as_customs["violations"])
    assert any(v["subjects"] == [] for v in as_customs["violations"])  # the hidden seller is left out
    assert {i["identifier"]["kind"] for i in as_customs["identifiers"]} == {"tax_code", "phone"}
