"""Expiry (tick and read time), deadlines and the overdue list, appeals, mirrors, and the seller history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import update

from registry.models import BlockExecutor, BlockRequest
from registry.services import blocking
from registry.services.history import history
from tests.blocking.helpers import APPROVER, REVIEWER, SUBMITTER, URL, backdate, body, past_validity
from tests.factories import make_decision, make_subject, make_violation


def test_tick_expires_in_effect_requests_as_a_system_transition(walker, grounds, db):
    request = walker.in_effect(body(*grounds))
    keep = walker.in_effect(body(*grounds, targets=[{"kind": "domain", "value": "con-hieu-luc.vn"}]))
    past_validity(db, request["id"])
    assert blocking.tick(db) == {"block_requests_expired": 1}
    expired = walker.get(request["id"]).json
    assert expired["state"] == "expired"
    step = expired["transitions"][-1]
    assert (step["action"], step["officer"], step["agency"]) == ("expire", "system", None)
    assert "validity ended" in step["reason"]
    assert walker.get(keep["id"]).json["state"] == "in_effect"
    assert blocking.tick(db) == {"block_requests_expired": 0}


def test_reads_show_a_request_past_validity_as_expired_and_write_nothing(walker, grounds, db):
    """Reads do not write: until the tick runs, a request past its validity shows as expired in every
    read (single, lists, feeds) while its row and its transitions stay as they were."""
    request = walker.in_effect(body(*grounds))
    past_validity(db, request["id"])

    def recorded() -> tuple[str, int, list[str]]:
        db.expire_all()
        row = db.get(BlockRequest, uuid.UUID(request["id"]))
        assert row is not None
        return row.state, row.version, [t.action for t in blocking.transitions(db, row)]

    before = recorded()
    assert before[0] == "in_effect" and before[2][-1] == "take_effect"

    seen = walker.get(request["id"], agency="ISP-VNPT")
    assert seen.status_code == 200 and (seen.json["view"], seen.json["state"]) == ("executor", "expired")
    full = walker.get(request["id"]).json
    assert (full["state"], full["state_due_at"], full["allowed_actions"]) == ("expired", None, [])
    assert full["transitions"][-1]["action"] == "take_effect"  # the expiry is not recorded by a read
    assert full["executors"][0]["overdue"] is False
    listed = walker.client.get(f"{URL}?state=expired", headers=walker.h("MOST")).json["items"]
    assert [(i["id"], i["state"]) for i in listed] == [(request["id"], "expired")]
    assert walker.client.get(f"{URL}?state=in_effect", headers=walker.h("MOST")).json["items"] == []
    feed = walker.client.get("/api/v1/blocklists/ISP-VNPT.json", headers=walker.h("ISP-VNPT"))
    assert feed.status_code == 200 and feed.json["entries"] == []
    zone = walker.client.get("/api/v1/blocklists/ISP-VNPT.rpz", headers=walker.h("ISP-VNPT"))
    assert zone.status_code == 200 and "CNAME" not in zone.text
    overdue = walker.client.get(f"{URL}/overdue", headers=walker.h("NSC389", scopes=["reports:read"]))
    assert overdue.status_code == 200 and overdue.json["items"] == []
    assert recorded() == before

    assert blocking.tick(db) == {"block_requests_expired": 1}
    state, _, actions = recorded()
    assert (state, actions[-1]) == ("expired", "expire")
    assert walker.get(request["id"]).json["transitions"][-1]["action"] == "expire"


def test_a_write_on_a_request_past_validity_expires_it_first(walker, grounds, db):
    request = walker.in_effect(body(*grounds))
    past_validity(db, request["id"])
    lifted = walker.client.post(
        f"{URL}/{request['id']}/lift",
        json={"reason": "Hết hiệu lực", "decision_id": walker.decision()},
        headers=walker.h("MOST", officer=APPROVER),
    )
    # The step meets the request as expired (the failed write is rolled back with the expiry).
    assert lifted.status_code == 409 and lifted.json["current_state"] == "expired"


def test_workflows_tick_command(walker, grounds, db, app, monkeypatch):
    from registry.cli import main, workflows

    request = walker.in_effect(body(*grounds))
    past_validity(db, request["id"])
    calls = []

    class Scope:
        def __enter__(self):  # type: ignore[no-untyped-def]
            return db

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            calls.append(exc[0])
            return False

    assert workflows.TICKS["blocking"] is blocking.tick
    monkeypatch.setattr(workflows, "TICKS", {"blocking": blocking.tick})
    monkeypatch.setattr(workflows, "session_scope", lambda: Scope())
    result = CliRunner().invoke(main, ["workflows", "tick"])
    assert result.exit_code == 0, result.output
    assert "blocking: block_requests_expired=1" in result.output
    assert calls == [None]


def test_overdue_list_for_the_standing_office_and_the_submitter(walker, grounds, db):
    late_review = walker.submit_ok(body(*grounds))
    late_ack = walker.approved(body(*grounds, urgent=True, targets=[{"kind": "domain", "value": "khan.vn"}]))
    dispatched = walker.ok(late_ack["id"], "dispatch", officer=APPROVER)
    due = datetime.fromisoformat(dispatched["executors"][0]["due_at"])
    assert due - datetime.fromisoformat(dispatched["executors"][0]["dispatched_at"]) == timedelta(hours=6)
    on_time = walker.submit_ok(body(*grounds, targets=[{"kind": "domain", "value": "dung-han.vn"}]))
    other = walker.submit_ok(
        body(
            make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS"),
            make_violation(db),
            action="suspend_domain",
            executors=[],
        ),
        agency="MOIT-DMS",
    )
    past = datetime.now(UTC) - timedelta(hours=1)
    backdate(db, late_review["id"], state_due_at=past)
    backdate(db, other["id"], state_due_at=past)
    db.execute(
        update(BlockExecutor).where(BlockExecutor.request_id == uuid.UUID(late_ack["id"])).values(due_at=past)
    )
    db.execute(
        update(BlockRequest).where(BlockRequest.id == uuid.UUID(late_ack["id"])).values(state_due_at=past)
    )
    # one executor answered everything: only the other one is late
    walker.ack(late_ack["id"], [{"target_id": late_ack["targets"][0]["id"], "outcome": "executed"}])

    office = walker.client.get(f"{URL}/overdue", headers=walker.h("NSC389", scopes=["reports:read"]))
    assert office.status_code == 200
    items = {i["id"]: i for i in office.json["items"]}
    assert set(items) == {late_review["id"], late_ack["id"], other["id"]}
    assert on_time["id"] not in items
    assert items[late_ack["id"]]["state"] == "in_effect" and items[late_ack["id"]]["late_executors"] == [
        "ISP-VIETTEL"
    ]
    mic = walker.client.get(f"{URL}/overdue", headers=walker.h("MOST"))
    assert {i["id"] for i in mic.json["items"]} == {late_review["id"], late_ack["id"]}
    assert walker.client.get(f"{URL}/overdue", headers=walker.h("ISP-VNPT")).status_code == 403
    assert walker.client.get(f"{URL}/overdue", headers=walker.h("VECOM")).status_code == 403


def test_appeal_dismissed_stays_in_effect_then_upheld_lifts(walker, grounds):
    request = walker.in_effect(body(*grounds))
    url = f"{URL}/{request['id']}/appeals"
    filing = {"appellant": "Công ty TNHH Hàng Giả", "grounds": "Chúng tôi đã gỡ toàn bộ sản phẩm vi phạm"}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    filed = walker.client.post(url, json=filing, headers={**walker.h("MOST", SUBMITTER), **key})
    assert filed.status_code == 201, filed.json
    assert filed.json["status"] == "pending"
    replay = walker.client.post(url, json=filing, headers={**walker.h("MOST", SUBMITTER), **key})
    assert replay.json["id"] == filed.json["id"]
    second = walker.client.post(
        url, json=filing, headers={**walker.h("MOST", SUBMITTER), "Idempotency-Key": "x" * 12}
    )
    assert second.status_code == 409  # one pending appeal at a time

    decide = f"{url}/{filed.json['id']}/decision"
    dismissal = {
        "outcome": "dismissed",
        "reason": "Vẫn còn kinh doanh hàng giả",
        "decision_id": walker.decision(),
    }
    assert (
        walker.client.post(decide, json=dismissal, headers=walker.h("MOST", APPROVER)).status_code == 403
    )  # approved it
    dismissed = walker.client.post(decide, json=dismissal, headers=walker.h("MOST", REVIEWER))
    assert dismissed.status_code == 200, dismissed.json
    assert dismissed.json["state"] == "in_effect" and dismissed.json["appeals"][0]["status"] == "dismissed"
    assert walker.client.post(decide, json=dismissal, headers=walker.h("MOST", REVIEWER)).status_code == 409

    again = walker.client.post(
        url, json=filing, headers={**walker.h("MOST", SUBMITTER), "Idempotency-Key": "y" * 12}
    )
    assert again.status_code == 201
    upheld = walker.client.post(
        f"{url}/{again.json['id']}/decision",
        json={"outcome": "upheld", "reason": "Đã khắc phục", "decision_id": walker.decision()},
        headers=walker.h("MOST", REVIEWER),
    )
    assert upheld.status_code == 200 and upheld.json["state"] == "lifted"
    actions = [t["action"] for t in upheld.json["transitions"]][-4:]
    assert actions == ["file_appeal", "dismiss_appeal", "file_appeal", "uphold_appeal"]
    late = walker.client.post(
        url, json=filing, headers={**walker.h("MOST", SUBMITTER), "Idempotency-Key": "z" * 12}
    )
    assert late.status_code == 409 and late.json["current_state"] == "lifted"


def test_appeal_only_against_a_request_in_effect(walker, grounds):
    created = walker.submit_ok(body(*grounds))
    response = walker.client.post(
        f"{URL}/{created['id']}/appeals",
        json={"appellant": "A", "grounds": "B"},
        headers={**walker.h("MOST", SUBMITTER), "Idempotency-Key": "a" * 12},
    )
    assert response.status_code == 409 and response.json["current_state"] == "submitted"


def test_mirror_reuses_the_decision_when_it_covers_the_new_site(walker, db):
    subject = make_subject(db)
    decision = make_decision(db, targets=["Công ty TNHH Hàng Giả", "hanggia-mypham.vn", "guong-1.vn"])
    violation = make_violation(db, subjects=[subject])
    original = walker.in_effect(body(decision, violation))
    assert original["subject_ids"] == [str(subject.id)]

    named = walker.submit_ok(
        body(None, None, mirror_of=original["id"], targets=[{"kind": "domain", "value": "GUONG-1.vn"}])
    )
    assert named["mirror_of"] == original["id"] and named["decision"]["id"] == str(decision.id)
    assert named["violation_ids"] == [str(violation.id)] and named["state"] == "submitted"

    unknown = walker.create(
        body(None, None, mirror_of=original["id"], targets=[{"kind": "domain", "value": "guong-2.vn"}])
    )
    assert unknown.status_code == 422 and "does not cover guong-2.vn" in unknown.json["detail"]

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
    linked = walker.submit_ok(
        body(None, None, mirror_of=original["id"], targets=[{"kind": "domain", "value": "guong-2.vn"}])
    )
    assert linked["decision"]["id"] == str(decision.id)

    listed = walker.client.get(URL, query_string={"mirror_of": original["id"]}, headers=walker.h("MOST"))
    assert {i["id"] for i in listed.json["items"]} == {named["id"], linked["id"]}
    draft = walker.submit_ok(body(*([make_decision(db), make_violation(db)]), draft=True))
    not_approved = walker.create(body(None, None, mirror_of=draft["id"]))
    assert not_approved.status_code == 422 and "mirror_of" in not_approved.json["errors"]


def test_seller_history_shows_block_requests_and_their_states(walker, db, actors, app, history_paths_agree):
    from registry.auth.principal import Principal
    from registry.schemas.blocking import BlockRequestHistoryItem
    from registry.schemas.output import Output, dumping

    subject = make_subject(db)
    request = walker.in_effect(body(make_decision(db), make_violation(db, subjects=[subject])))
    draft = walker.submit_ok(
        body(
            make_decision(db),
            make_violation(db, subjects=[subject]),
            draft=True,
            targets=[{"kind": "domain", "value": "nhap.vn"}],
        ),
        agency="MOIT-DMS",
    )

    def principal(code: str) -> Principal:
        agency = actors.agency(code)
        return Principal(
            client_id="t", agency=code, agency_id=agency.id, agency_kind=agency.kind, scopes=frozenset()
        )

    def section(code: str) -> tuple[list[dict], list]:  # type: ignore[type-arg]
        # The section's items are records; HistoryRead writes them with BlockRequestHistoryItem.
        with dumping(Output(session=db, cipher=app.extensions["registry"].cipher)):
            found = history(db, principal=principal(code), subject_id=subject.id)
            items = BlockRequestHistoryItem(many=True).dump(found.sections["block_requests"])
        return items, found.timeline

    items, timeline = section("NSC389")
    assert [(i["id"], i["state"]) for i in items] == [(request["id"], "in_effect")]  # not others' drafts
    assert list(items[0]) == [
        "id",
        "action",
        "state",
        "urgent",
        "submitted_by",
        "valid_from",
        "valid_until",
        "targets",
        "mirror_of",
        "created_at",
    ]
    assert items[0]["submitted_by"] == "MOST" and items[0]["targets"] == ["hanggia-mypham.vn"]
    assert any(e.kind == "block_request" and "in_effect" in e.summary for e in timeline)
    own, _ = section("MOIT-DMS")
    assert [(i["id"], i["state"]) for i in own] == [(draft["id"], "draft")]
    assert section("MOF-CUSTOMS")[0] == []
    response = walker.client.get(f"/api/v1/subjects/{subject.id}/history", headers=walker.h("NSC389"))
    assert response.status_code == 200, response.json
    assert [o["id"] for o in response.json["orders"]["block_requests"]] == [request["id"]]

    # Callers who read no freeze orders get the one-statement history on PostgreSQL, which must give
    # the same block requests (tests/conftest.py, history_paths_agree): all but others' drafts for the
    # deciding agency, its own draft for the submitter.
    for agency, expected in (("MOST", [request["id"]]), ("MOIT-DMS", [draft["id"]])):
        reader = walker.h(agency, scopes=["registry:read"])
        answer = walker.client.get(f"/api/v1/subjects/{subject.id}/history", headers=reader).json
        assert [o["id"] for o in answer["orders"]["block_requests"]] == expected
        assert any(e["kind"] == "block_request" for e in answer["timeline"])
    assert len(history_paths_agree) == (2 if db.get_bind().dialect.name == "postgresql" else 0)
