"""Decisions as the trust anchor: the issuer is the recording agency or confirms the record; the document's
digital signatures are checked against the trust list; a failed check grounds nothing until a
reviewing officer overrides it (four-eyes, audited)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.models import AuditEntry
from registry.cli import main
from registry.db import make_engine
from registry.models import Decision, DecisionDocument
from tests.blocking.helpers import Walker, body
from tests.factories import PDF, create_decision, decision_body, make_decision, make_violation
from tests.signing import stranger, tampered, trusted

URL = "/api/v1/decisions"


@pytest.fixture
def walker(client, actors, db) -> Walker:  # type: ignore[no-untyped-def]
    return Walker(client, actors, db)


def upload(client, headers, decision_id: str, content: bytes):  # type: ignore[no-untyped-def]
    return client.put(
        f"{URL}/{decision_id}/document", data=content, content_type="application/pdf", headers=headers
    )


def recorded(client, actors, content: bytes, agency: str = "MOST", officer: str = "most-clerk", **overrides):  # type: ignore[no-untyped-def]
    """A decision recorded and its document uploaded by `agency`'s `officer`."""
    headers = actors.headers(agency, officer=officer)
    fields = {
        "issuer": agency, "number": f"{uuid.uuid4().hex[:5]}/QĐ-CVT", "targets": ["hanggia-mypham.vn"],
        "effective_to": None, "document_sha256": hashlib.sha256(content).hexdigest(), **overrides,
    }  # fmt: skip
    created = client.post(URL, json=decision_body(**fields), headers=headers)
    assert created.status_code == 201, created.json
    assert upload(client, headers, created.json["id"], content).status_code == 200
    return client.get(f"{URL}/{created.json['id']}", headers=headers).json


def submit(walker: Walker, db: Session, decision_id: str):  # type: ignore[no-untyped-def]
    decision = db.get(Decision, uuid.UUID(decision_id))
    return walker.create(body(decision, make_violation(db)))


def test_the_issuer_is_the_recording_agency_unless_named(client, actors):
    headers = actors.headers("MOIT-DMS", officer="dms-clerk")
    created = client.post(URL, json={**decision_body(), "issuer": None}, headers=headers).json
    assert created["issuer"] == "MOIT-DMS" and created["issuer_confirmation"] == "own"
    assert created["recorded_by"] == "dms-clerk" and created["signature_status"] == "unchecked"


def test_a_decision_recorded_on_behalf_grounds_nothing_until_its_issuer_confirms(client, actors, db, walker):
    # Market surveillance records a decision "issued by MOST", shared with no one: MOST is shown it anyway.
    clerk = actors.headers("MOIT-DMS", officer="dms-clerk")
    created = create_decision(
        client, actors, issuer="MOST", visibility="owner", effective_to=None, number="9/QĐ-CVT"
    )
    assert created["issuer_confirmation"] == "pending" and created["shared_with"] == ["MOST"]
    assert upload(client, clerk, created["id"], PDF).status_code == 200

    refused = submit(walker, db, created["id"])
    assert refused.status_code == 422 and refused.json["type"].endswith("/decision-not-grounding")
    assert "has not confirmed it" in refused.json["errors"]["decision_id"][0]

    path = f"{URL}/{created['id']}/confirmation"
    assert client.post(path, json={"confirmed": True}, headers=clerk).status_code == 403  # not the issuer
    no_officer = client.post(path, json={"confirmed": True}, headers=actors.headers("MOST"))
    assert no_officer.status_code == 403 and "named officer" in no_officer.json["detail"]
    head = actors.headers("MOST", officer="most-head")
    confirmed = client.post(path, json={"confirmed": True, "note": "Đúng quyết định của Cục"}, headers=head)
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["issuer_confirmation"] == "confirmed"
    assert confirmed.json["issuer_confirmed_by"] == "most-head" and confirmed.json["issuer_confirmed_at"]
    again = client.post(path, json={"confirmed": True}, headers=actors.headers("MOST", officer="most-head"))
    assert again.status_code == 409

    accepted = submit(walker, db, created["id"])
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["decision"]["issuer_confirmation"] == "confirmed"
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "decision:confirm", AuditEntry.outcome == "allowed")
    ).one()
    assert entry.agency == "MOST" and entry.officer == "most-head"


def test_a_refused_record_grounds_nothing(client, actors, db, walker):
    created = create_decision(client, actors, issuer="MOST", effective_to=None, number="10/QĐ-CVT")
    upload(client, actors.headers("MOIT-DMS"), created["id"], PDF)
    refusal = client.post(
        f"{URL}/{created['id']}/confirmation",
        json={"confirmed": False, "note": "Không phải văn bản của Cục"},
        headers=actors.headers("MOST", officer="most-head"),
    )
    assert refusal.json["issuer_confirmation"] == "refused"
    refused = submit(walker, db, created["id"])
    assert refused.status_code == 422 and "refused to confirm" in refused.json["errors"]["decision_id"][0]


