"""How a block ends: a lift, a revocation or an appeal's outcome rests on a written decision, like the
block; each executor that executed it then confirms the removal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from registry.models import Agency, BlockExecutor
from tests.blocking.helpers import APPROVER, REVIEWER, SUBMITTER, URL, body, past_validity
from tests.factories import make_decision


def test_lift_and_revoke_need_a_written_decision_that_can_ground_them(walker, grounds, db):
    request = walker.in_effect(body(*grounds))
    rid = request["id"]
    for action in ("lift", "revoke"):
        missing = walker.act(rid, action, officer=APPROVER, reason="Đã khắc phục")
        assert missing.status_code == 422 and "decision_id" in missing.json["errors"], missing.json
    no_document = str(make_decision(db, document=False).id)
    refused = walker.act(rid, "lift", officer=APPROVER, reason="Đã khắc phục", decision_id=no_document)
    assert refused.status_code == 422 and refused.json["type"].endswith("/decision-not-grounding")
    hidden = str(make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS", visibility="owner").id)
    refused = walker.act(rid, "lift", officer=APPROVER, reason="Đã khắc phục", decision_id=hidden)
    assert refused.status_code == 422 and "visible" in str(refused.json["errors"]["decision_id"])
    tax = str(make_decision(db, issuer="MOF-TAX", owner="MOF-TAX").id)
    refused = walker.act(rid, "revoke", officer=APPROVER, reason="Hủy", decision_id=tax)
    assert refused.status_code == 422 and "not competent" in str(refused.json["errors"]["decision_id"])
    assert walker.get(rid).json["state"] == "in_effect"  # nothing written
    lifting = walker.decision()
    lifted = walker.ok(rid, "lift", officer=APPROVER, reason="Đã khắc phục", decision_id=lifting)
    assert lifted["state"] == "lifted" and lifted["transitions"][-1]["decision_id"] == lifting


def test_an_appeal_is_decided_on_a_written_decision(walker, grounds, db):
    request = walker.in_effect(body(*grounds))
    filed = walker.client.post(
        f"{URL}/{request['id']}/appeals",
        json={"appellant": "Công ty TNHH Hàng Giả", "grounds": "Đã gỡ sản phẩm"},
        headers={**walker.h("MOST", SUBMITTER), "Idempotency-Key": uuid.uuid4().hex},
    )
    decide = f"{URL}/{request['id']}/appeals/{filed.json['id']}/decision"
    upheld = {"outcome": "upheld", "reason": "Đã khắc phục"}
    missing = walker.client.post(decide, json=upheld, headers=walker.h("MOST", REVIEWER))
    assert missing.status_code == 422 and "decision_id" in missing.json["errors"]
    no_document = str(make_decision(db, document=False).id)
    refused = walker.client.post(
        decide, json={**upheld, "decision_id": no_document}, headers=walker.h("MOST", REVIEWER)
    )
    assert refused.status_code == 422 and refused.json["type"].endswith("/decision-not-grounding")
    decision = walker.decision()
    done = walker.client.post(
        decide, json={**upheld, "decision_id": decision}, headers=walker.h("MOST", REVIEWER)
    )
    assert done.status_code == 200, done.json
    assert done.json["state"] == "lifted" and done.json["appeals"][0]["decision_id"] == decision


def _executor(db, request_id: str, code: str) -> BlockExecutor:  # type: ignore[no-untyped-def]
    return db.scalars(
        select(BlockExecutor)
        .join(Agency, Agency.id == BlockExecutor.agency_id)
        .where(BlockExecutor.request_id == uuid.UUID(request_id), Agency.code == code)
    ).one()


def test_executors_that_executed_confirm_the_removal_after_a_lift(walker, grounds, db):
    request = walker.in_effect(body(*grounds, executors=["ISP-VNPT", "ISP-VIETTEL"]))
    rid = request["id"]
    confirm = f"{URL}/{rid}/removal-acknowledgement"
    early = walker.client.post(confirm, json={}, headers=walker.h("ISP-VNPT", "vnpt.noc"))
    assert early.status_code == 409 and early.json["current_state"] == "in_effect"
    lifted = walker.ok(rid, "lift", officer=APPROVER, reason="Đã khắc phục", decision_id=walker.decision())
    assert lifted["pending_unblock"] == ["ISP-VNPT"]  # VIETTEL never executed it
    vnpt = next(e for e in lifted["executors"] if e["executor"] == "ISP-VNPT")
    assert vnpt["unblock"]["pending"] is True and vnpt["unblock"]["due_at"] and not vnpt["unblock"]["overdue"]
    nothing = walker.client.post(confirm, json={}, headers=walker.h("ISP-VIETTEL", "viettel.noc"))
    assert nothing.status_code == 409 and "nothing to remove" in nothing.json["detail"]
    office = walker.h("NSC389", scopes=["reports:read"])
    assert walker.client.get(f"{URL}/overdue", headers=office).json["items"] == []

    # past the deadline: overdue for the Standing Office, naming the executor
    _executor(db, rid, "ISP-VNPT").unblock_due_at = datetime.now(UTC) - timedelta(minutes=1)
    db.flush()
    overdue = walker.client.get(f"{URL}/overdue", headers=office).json["items"]
    assert [(i["id"], i["late_unblock"], i["state"]) for i in overdue] == [(rid, ["ISP-VNPT"], "lifted")]

    done = walker.client.post(
        confirm, json={"note": "Đã gỡ khỏi DNS"}, headers=walker.h("ISP-VNPT", "vnpt.noc")
    )
    assert done.status_code == 200, done.json
    unblock = done.json["executor"]["unblock"]
    assert unblock["pending"] is False and unblock["confirmed_at"] and unblock["officer"] == "vnpt.noc"
    assert unblock["recorded_by"] == "ISP-VNPT" and unblock["note"] == "Đã gỡ khỏi DNS"
    assert walker.get(rid).json["pending_unblock"] == []
    assert walker.client.get(f"{URL}/overdue", headers=office).json["items"] == []
    again = walker.client.post(confirm, json={}, headers=walker.h("ISP-VNPT", "vnpt.noc"))
    assert again.status_code == 409


def test_revocation_upheld_appeal_and_expiry_also_ask_for_removal(walker, grounds, db):
    revoked = walker.in_effect(body(*grounds))
    after = walker.ok(revoked["id"], "revoke", officer=APPROVER, reason="Hủy", decision_id=walker.decision())
    assert after["pending_unblock"] == ["ISP-VNPT"]

    appealed = walker.in_effect(body(*grounds, targets=[{"kind": "domain", "value": "khieu-nai.vn"}]))
    filed = walker.client.post(
        f"{URL}/{appealed['id']}/appeals",
        json={"appellant": "A", "grounds": "B"},
        headers={**walker.h("MOST", SUBMITTER), "Idempotency-Key": uuid.uuid4().hex},
    )
    upheld = walker.client.post(
        f"{URL}/{appealed['id']}/appeals/{filed.json['id']}/decision",
        json={"outcome": "upheld", "reason": "Đã khắc phục", "decision_id": walker.decision()},
        headers=walker.h("MOST", REVIEWER),
    )
    assert upheld.json["state"] == "lifted" and upheld.json["pending_unblock"] == ["ISP-VNPT"]

    expiring = walker.in_effect(body(*grounds, targets=[{"kind": "domain", "value": "het-han.vn"}]))
    past_validity(db, expiring["id"])
    shown = walker.get(expiring["id"]).json  # before the tick: shown expired, the removal already owed
    assert shown["state"] == "expired" and shown["pending_unblock"] == ["ISP-VNPT"]
    confirmed = walker.client.post(
        f"{URL}/{expiring['id']}/removal-acknowledgement", json={}, headers=walker.h("ISP-VNPT", "noc")
    )
    assert confirmed.status_code == 200, confirmed.json  # the write records the expiry first
    assert confirmed.json["state"] == "expired" and confirmed.json["executor"]["unblock"]["pending"] is False
