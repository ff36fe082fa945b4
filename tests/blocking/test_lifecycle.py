"""The whole life of a block request through the HTTP API, one transition at a time."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from registry.models import BlockTarget, Identifier, WorkflowTransition
from tests.blocking.helpers import APPROVER, REVIEWER, SUBMITTER, URL, body


def draft_targets(request: dict) -> list[dict]:
    return [{"kind": t["kind"], "value": t["value"]} for t in request["targets"]]


def test_draft_submit_review_return_resubmit_approve_dispatch_execute_lift(walker, grounds, db):
    decision, violation = grounds
    draft = walker.submit_ok(
        body(
            decision,
            violation,
            draft=True,
            targets=[
                {"kind": "domain", "value": "https://WWW.HangGia-MyPham.VN/san-pham"},
                {"kind": "ip", "value": "::ffff:203.0.113.7"},
                {"kind": "url", "value": "http://hanggia-mypham.vn:80/a/../khuyen-mai"},
            ],
        )
    )
    assert draft["state"] == "draft"
    assert [(t["kind"], t["value"]) for t in draft["targets"]] == [
        ("domain", "www.hanggia-mypham.vn"),
        ("ip", "203.0.113.7"),
        ("url", "http://hanggia-mypham.vn/khuyen-mai"),
    ]
    # each target is a registry identifier
    ids = {t["identifier_id"] for t in draft["targets"]}
    assert {
        str(i.id) for i in db.scalars(select(Identifier).where(Identifier.kind.in_(["domain", "ip", "url"])))
    } >= ids
    rid = draft["id"]

    edited = walker.client.patch(f"{URL}/{rid}", json={"urgent": True}, headers=walker.h("MOST", SUBMITTER))
    assert edited.status_code == 200 and edited.json["urgent"] is True
    retargeted = walker.client.patch(
        f"{URL}/{rid}",
        json={"targets": [*draft_targets(draft), {"kind": "domain", "value": "thu-them.vn"}]},
        headers=walker.h("MOST", SUBMITTER),
    )
    assert retargeted.status_code == 200, retargeted.json
    assert [t["value"] for t in retargeted.json["targets"]][-1] == "thu-them.vn"
    assert [e["executor"] for e in retargeted.json["executors"]] == ["ISP-VNPT", "ISP-VIETTEL"]
    restored = walker.client.patch(
        f"{URL}/{rid}", json={"targets": draft_targets(draft)}, headers=walker.h("MOST", SUBMITTER)
    )
    assert len(restored.json["targets"]) == 3

    submitted = walker.ok(rid, "submit", officer=SUBMITTER)
    assert submitted["state"] == "submitted" and submitted["submitted_by"] == SUBMITTER
    assert submitted["state_due_at"] is not None  # review deadline

    assert walker.ok(rid, "review")["state"] == "under_review"
    returned = walker.ok(rid, "return", reason="Nêu rõ vi phạm của trang khuyến mãi")
    assert returned["state"] == "returned"
    fixed = walker.client.patch(
        f"{URL}/{rid}",
        json={"reason": "Website bán mỹ phẩm giả (bổ sung)"},
        headers=walker.h("MOST", SUBMITTER),
    )
    assert fixed.status_code == 200, fixed.json
    assert walker.ok(rid, "submit", officer=SUBMITTER)["state"] == "submitted"
    walker.ok(rid, "review")
    approved = walker.ok(rid, "approve", officer=APPROVER)
    assert approved["state"] == "approved"
    assert (approved["submitted_by"], approved["approved_by"]) == (SUBMITTER, APPROVER)

    dispatched = walker.ok(rid, "dispatch", officer=APPROVER)
    assert dispatched["state"] == "dispatched"
    assert all(e["dispatched_at"] and e["due_at"] for e in dispatched["executors"])

    targets = [t["id"] for t in dispatched["targets"]]
    refused = walker.ack(
        rid, [{"target_id": targets[0], "outcome": "not_executable", "reason": "not_our_customer"}]
    )
    assert refused.status_code == 200 and refused.json["state"] == "dispatched"  # nothing in effect yet
    executed = walker.ack(rid, [{"target_id": targets[1], "outcome": "executed"}], agency="ISP-VIETTEL")
    assert executed.status_code == 200 and executed.json["state"] == "in_effect"
    assert executed.json["view"] == "executor" and executed.json["executor"]["executor"] == "ISP-VIETTEL"

    lifted = walker.ok(
        rid, "lift", officer=APPROVER, reason="Đã khắc phục vi phạm", decision_id=walker.decision()
    )
    assert lifted["state"] == "lifted"

    steps = [(t["action"], t["from_state"], t["to_state"]) for t in lifted["transitions"]]
    assert steps == [
        ("create", None, "draft"),
        ("submit", "draft", "submitted"),
        ("start_review", "submitted", "under_review"),
        ("return", "under_review", "returned"),
        ("submit", "returned", "submitted"),
        ("start_review", "submitted", "under_review"),
        ("approve", "under_review", "approved"),
        ("dispatch", "approved", "dispatched"),
        ("take_effect", "dispatched", "in_effect"),
        ("lift", "in_effect", "lifted"),
    ]
    by_action = {t["action"]: t for t in lifted["transitions"]}
    assert by_action["approve"]["officer"] == APPROVER and by_action["approve"]["agency"] == "MOST"
    assert by_action["approve"]["decision_id"] == str(decision.id)
    assert by_action["return"]["reason"] == "Nêu rõ vi phạm của trang khuyến mãi"
    assert by_action["take_effect"]["agency"] == "ISP-VIETTEL"
    rows = db.scalars(
        select(WorkflowTransition).where(WorkflowTransition.record_type == "block_request")
    ).all()
    assert len(rows) == 10 and all(r.at is not None for r in rows)


def test_reject(walker, grounds):
    created = walker.submit_ok(body(*grounds))
    walker.ok(created["id"], "review")
    rejected = walker.ok(created["id"], "reject", officer=REVIEWER, reason="Không đủ căn cứ")
    assert rejected["state"] == "rejected" and rejected["allowed_actions"] == []


def test_revoke_dispatched(walker, grounds):
    request = walker.approved(body(*grounds))
    walker.ok(request["id"], "dispatch", officer=APPROVER)
    revoked = walker.ok(
        request["id"], "revoke", officer=APPROVER, reason="Quyết định bị hủy", decision_id=walker.decision()
    )
    assert revoked["state"] == "revoked"


def test_suspend_domain_goes_to_vnnic_and_remove_listing_to_the_platform(walker, db):
    from tests.factories import make_decision, make_violation

    decision, violation = (
        make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS"),
        make_violation(db, owner="MOIT-DMS"),
    )
    suspend = walker.submit_ok(
        body(
            decision,
            violation,
            action="suspend_domain",
            executors=[],
            measure="revoke",
            targets=[{"kind": "domain", "value": "hanggia.com.vn"}],
        ),
        agency="MOIT-DMS",
    )
    assert [e["executor"] for e in suspend["executors"]] == ["VNNIC"] and suspend["measure"] == "revoke"

    listing = walker.submit_ok(
        body(
            decision,
            violation,
            action="remove_listing",
            executors=[],
            targets=[
                {"kind": "marketplace_shop", "value": "https://shopee.vn/shop/123456"},
                {"kind": "url", "value": "https://shopee.vn/my-pham-gia-i.123456.789"},
            ],
        ),
        agency="MOIT-DMS",
    )
    assert [e["executor"] for e in listing["executors"]] == ["shopee"]
    # marketplace takedowns are decided by the e-commerce agency, not the telecom authority
    assert walker.act(listing["id"], "review", agency="MOST").status_code == 403
    walker.ok(listing["id"], "review", agency="MOIT-ECOM")
    walker.ok(listing["id"], "approve", agency="MOIT-ECOM", officer=APPROVER)
    walker.ok(listing["id"], "dispatch", agency="MOIT-ECOM", officer=APPROVER)
    target = listing["targets"][0]["id"]
    reply = walker.client.post(
        f"{URL}/{listing['id']}/platform-acknowledgements",
        json={"platform": "shopee", "acknowledgements": [{"target_id": target, "outcome": "executed"}]},
        headers=walker.h("MOIT-ECOM", APPROVER),
    )
    assert reply.status_code == 200, reply.json
    assert reply.json["state"] == "in_effect"
    assert reply.json["executors"][0]["acknowledgements"][0]["recorded_by"] == "MOIT-ECOM"
    # a platform request is not in any ISP's view
    assert walker.get(listing["id"], agency="ISP-VNPT").status_code == 404
    assert (
        db.scalar(select(BlockTarget.platform).where(BlockTarget.request_id == uuid.UUID(listing["id"])))
        == "shopee"
    )
