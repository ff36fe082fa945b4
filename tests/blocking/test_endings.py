"""How a block ends: a lift, a revocation or an appeal's outcome rests on a written decision, like the
block; each executor that executed it then confirms the removal."""

from __future__ import annotations

import uuid

from tests.blocking.helpers import APPROVER, REVIEWER, SUBMITTER, URL, body
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
