"""A mirror site is added under a decision naming it, or with a deciding officer's explicit confirmation
(a recorded step with the officer and the reason): a link to the original's subjects alone is not enough."""

from __future__ import annotations

from tests.blocking.helpers import APPROVER, REVIEWER, SUBMITTER, URL, body
from tests.factories import make_decision, make_subject, make_violation


def _original(walker, db):  # type: ignore[no-untyped-def]
    subject = make_subject(db)
    decision = make_decision(db, targets=["hanggia-mypham.vn", "guong-1.vn"])
    original = walker.in_effect(body(decision, make_violation(db, subjects=[subject])))
    link = walker.client.post(
        "/api/v1/links",
        json={
            "subject_id": str(subject.id),
            "source": "inspection",
            "identifier": {"kind": "domain", "value": "guong-2.vn"},
        },
        headers=walker.h("MOST"),
    )
    assert link.status_code == 201, link.json
    return original


def test_a_mirror_named_in_the_decision_needs_no_confirmation(walker, db):
    original = _original(walker, db)
    named = walker.submit_ok(
        body(None, None, mirror_of=original["id"], targets=[{"kind": "domain", "value": "guong-1.vn"}])
    )
    assert named["targets"][0]["mirror_coverage"] == "named"
    walker.ok(named["id"], "review")
    assert "confirm_mirror" not in walker.get(named["id"]).json["allowed_actions"]
    nothing = walker.act(named["id"], "confirm-mirror", reason="Cùng chủ sở hữu, cùng nội dung")
    assert nothing.status_code == 422
    assert walker.ok(named["id"], "approve", officer=APPROVER)["state"] == "approved"


def test_a_mirror_only_linked_to_the_subjects_needs_the_deciders_confirmation(walker, db):
    original = _original(walker, db)
    linked = walker.submit_ok(
        body(None, None, mirror_of=original["id"], targets=[{"kind": "domain", "value": "guong-2.vn"}])
    )
    assert linked["targets"][0]["mirror_coverage"] == "linked" and linked["decision"]["number"]
    walker.ok(linked["id"], "review")
    assert "confirm_mirror" in walker.get(linked["id"]).json["allowed_actions"]
    refused = walker.act(linked["id"], "approve", officer=APPROVER)
    assert refused.status_code == 422 and "confirm" in refused.json["detail"], refused.json
    assert "targets" in refused.json["errors"]
    why = "Cùng chủ sở hữu (biên bản 12/BB), nội dung trùng trang gốc"
    own = walker.act(linked["id"], "confirm-mirror", officer=SUBMITTER, reason=why)
    assert own.status_code == 403  # four-eyes: not the submitting officer
    short = walker.act(linked["id"], "confirm-mirror", reason="ok")
    assert short.status_code == 422 and "reason" in short.json["errors"]
    other = walker.act(linked["id"], "confirm-mirror", agency="MOIT-DMS", officer="x", reason=why)
    assert other.status_code in (403, 404)
    confirmed = walker.ok(linked["id"], "confirm-mirror", officer=REVIEWER, reason=why)
    step = confirmed["transitions"][-1]
    assert (step["action"], step["officer"], step["reason"], step["agency"]) == (
        "confirm_mirror",
        REVIEWER,
        why,
        "MOST",
    )
    assert step["detail"]["targets"] == ["guong-2.vn"] and confirmed["state"] == "under_review"
    assert walker.ok(linked["id"], "approve", officer=APPROVER)["state"] == "approved"


def test_a_confirmation_does_not_survive_a_return_and_new_targets(walker, db):
    original = _original(walker, db)
    linked = walker.submit_ok(
        body(None, None, mirror_of=original["id"], targets=[{"kind": "domain", "value": "guong-2.vn"}])
    )
    walker.ok(linked["id"], "review")
    walker.ok(linked["id"], "confirm-mirror", reason="Cùng chủ sở hữu, cùng nội dung")
    walker.ok(linked["id"], "return", reason="Bổ sung mục tiêu")
    changed = walker.client.patch(
        f"{URL}/{linked['id']}",
        json={
            "targets": [{"kind": "domain", "value": "guong-2.vn"}, {"kind": "domain", "value": "guong-1.vn"}]
        },
        headers=walker.h("MOST", SUBMITTER),
    )
    assert changed.status_code == 200, changed.json
    assert [t["mirror_coverage"] for t in changed.json["targets"]] == ["linked", "named"]
    unlinked = walker.client.patch(
        f"{URL}/{linked['id']}",
        json={"targets": [{"kind": "domain", "value": "guong-3.vn"}]},
        headers=walker.h("MOST", SUBMITTER),
    )
    assert unlinked.status_code == 422 and "does not cover guong-3.vn" in unlinked.json["detail"]
    walker.ok(linked["id"], "submit", officer=SUBMITTER)
    walker.ok(linked["id"], "review")
    again = walker.act(linked["id"], "approve", officer=APPROVER)
    assert again.status_code == 422  # confirmed before the resubmission: confirm again
