from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.models import Subject, Violation, VisibilityChange
from tests import factories
from tests.factories import create_decision, create_identifier, make_subject

URL = "/api/v1/violations"
DETECTED = "2025-03-01T09:30:00+07:00"


def violation_body(subject: Subject, **overrides: object) -> dict:
    body = {
        "subjects": [str(subject.id)],
        "categories": ["COUNTERFEIT", "UNKNOWN_ORIGIN"],
        "goods_groups": ["cosmetics"],
        "summary": "Bán mỹ phẩm giả trên Shopee",
        "detected_at": DETECTED,
        "province": "Hà Nội",
    }
    body.update(overrides)
    return body


def create_violation(client, actors, subject: Subject, agency: str = "MOIT-DMS", **overrides: object) -> dict:
    """This module's violation (violation_body) reported through the factory."""
    body = violation_body(subject, **overrides)
    return factories.create_violation(client, actors.headers(agency), body.pop("subjects"), **body)


def violation_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Violation))


def test_create_and_read(client, actors, db):
    subject = make_subject(db, owner="MOIT-DMS")
    domain = create_identifier(client, actors)
    created = create_violation(
        client, actors, subject, identifiers=[domain], fine_vnd=15_000_000, goods_value_vnd=250_000_000
    )
    assert created["subjects"] == [str(subject.id)]
    assert created["identifiers"] == [domain]
    assert created["categories"] == ["COUNTERFEIT", "UNKNOWN_ORIGIN"]
    assert created["detected_by"] == "MOIT-DMS"
    assert created["detected_at"].startswith("2025-03-01T02:30:00")
    assert created["status"] == "suspected"
    assert (created["fine_vnd"], created["tax_recovered_vnd"], created["goods_value_vnd"]) == (
        15_000_000, 0, 250_000_000,
    )  # fmt: skip
    assert created["visibility"] == "state"
    assert created["sanction_decision_id"] is None

    one = client.get(f"{URL}/{created['id']}", headers=actors.headers("MOF-TAX"))
    assert one.status_code == 200
    assert one.json == created
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "violation:create")).one()
    assert entry.resource_id == created["id"]
    assert b'"change_hash"' in entry.body


