"""Each refusal of the block request workflow, with the status and problem document it gets."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from registry.models import BlockRequest, IdempotencyRecord
from tests.blocking.helpers import APPROVER, REVIEWER, SUBMITTER, URL, body
from tests.factories import make_decision


def count(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(BlockRequest))


def test_wrong_scope_is_403(walker, grounds):
    submit_only = walker.actors.headers("MOST", scopes=["blocking:submit"], officer=SUBMITTER)
    response = walker.client.post(
        URL, json=body(*grounds), headers={**submit_only, "Idempotency-Key": "k" * 10}
    )
    assert response.status_code == 201
    rid = response.json["id"]
    no_decide = walker.client.post(f"{URL}/{rid}/review", json={}, headers=submit_only)
    assert no_decide.status_code == 403 and no_decide.json["required_scope"] == "blocking:decide"
    executor = walker.ack(rid, [], agency="MOST")
    assert executor.status_code == 403  # MOST holds no blocking:execute
    reader = walker.actors.headers("MOF-CUSTOMS", scopes=["registry:read"])
    assert walker.client.get(f"{URL}/{rid}", headers=reader).status_code == 403


def test_wrong_agency_gets_404(walker, grounds):
    created = walker.submit_ok(body(*grounds))
    for agency in ("MOIT-DMS", "ISP-FPT", "ISP-VNPT"):  # VNPT is addressed, but nothing is dispatched yet
        assert walker.get(created["id"], agency=agency).status_code == 404, agency
    assert walker.act(created["id"], "review", agency="MOIT-DMS").status_code == 404


def test_non_deciding_agency_with_the_scope_is_403(walker, grounds):
    created = walker.submit_ok(body(*grounds))
    response = walker.act(created["id"], "review", agency="NSC389")  # sees it (oversight), does not decide
    assert response.status_code == 403 and "deciding agency" in response.json["detail"]


def test_four_eyes_compares_officers_qualified_by_their_agency(walker, grounds, db):
    """`MOIT-DMS:an.nv` who submitted is not `MOST:an.nv` who reviews; `MOST:an.nv` twice is one person."""
    decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS")
    created = walker.submit_ok(
        body(decision, grounds[1], action="suspend_domain", executors=[], measure="revoke",
             targets=[{"kind": "domain", "value": "hanggia.com.vn"}]),
        agency="MOIT-DMS", officer="an.nv",
    )  # fmt: skip
    walker.ok(created["id"], "review", officer="an.nv")  # MOST's an.nv: another person
    own = walker.submit_ok(body(*grounds), officer="an.nv")  # submitted by MOST's an.nv
    refused = walker.act(own["id"], "review", officer="an.nv")
    assert refused.status_code == 403 and "Four-eyes" in refused.json["detail"]


def test_a_decision_without_its_document_grounds_no_submission(walker, grounds, db):
    waiting = make_decision(db, document=False)
    draft = walker.create(body(waiting, grounds[1], draft=True))
    assert draft.status_code == 201, draft.json  # a draft may name it; the document comes before submission
    refused = walker.act(draft.json["id"], "submit", officer=SUBMITTER)
    assert refused.status_code == 422 and refused.json["type"].endswith("/decision-not-grounding")
    assert walker.get(draft.json["id"]).json["state"] == "draft"


def test_same_officer_cannot_approve_four_eyes(walker, grounds):
    created = walker.submit_ok(body(*grounds))
    assert walker.act(created["id"], "review", officer=SUBMITTER).status_code == 403
    walker.ok(created["id"], "review", officer=REVIEWER)
    refused = walker.act(created["id"], "approve", officer=SUBMITTER)
    assert refused.status_code == 403 and "Four-eyes" in refused.json["detail"]
    no_officer = walker.act(created["id"], "approve", officer=None)
    assert no_officer.status_code == 403 and "named officer" in no_officer.json["detail"]
    assert walker.get(created["id"]).json["state"] == "under_review"


def test_missing_decision_is_422_and_nothing_is_written(walker, grounds, db):
    before = count(db)
    response = walker.create(body(None, grounds[1]))
    assert response.status_code == 422
    assert "decision_id" in response.json["errors"]
    assert count(db) == before
    draft = walker.submit_ok(body(None, grounds[1], draft=True))  # a draft may wait for its decision
    refused = walker.act(draft["id"], "submit", officer=SUBMITTER)
    assert refused.status_code == 422 and "decision_id" in refused.json["errors"]


def test_decision_not_visible_to_submitter_is_422(walker, db, grounds):
    hidden = make_decision(db, owner="MPS-A05", issuer="MPS-A05", visibility="owner")
    response = walker.create(body(hidden, grounds[1]))
    assert response.status_code == 422 and "decision_id" in response.json["errors"]


def test_incompetent_issuer_is_422(walker, db, grounds):
    tax = make_decision(db, issuer="MOF-TAX")  # Tax orders no block
    response = walker.create(body(tax, grounds[1]))
    assert response.status_code == 422
    assert response.json["errors"]["decision_id"] == ["MOF-TAX is not competent to order block at isp"]


def test_decision_expiring_before_the_request_is_422(walker, db, grounds):
    from datetime import date, timedelta

    short = make_decision(db, effective_to=date.today() + timedelta(days=10))
    response = walker.create(body(short, grounds[1]))
    assert response.status_code == 422 and "effective_to" in response.json["detail"]


def test_competence_is_checked_again_at_approval(walker, grounds, monkeypatch):
    from registry.services import competence

    created = walker.submit_ok(body(*grounds))
    walker.ok(created["id"], "review")
    monkeypatch.setattr(competence, "table", lambda path=None: {"block_at_isp": ("MPS-A05",)})
    refused = walker.act(created["id"], "approve", officer=APPROVER)
    assert refused.status_code == 422 and "MOST is not competent" in refused.json["detail"]


def test_invalid_transition_is_409_with_current_and_allowed(walker, grounds):
    created = walker.submit_ok(body(*grounds))
    response = walker.act(created["id"], "approve", officer=APPROVER)
    assert response.status_code == 409
    assert response.json["current_state"] == "submitted"
    assert response.json["allowed"] == ["start_review"]
    assert response.json["type"].endswith("/invalid-transition")
    dispatch = walker.act(created["id"], "dispatch", officer=APPROVER)
    assert dispatch.status_code == 409 and dispatch.json["current_state"] == "submitted"
    edit = walker.client.patch(
        f"{URL}/{created['id']}", json={"urgent": True}, headers=walker.h("MOST", SUBMITTER)
    )
    assert edit.status_code == 409 and edit.json["current_state"] == "submitted"
    ack = walker.ack(created["id"], [{"target_id": created["targets"][0]["id"], "outcome": "executed"}])
    assert ack.status_code == 404  # not dispatched: the executor does not see it yet


def test_ack_before_dispatch_and_after_lift_is_409(walker, grounds):
    request = walker.in_effect(body(*grounds))
    walker.ok(request["id"], "lift", officer=APPROVER, reason="Đã gỡ vi phạm", decision_id=walker.decision())
    target = request["targets"][0]["id"]
    late = walker.ack(request["id"], [{"target_id": target, "outcome": "executed"}], agency="ISP-VIETTEL")
    assert late.status_code == 409 and late.json["current_state"] == "lifted"


def test_reasons_are_required_for_return_reject_lift_revoke(walker, grounds):
    created = walker.submit_ok(body(*grounds))
    walker.ok(created["id"], "review")
    response = walker.act(created["id"], "reject")
    assert response.status_code == 422 and "reason" in response.json["errors"]


def test_bad_targets_and_executors_are_422(walker, grounds):
    cases = [
        ({"targets": [{"kind": "domain", "value": "not a domain"}]}, "targets.0.value"),
        ({"targets": [{"kind": "marketplace_shop", "value": "shopee:123"}]}, "targets.0.kind"),
        ({"executors": ["VNNIC"]}, "executors"),
        (
            {"action": "suspend_domain", "executors": [], "targets": [{"kind": "domain", "value": "x.com"}]},
            "targets.0.value",
        ),
        (
            {
                "action": "remove_listing",
                "executors": [],
                "targets": [{"kind": "url", "value": "https://x.vn/a"}],
            },
            "targets.0.value",
        ),
    ]
    for overrides, field in cases:
        response = walker.create(body(*grounds, **overrides))
        assert response.status_code == 422, overrides
        assert field in response.json["errors"], (overrides, response.json)


def test_idempotent_retry_returns_the_first_answer_once(walker, grounds, db):
    key = str(uuid.uuid4())
    data = body(*grounds)
    first = walker.create(data, key=key)
    again = walker.create(data, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert count(db) == 1
    other = walker.create({**data, "reason": "Khác"}, key=key)
    assert other.status_code == 409 and "different request" in other.json["detail"]
    assert count(db) == 1
    assert db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    missing = walker.client.post(URL, json=data, headers=walker.h("MOST", SUBMITTER))
    assert missing.status_code == 422 and "Idempotency-Key" in missing.json["errors"]