def test_a_signed_document_is_verified_and_its_signer_shown_wherever_the_decision_is(
    client, actors, db, walker
):
    decision = recorded(client, actors, trusted().sign("Trần Thị Bình", serial=0xABC123))
    assert decision["signature_status"] == "verified" and decision["signature_checked_at"]
    [signature] = decision["signatures"]
    assert signature["signer"] == "Trần Thị Bình" and signature["certificate_serial"] == "abc123"
    assert "Common Name: Test Government Root CA" in signature["certificate_issuer"]
    assert signature["signed_at"] and signature["certificate_valid_from"] < signature["certificate_valid_to"]
    assert signature["verified"] is True and signature["problems"] == []
    assert signature["coverage"] == "entire_file"

    submitted = submit(walker, db, decision["id"])
    assert submitted.status_code == 201, submitted.json
    shown = submitted.json["decision"]
    assert shown["signature_status"] == "verified" and shown["signatures"][0]["signer"] == "Trần Thị Bình"


def test_an_unsigned_scan_grounds_and_is_marked(client, actors, db, walker):
    decision = recorded(client, actors, PDF)
    assert decision["signature_status"] == "unsigned" and decision["signatures"] == []
    assert submit(walker, db, decision["id"]).status_code == 201


def test_an_altered_document_fails_its_check(client, actors):
    decision = recorded(client, actors, tampered(trusted().sign()))
    assert decision["signature_status"] == "failed"
    assert decision["signatures"][0]["problems"] == ["the document was altered after it was signed"]


def test_an_untrusted_signature_grounds_nothing_until_a_reviewing_officer_overrides(
    client, actors, db, walker
):
    decision = recorded(client, actors, stranger().sign(), officer="most-clerk")
    assert decision["signature_status"] == "failed" and decision["signature_override"] is None
    assert "does not chain to the trust list" in decision["signatures"][0]["problems"][0]
    refused = submit(walker, db, decision["id"])
    assert refused.status_code == 422 and "does not verify" in refused.json["errors"]["decision_id"][0]

    path = f"{URL}/{decision['id']}/signature-override"
    reason = {"reason": "Chứng thư của nhà cung cấp mới, đã xác minh qua điện thoại"}
    not_reviewer = client.post(path, json=reason, headers=actors.headers("MOIT-DMS", officer="dms-head"))
    assert not_reviewer.status_code == 403
    own = client.post(path, json=reason, headers=actors.headers("MOST", officer="most-clerk"))
    assert own.status_code == 403 and "Four-eyes" in own.json["detail"]
    short = client.post(path, json={"reason": "ok"}, headers=actors.headers("MOST", officer="most-head"))
    assert short.status_code == 422 and "reason" in short.json["errors"]
    assert db.get(Decision, uuid.UUID(decision["id"])).signature_override_at is None

    done = client.post(path, json=reason, headers=actors.headers("MOST", officer="most-head"))
    assert done.status_code == 200, done.json
    assert done.json["signature_override"]["officer"] == "most-head"
    assert done.json["signature_override"]["agency"] == "MOST" and done.json["signature_override"]["reason"]
    assert (
        client.post(path, json=reason, headers=actors.headers("MOST", officer="most-head")).status_code == 409
    )
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "decision:override_signature", AuditEntry.outcome == "allowed"
        )
    ).one()
    assert entry.officer == "most-head"

    accepted = submit(walker, db, decision["id"])
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["decision"]["signature_override"]["officer"] == "most-head"


def test_only_a_failed_check_is_overridden(client, actors):
    decision = recorded(client, actors, PDF)
    response = client.post(
        f"{URL}/{decision['id']}/signature-override", json={"reason": "Không cần thiết nhưng vẫn thử"},
        headers=actors.headers("MOST", officer="most-head"),
    )  # fmt: skip
    assert response.status_code == 409


def test_check_signatures_again_after_the_trust_list_changes(fresh_database, cli_env, tmp_path):
    signed = stranger().sign()
    engine = make_engine(fresh_database)
    with Session(engine) as session:
        decision = make_decision(session, document=False, document_sha256=hashlib.sha256(signed).hexdigest())
        decision.document = DecisionDocument(
            sha256=decision.document_sha256, content_type="application/pdf", size=len(signed), content=signed
        )
        session.commit()
        decision_id = decision.id
    runner = CliRunner()
    first = runner.invoke(main, ["decisions", "check-signatures", "--json"], env=cli_env)
    assert first.exit_code == 0, first.output
    assert '"failed": 1' in first.output  # no trust list configured: nothing chains

    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "stranger.pem").write_bytes(stranger().pem())
    second = runner.invoke(
        main, ["decisions", "check-signatures"], env={**cli_env, "REGISTRY_TRUST_DIR": str(trust)}
    )
    assert second.exit_code == 0, second.output
    assert "verified   1" in second.output
    with Session(engine) as session:
        assert session.get(Decision, decision_id).signature_status == "verified"
    engine.dispose()