def test_create_with_a_sanction_decision(client, actors, db):
    decision = create_decision(client, actors)
    created = create_violation(
        client,
        actors,
        make_subject(db, owner="MOIT-DMS"),
        status="sanctioned",
        sanction_decision_id=decision["id"],
    )
    assert created["status"] == "sanctioned"
    assert created["sanction_decision_id"] == decision["id"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subjects": []}, "subjects"),
        ({"subjects": ["not-a-uuid"]}, "subjects"),
        ({"identifiers": [str(uuid.uuid4())]}, "identifiers"),
        ({"categories": []}, "categories"),
        ({"categories": ["FRAUD"]}, "categories"),
        ({"categories": ["COUNTERFEIT", "COUNTERFEIT"]}, "categories"),
        ({"goods_groups": ["guns"]}, "goods_groups"),
        ({"goods_groups": ["food", "food"]}, "goods_groups"),
        ({"summary": "   "}, "summary"),
        ({"detected_at": "2025-03-01T09:30:00"}, "detected_at"),
        ({"detected_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "detected_at"),
        ({"status": "closed"}, "status"),
        ({"status": "sanctioned"}, "status"),
        ({"sanction_decision_id": str(uuid.uuid4())}, "sanction_decision_id"),
        ({"fine_vnd": -1}, "fine_vnd"),
        ({"fine_vnd": 1.5}, "fine_vnd"),
        ({"fine_vnd": 100.0}, "fine_vnd"),
        ({"fine_vnd": "100"}, "fine_vnd"),
        ({"fine_vnd": True}, "fine_vnd"),
        ({"fine_vnd": None}, "fine_vnd"),
        ({"tax_recovered_vnd": 10**15 + 1}, "tax_recovered_vnd"),
        ({"goods_value_vnd": "1e6"}, "goods_value_vnd"),
        ({"visibility": "named"}, "shared_with"),
        ({"visibility": "named", "shared_with": ["NOPE"]}, "shared_with"),
        ({"owner_agency_id": 1}, "owner_agency_id"),
        ({"detected_by": "MPS-C03"}, "detected_by"),
    ],
)
def test_invalid_violation_is_422_and_nothing_is_written(client, actors, db, overrides, field):
    response = client.post(
        URL,
        json=violation_body(make_subject(db, owner="MOIT-DMS"), **overrides),
        headers=actors.headers("MOIT-DMS"),
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert violation_count(db) == 0


def test_missing_subjects_and_categories_are_422(client, actors, db):
    body = violation_body(make_subject(db, owner="MOIT-DMS"))
    del body["subjects"], body["categories"]
    response = client.post(URL, json=body, headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"subjects", "categories"}
    assert violation_count(db) == 0


def test_a_subject_the_caller_cannot_see_is_named_in_the_422(client, actors, db):
    visible = make_subject(db, owner="MOIT-DMS")
    hidden = make_subject(db, owner="MPS-C03", visibility="owner")
    body = violation_body(visible, subjects=[str(visible.id), str(hidden.id)])
    response = client.post(URL, json=body, headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422
    assert response.json["errors"]["subjects"] == [f"no subject {hidden.id} visible to the caller"]
    assert violation_count(db) == 0


def test_a_decision_the_caller_cannot_see_is_refused(client, actors, db):
    hidden = create_decision(client, actors, agency="MPS-C03", issuer="MPS-C03", visibility="owner")
    body = violation_body(
        make_subject(db, owner="MOIT-DMS"), status="sanctioned", sanction_decision_id=hidden["id"]
    )
    response = client.post(URL, json=body, headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422
    assert response.json["errors"]["sanction_decision_id"] == [
        f"no decision {hidden['id']} visible to the caller"
    ]
    assert violation_count(db) == 0


def test_money_is_whole_vnd_as_json_integers(client, actors, db):
    created = create_violation(
        client, actors, make_subject(db, owner="MOIT-DMS"), fine_vnd=10**15, tax_recovered_vnd=0
    )
    assert created["fine_vnd"] == 10**15


def test_write_needs_the_write_scope(client, actors, db):
    subject = make_subject(db, owner="MOIT-DMS")
    read_only = actors.headers("MOIT-DMS", scopes=["registry:read"])
    assert client.post(URL, json=violation_body(subject), headers=read_only).status_code == 403
    assert client.post(URL, json=violation_body(subject), headers=actors.headers("VECOM")).status_code == 403
    assert violation_count(db) == 0


def test_list_filters(client, actors, db):
    first, second = make_subject(db, owner="MOIT-DMS"), make_subject(db, owner="MOIT-DMS")
    domain = create_identifier(client, actors)
    a = create_violation(client, actors, first, identifiers=[domain], detected_at="2025-01-10T08:00:00+07:00")
    b = create_violation(
        client, actors, second, agency="MOF-TAX", categories=["TAX_EVASION"], province="TP. Hồ Chí Minh",
        detected_at="2025-02-10T08:00:00+07:00",
    )  # fmt: skip
    c = create_violation(client, actors, first, status="confirmed", detected_at="2025-03-10T08:00:00+07:00")
    headers = actors.headers("NSC389")

    def ids(**query: object) -> list[str]:
        response = client.get(URL, query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids(subject_id=str(first.id)) == [c["id"], a["id"]]
    assert ids(identifier_id=domain) == [a["id"]]
    assert ids(category="TAX_EVASION") == [b["id"]]
    assert ids(category="COUNTERFEIT") == [c["id"], a["id"]]
    assert ids(status="confirmed") == [c["id"]]
    assert ids(province="TP. Hồ Chí Minh") == [b["id"]]
    assert ids(detected_by="MOF-TAX") == [b["id"]]
    assert ids(detected_from="2025-02-01T00:00:00+07:00", detected_to="2025-02-28T00:00:00+07:00") == [
        b["id"]
    ]
    assert ids(per_page=2, page=2) == [a["id"]]
    bad = client.get(URL, query_string={"category": "FRAUD"}, headers=headers)
    assert bad.status_code == 422


def test_filter_by_a_hidden_subject_finds_nothing(client, actors, db):
    hidden = make_subject(db, owner="MPS-C03", visibility="owner")
    create_violation(client, actors, hidden, agency="MPS-C03", visibility="state")
    listed = client.get(URL, query_string={"subject_id": str(hidden.id)}, headers=actors.headers("MOIT-DMS"))
    assert listed.json["total"] == 0
    everything = client.get(URL, headers=actors.headers("MOIT-DMS"))
    assert everything.json["total"] == 1
    assert everything.json["items"][0]["subjects"] == []


# (visibility, shared_with, reader, reader scopes, visible?)
VISIBILITY_MATRIX = [
    ("owner", [], "MOIT-DMS", None, True),
    ("owner", [], "MOIT-ECOM", None, False),
    ("named", ["MOF-TAX"], "MOF-TAX", None, True),
    ("named", ["MOF-TAX"], "MOIT-ECOM", None, False),
    ("state", [], "PROV-HCM", None, True),
    ("state", [], "VECOM", None, False),
    ("public", [], "VECOM", None, True),
]


@pytest.mark.parametrize(("visibility", "shared_with", "reader", "scopes", "visible"), VISIBILITY_MATRIX)
def test_visibility_matrix(client, actors, db, visibility, shared_with, reader, scopes, visible):
    created = create_violation(
        client, actors, make_subject(db, owner="MOIT-DMS"), visibility=visibility, shared_with=shared_with
    )
    headers = actors.headers(reader, scopes=scopes)
    assert client.get(f"{URL}/{created['id']}", headers=headers).status_code == (200 if visible else 404)
    assert client.get(URL, headers=headers).json["total"] == (1 if visible else 0)


def test_isp_without_read_scope_is_403(client, actors):
    assert client.get(URL, headers=actors.headers("ISP-VNPT")).status_code == 403


# -- updates -----------------------------------------------------------------------------------------


def patch(client, headers, violation_id: str, body: dict):
    return client.patch(f"{URL}/{violation_id}", json=body, headers=headers)


def test_owner_follows_the_case_to_its_sanction(client, actors, db):
    created = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"))
    owner = actors.headers("MOIT-DMS")
    confirmed = patch(
        client, owner, created["id"], {"status": "confirmed", "goods_groups": ["cosmetics", "food"]}
    )
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["status"] == "confirmed"
    assert confirmed.json["goods_groups"] == ["cosmetics", "food"]

    decision = create_decision(client, actors)
    body = {"status": "sanctioned", "sanction_decision_id": decision["id"], "fine_vnd": 30_000_000}
    sanctioned = patch(client, owner, created["id"], body)
    assert sanctioned.status_code == 200, sanctioned.json
    assert sanctioned.json["sanction_decision_id"] == decision["id"]
    assert sanctioned.json["fine_vnd"] == 30_000_000
    assert sanctioned.json["updated_at"] >= created["updated_at"]
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "violation:update")).all()
    assert [e.resource_id for e in entries] == [created["id"], created["id"]]


def test_sanctioned_needs_a_sanction(client, actors, db):
    created = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"))
    owner = actors.headers("MOIT-DMS")
    refused = patch(client, owner, created["id"], {"status": "sanctioned"})
    assert refused.status_code == 422
    assert "status" in refused.json["errors"]
    accepted = patch(
        client, owner, created["id"], {"status": "sanctioned", "sanction_reference": "12/QĐ-XPHC"}
    )
    assert accepted.status_code == 200
    cleared = patch(client, owner, created["id"], {"sanction_reference": None})
    assert cleared.status_code == 422
    assert client.get(f"{URL}/{created['id']}", headers=owner).json["sanction_reference"] == "12/QĐ-XPHC"


def test_dismissed_is_final(client, actors, db):
    created = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"))
    owner = actors.headers("MOIT-DMS")
    assert patch(client, owner, created["id"], {"status": "dismissed"}).status_code == 200
    for body in ({"status": "confirmed"}, {"summary": "reopened"}):
        response = patch(client, owner, created["id"], body)
        assert response.status_code == 409
        assert response.json["type"].endswith("/invalid-transition")
        assert response.json["current_state"] == "dismissed"
        assert response.json["allowed"] == []


def test_no_way_back_from_confirmed(client, actors, db):
    created = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"), status="confirmed")
    response = patch(client, actors.headers("MOIT-DMS"), created["id"], {"status": "suspected"})
    assert response.status_code == 409
    assert response.json["current_state"] == "confirmed"
    assert response.json["allowed"] == ["dismissed", "sanctioned"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"fine_vnd": 1.5},
        {"fine_vnd": "100"},
        {"fine_vnd": True},
        {"categories": []},
        {"status": "closed"},
        {"visibility": "public"},
        {"subjects": []},
        {"sanction_decision_id": str(uuid.uuid4())},
    ],
)
def test_invalid_update_is_422_and_changes_nothing(client, actors, db, body):
    created = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"))
    owner = actors.headers("MOIT-DMS")
    response = patch(client, owner, created["id"], body)
    assert response.status_code == 422, response.json
    assert client.get(f"{URL}/{created['id']}", headers=owner).json == created


def test_only_the_owner_updates(client, actors, db):
    visible = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"))
    hidden = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"), visibility="owner")
    other = actors.headers("MOIT-ECOM")
    assert patch(client, other, visible["id"], {"status": "confirmed"}).status_code == 403
    assert patch(client, other, hidden["id"], {"status": "confirmed"}).status_code == 404
    read_only = actors.headers("MOIT-DMS", scopes=["registry:read"])
    assert patch(client, read_only, visible["id"], {"status": "confirmed"}).status_code == 403
    owner = actors.headers("MOIT-DMS")
    assert client.get(f"{URL}/{visible['id']}", headers=owner).json["status"] == "suspected"


# -- visibility changes ------------------------------------------------------------------------------


def test_owner_changes_visibility_and_the_change_is_recorded(client, actors, db):
    created = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"))
    assert client.get(f"{URL}/{created['id']}", headers=actors.headers("VECOM")).status_code == 404
    changed = client.post(
        f"{URL}/{created['id']}/visibility",
        json={"visibility": "public", "shared_with": [], "reason": "Published by decision 12/QĐ"},
        headers=actors.headers("MOIT-DMS"),
    )
    assert changed.status_code == 200, changed.json
    row = db.scalars(
        select(VisibilityChange).where(VisibilityChange.record_id == uuid.UUID(created["id"]))
    ).one()
    assert (row.record_type, row.old_visibility, row.new_visibility) == ("violation", "state", "public")
    assert row.changed_by_agency_id == actors.agency("MOIT-DMS").id
    assert client.get(f"{URL}/{created['id']}", headers=actors.headers("VECOM")).status_code == 200


def test_only_the_owner_changes_visibility(client, actors, db):
    created = create_violation(client, actors, make_subject(db, owner="MOIT-DMS"))
    response = client.post(
        f"{URL}/{created['id']}/visibility",
        json={"visibility": "public", "shared_with": [], "reason": "publish it"},
        headers=actors.headers("MOIT-ECOM"),
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(VisibilityChange)) == 0


def test_lists_count_and_page_only_as_far_as_their_window(client, actors, db, monkeypatch):
    """A list's total is counted up to pagination.LIST_WINDOW and pages stop there (at national scale an
    exact count or a deep OFFSET costs seconds)."""
    from registry.services import pagination

    monkeypatch.setattr(pagination, "LIST_WINDOW", 4)
    subject = make_subject(db, owner="MOIT-DMS")
    created = [create_violation(client, actors, subject)["id"] for _ in range(6)]
    headers = actors.headers("MOIT-DMS")

    def page(**query: object) -> dict:
        response = client.get(URL, query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return response.json

    first = page(per_page=2)
    assert (first["total"], first["total_exact"], first["has_more"]) == (4, False, True)
    second = page(per_page=2, page=2)
    assert (second["total"], second["total_exact"], second["has_more"]) == (4, False, False)
    assert {v["id"] for v in first["items"] + second["items"]} < set(created)
    assert len({v["id"] for v in first["items"] + second["items"]}) == 4
    beyond = client.get(URL, query_string={"per_page": 2, "page": 3}, headers=headers)
    assert beyond.status_code == 422
    assert beyond.mimetype == "application/problem+json"
    assert "page" in beyond.json["errors"]

    narrowed = page(per_page=2, subject_id=str(make_subject(db, owner="MOIT-DMS").id))
    assert (narrowed["total"], narrowed["total_exact"], narrowed["has_more"]) == (0, True, False)
    monkeypatch.setattr(pagination, "LIST_WINDOW", 10)
    everything = page(per_page=4, page=2)
    assert (everything["total"], everything["total_exact"], everything["has_more"]) == (6, True, False)
    assert len(everything["items"]) == 2


def test_an_idempotency_key_makes_a_retry_return_the_first_answer(client, actors, db):
    """A case system that retries after a timeout must not record the case twice."""
    subject = make_subject(db, owner="MOIT-DMS")
    headers = {**actors.headers("MOIT-DMS"), "Idempotency-Key": "case-2026-0417-a"}
    first = client.post(URL, json=violation_body(subject), headers=headers)
    assert first.status_code == 201
    before = violation_count(db)
    retry = client.post(URL, json=violation_body(subject), headers=headers)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json == first.json
    assert violation_count(db) == before

    other_body = client.post(URL, json=violation_body(subject, summary="Another case"), headers=headers)
    assert other_body.status_code == 409
    assert other_body.mimetype == "application/problem+json"
    bad_key = client.post(URL, json=violation_body(subject), headers={**headers, "Idempotency-Key": "short"})
    assert bad_key.status_code == 422 and "Idempotency-Key" in bad_key.json["errors"]
    assert violation_count(db) == before


def test_without_an_idempotency_key_each_request_records_a_case(client, actors, db):
    subject = make_subject(db, owner="MOIT-DMS")
    before = violation_count(db)
    ids = {create_violation(client, actors, subject)["id"] for _ in range(2)}
    assert len(ids) == 2 and violation_count(db) == before + 2
