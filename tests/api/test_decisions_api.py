from __future__ import annotations

import dataclasses
import hashlib
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.models import Decision, DecisionDocument, VisibilityChange
from tests.factories import PDF, PDF_SHA256, create_decision, decision_body

URL = "/api/v1/decisions"


def decision_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Decision))


def test_create_read_and_list(client, actors):
    created = create_decision(client, actors, number="  123 / QĐ-CSKT ", issuer="MPS-C03")
    assert created["number"] == "123/QĐ-CSKT"
    assert created["issuer"] == "MPS-C03"
    assert created["owner"] == "MOIT-DMS"
    assert created["visibility"] == "state"
    assert created["document_uploaded"] is False
    assert created["legal_bases"] == ["Nghị định 98/2020/NĐ-CP"]

    reader = actors.headers("MOF-TAX")
    one = client.get(f"{URL}/{created['id']}", headers=reader)
    assert one.status_code == 200
    assert one.json == created
    listed = client.get(URL, headers=reader)
    assert listed.json["total"] == 1
    assert listed.json["items"][0]["id"] == created["id"]


def test_create_is_audited_with_its_change(client, actors, db):
    created = create_decision(client, actors)
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "decision:create")).one()
    assert entry.resource_id == created["id"]
    assert entry.outcome == "allowed"
    assert b'"change_hash"' in entry.body


def test_duplicate_is_409_pointing_to_existing(client, actors, db):
    first = create_decision(client, actors, number="45/QĐ-XPHC")
    again = client.post(
        URL, json=decision_body(number="45 / QĐ-XPHC", place="Hải Phòng"), headers=actors.headers("MOIT-ECOM")
    )
    assert again.status_code == 409
    assert again.json["existing"] == first["id"]
    assert decision_count(db) == 1


def test_duplicate_of_a_hidden_decision_is_409_without_its_id(client, actors, db):
    create_decision(client, actors, visibility="owner")
    again = client.post(URL, json=decision_body(), headers=actors.headers("MOIT-ECOM"))
    assert again.status_code == 409
    assert "existing" not in again.json
    assert decision_count(db) == 1


def test_same_number_from_another_issuer_or_date_is_a_different_decision(client, actors):
    create_decision(client, actors)
    create_decision(client, actors, issuer="MOIT-ECOM")
    create_decision(client, actors, issued_on="2025-03-15", effective_from="2025-03-15")


