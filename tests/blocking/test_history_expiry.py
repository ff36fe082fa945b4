"""A seller history shows a block request past its validity as expired before the tick records it, on
both paths (the ORM path and, on PostgreSQL, the one statement), and the read writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from registry.models import BlockRequest, WorkflowTransition
from tests.blocking.helpers import body
from tests.factories import make_decision, make_subject, make_violation


def test_history_shows_an_ended_request_expired_without_writing(walker, db, history_paths_agree):
    subject = make_subject(db)
    request = walker.in_effect(body(make_decision(db), make_violation(db, subjects=[subject])))
    now = datetime.now(UTC)
    db.execute(
        update(BlockRequest)
        .where(BlockRequest.id == uuid.UUID(request["id"]))
        .values(valid_from=now - timedelta(days=2), valid_until=now - timedelta(minutes=1))
    )
    db.flush()
    transitions = db.scalar(select(func.count()).select_from(WorkflowTransition))

    for agency, scopes in (("NSC389", None), ("MOST", ["registry:read"])):  # ORM path; one statement on PG
        headers = walker.h(agency, **({"scopes": scopes} if scopes else {}))
        answer = walker.client.get(f"/api/v1/subjects/{subject.id}/history", headers=headers)
        assert answer.status_code == 200, answer.json
        [item] = answer.json["orders"]["block_requests"]
        assert item["state"] == "expired"
        [event] = [e for e in answer.json["timeline"] if e["kind"] == "block_request"]
        assert event["summary"].endswith(": expired")

    db.expire_all()
    assert (
        db.get(BlockRequest, uuid.UUID(request["id"])).state == "in_effect"
    )  # the tick records it, not a read
    assert db.scalar(select(func.count()).select_from(WorkflowTransition)) == transitions
    assert len(history_paths_agree) == (1 if db.get_bind().dialect.name == "postgresql" else 0)


def test_screening_counts_an_ended_request_as_closed_before_the_tick(walker, db):
    subject = make_subject(db)
    request = walker.in_effect(body(make_decision(db), make_violation(db, subjects=[subject])))
    headers = walker.h("MOST", scopes=["registry:read"])
    items = {"items": [{"kind": "domain", "value": "hanggia-mypham.vn"}]}

    def open_requests() -> int:
        answer = walker.client.post("/api/v1/screenings", json=items, headers=headers)
        assert answer.status_code == 200, answer.json
        return answer.json["results"][0]["open_orders"]["block_requests"]

    assert open_requests() == 1
    now = datetime.now(UTC)
    db.execute(
        update(BlockRequest)
        .where(BlockRequest.id == uuid.UUID(request["id"]))
        .values(valid_from=now - timedelta(days=2), valid_until=now - timedelta(minutes=1))
    )
    db.flush()
    assert open_requests() == 0