TOMORROW = (date.today() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"legal_bases": []}, "legal_bases"),
        ({"legal_bases": None}, "legal_bases"),
        ({"legal_bases": ["  "]}, "legal_bases"),
        ({"document_type": "letter"}, "document_type"),
        ({"number": " "}, "number"),
        ({"issuer": "NOPE"}, "issuer"),
        ({"issued_on": TOMORROW}, "issued_on"),
        ({"effective_to": "2025-03-13"}, "effective_to"),
        ({"document_sha256": "abc"}, "document_sha256"),
        ({"document_sha256": "g" * 64}, "document_sha256"),
        ({"document_sha256": None}, "document_sha256"),
        ({"signer_name": ""}, "signer_name"),
        ({"targets": "daiphat.vn"}, "targets"),
        ({"visibility": "secret"}, "visibility"),
        ({"visibility": "named", "shared_with": []}, "shared_with"),
        ({"visibility": "named", "shared_with": ["NOPE"]}, "shared_with"),
        ({"visibility": "state", "shared_with": ["MOF-TAX"]}, "shared_with"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_decision_is_422_and_nothing_is_written(client, actors, db, overrides, field):
    response = client.post(URL, json=decision_body(**overrides), headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert decision_count(db) == 0


def test_missing_required_field_is_422(client, actors, db):
    body = decision_body()
    del body["document_sha256"]
    response = client.post(URL, json=body, headers=actors.headers("MOIT-DMS"))
    assert response.status_code == 422
    assert response.json["errors"]["document_sha256"] == ["Missing data for required field."]
    assert decision_count(db) == 0


def test_write_needs_the_write_scope_and_a_purpose(client, actors, db):
    read_only = actors.headers("MOIT-DMS", scopes=["registry:read"])
    assert client.post(URL, json=decision_body(), headers=read_only).status_code == 403
    no_purpose = actors.headers("MOIT-DMS", purpose=None)
    assert client.post(URL, json=decision_body(), headers=no_purpose).status_code == 422
    assert client.post(URL, json=decision_body(), headers=actors.headers("VECOM")).status_code == 403
    assert decision_count(db) == 0


def test_list_filters_and_order(client, actors):
    old = create_decision(client, actors, number="1/QĐ", issued_on="2024-01-10", effective_from="2024-01-10")
    new = create_decision(client, actors, number="2/LỆNH", issuer="MPS-C03", document_type="order")
    mid = create_decision(client, actors, number="3/QĐ", issued_on="2024-06-01", effective_from="2024-06-01")
    headers = actors.headers("MOIT-DMS")

    def ids(**query: object) -> list[str]:
        response = client.get(URL, query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids() == [new["id"], mid["id"], old["id"]]
    assert ids(issuer="MPS-C03") == [new["id"]]
    assert ids(issuer="NOPE") == []
    assert ids(number="3 / QĐ") == [mid["id"]]
    assert ids(document_type="order") == [new["id"]]
    assert ids(issued_from="2024-05-01", issued_to="2024-12-31") == [mid["id"]]
    assert ids(per_page=1, page=2) == [mid["id"]]
    bad = client.get(
        URL, query_string={"issued_from": "2024-05-01", "issued_to": "2024-01-01"}, headers=headers
    )
    assert bad.status_code == 422
    assert "issued_to" in bad.json["errors"]


# (visibility, shared_with, reader, reader scopes, visible?)
VISIBILITY_MATRIX = [
    ("owner", [], "MOIT-DMS", None, True),
    ("owner", [], "MOIT-ECOM", None, False),
    ("named", ["MOF-TAX"], "MOF-TAX", None, True),
    ("named", ["MOF-TAX"], "MOIT-ECOM", None, False),
    ("state", [], "PROV-HN", None, True),
    ("state", [], "VNNIC", None, True),
    ("state", [], "VECOM", None, False),
    ("public", [], "VECOM", None, True),
]


@pytest.mark.parametrize(("visibility", "shared_with", "reader", "scopes", "visible"), VISIBILITY_MATRIX)
def test_visibility_matrix(client, actors, visibility, shared_with, reader, scopes, visible):
    created = create_decision(client, actors, visibility=visibility, shared_with=shared_with)
    headers = actors.headers(reader, scopes=scopes)
    one = client.get(f"{URL}/{created['id']}", headers=headers)
    assert one.status_code == (200 if visible else 404)
    listed = client.get(URL, headers=headers)
    assert listed.json["total"] == (1 if visible else 0)


def test_unknown_and_malformed_ids_are_404(client, actors):
    headers = actors.headers("MOIT-DMS")
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=headers).status_code == 404
    assert client.get(f"{URL}/not-a-uuid", headers=headers).status_code == 404


# -- the document ------------------------------------------------------------------------------------


def put_document(
    client, headers, decision_id: str, content: bytes = PDF, content_type: str = "application/pdf"
):
    return client.put(
        f"{URL}/{decision_id}/document", data=content, content_type=content_type, headers=headers
    )


def test_upload_and_download_the_document(client, actors, db):
    created = create_decision(client, actors, document_sha256=PDF_SHA256.upper())
    owner = actors.headers("MOIT-DMS")
    assert client.get(f"{URL}/{created['id']}/document", headers=owner).status_code == 404

    uploaded = put_document(client, owner, created["id"])
    assert uploaded.status_code == 200, uploaded.json
    assert uploaded.json["sha256"] == PDF_SHA256
    assert uploaded.json["size"] == len(PDF)
    assert client.get(f"{URL}/{created['id']}", headers=owner).json["document_uploaded"] is True

    downloaded = client.get(f"{URL}/{created['id']}/document", headers=actors.headers("MOF-TAX"))
    assert downloaded.status_code == 200
    assert downloaded.mimetype == "application/pdf"
    assert downloaded.data == PDF
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"

    again = put_document(client, owner, created["id"])
    assert again.status_code == 200
    assert db.scalar(select(func.count()).select_from(DecisionDocument)) == 1


def test_upload_refuses_other_media_types_with_415(client, actors, db):
    created = create_decision(client, actors)
    response = put_document(client, actors.headers("MOIT-DMS"), created["id"], content_type="text/plain")
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"
    assert db.scalar(select(func.count()).select_from(DecisionDocument)) == 0


def test_upload_refuses_a_document_too_large_with_413(client, actors, app, db, monkeypatch):
    state = app.extensions["registry"]
    monkeypatch.setattr(
        state, "settings", dataclasses.replace(state.settings, max_document_bytes=len(PDF) - 1)
    )
    created = create_decision(client, actors)
    response = put_document(client, actors.headers("MOIT-DMS"), created["id"])
    assert response.status_code == 413
    assert db.scalar(select(func.count()).select_from(DecisionDocument)) == 0


def test_upload_refuses_a_hash_mismatch_with_422(client, actors, db):
    created = create_decision(client, actors)
    response = put_document(client, actors.headers("MOIT-DMS"), created["id"], content=PDF + b"tampered")
    assert response.status_code == 422
    assert "document" in response.json["errors"]
    assert db.scalar(select(func.count()).select_from(DecisionDocument)) == 0


def test_upload_refuses_what_is_not_a_pdf_with_422(client, actors, db):
    fake = b"<html>not a pdf</html>"
    created = create_decision(client, actors, document_sha256=hashlib.sha256(fake).hexdigest())
    response = put_document(client, actors.headers("MOIT-DMS"), created["id"], content=fake)
    assert response.status_code == 422
    assert response.json["errors"]["document"] == ["does not start with %PDF-"]
    assert db.scalar(select(func.count()).select_from(DecisionDocument)) == 0


def test_only_the_owner_uploads(client, actors, db):
    visible = create_decision(client, actors)
    hidden = create_decision(client, actors, number="9/QĐ", visibility="owner")
    other = actors.headers("MOIT-ECOM")
    assert put_document(client, other, visible["id"]).status_code == 403
    assert put_document(client, other, hidden["id"]).status_code == 404
    assert client.get(f"{URL}/{hidden['id']}/document", headers=other).status_code == 404
    read_only = actors.headers("MOIT-DMS", scopes=["registry:read"])
    assert put_document(client, read_only, visible["id"]).status_code == 403
    assert db.scalar(select(func.count()).select_from(DecisionDocument)) == 0


# -- visibility changes ------------------------------------------------------------------------------


def test_owner_changes_visibility_and_the_change_is_recorded(client, actors, db):
    created = create_decision(client, actors, visibility="owner")
    assert client.get(f"{URL}/{created['id']}", headers=actors.headers("MOF-TAX")).status_code == 404
    changed = client.post(
        f"{URL}/{created['id']}/visibility",
        json={"visibility": "named", "shared_with": ["MOF-TAX"], "reason": "Tax needs it for case T-7"},
        headers=actors.headers("MOIT-DMS"),
    )
    assert changed.status_code == 200, changed.json
    assert changed.json == {"visibility": "named", "shared_with": ["MOF-TAX"], "owner": "MOIT-DMS"}
    row = db.scalars(
        select(VisibilityChange).where(VisibilityChange.record_id == uuid.UUID(created["id"]))
    ).one()
    assert (row.record_type, row.old_visibility, row.new_visibility) == ("decision", "owner", "named")
    one = client.get(f"{URL}/{created['id']}", headers=actors.headers("MOF-TAX"))
    assert one.status_code == 200
    assert one.json["shared_with"] == ["MOF-TAX"]


def test_only_the_owner_changes_visibility(client, actors, db):
    created = create_decision(client, actors)
    response = client.post(
        f"{URL}/{created['id']}/visibility",
        json={"visibility": "public", "shared_with": [], "reason": "publish it"},
        headers=actors.headers("MOIT-ECOM"),
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(VisibilityChange)) == 0
    assert client.get(f"{URL}/{created['id']}", headers=actors.headers("VECOM")).status_code == 404


def test_same_document_registered_concurrently_is_a_409_not_a_500(client, actors, db, monkeypatch):
    # The duplicate check cannot see a registration that has not committed yet; the database's
    # unique constraint then decides, and the loser gets a 409.
    from registry.services import decisions as service

    create_decision(client, actors, number="9/QĐ-RACE")
    monkeypatch.setattr(service, "find_duplicate", lambda *args, **kwargs: None)
    again = client.post(URL, json=decision_body(number="9/QĐ-RACE"), headers=actors.headers("MOF-TAX"))
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert decision_count(db) == 1
