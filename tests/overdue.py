"""Late steps of both workflows, for the overdue tests of the API and of the console."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from registry.models import BlockExecutor, Violation
from registry.models.freezing import FreezeAccount, FreezeOrder
from tests.blocking.helpers import APPROVER, Walker, backdate, body
from tests.factories import make_decision, make_subject, make_violation
from tests.freezing.helpers import BIDV, Freeze


def _violation(db, province: str) -> Violation:  # type: ignore[no-untyped-def]
    violation = make_violation(db)
    violation.province = province
    db.flush()
    return violation


def late_steps_of_both_workflows(client, actors, db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Two late block requests (a review in Hà Nội, an execution in TP Hồ Chí Minh) and two late freeze
    orders (the State Bank's receipt; BIDV's execution for an account holder in Đà Nẵng)."""
    walker, freeze = Walker(client, actors, db), Freeze(client, actors, db)
    hours_ago = [datetime.now(UTC) - timedelta(hours=h) for h in (4, 3, 2, 1)]
    review = walker.submit_ok(body(make_decision(db), _violation(db, "Hà Nội")))
    backdate(db, review["id"], state_due_at=hours_ago[0])
    executed = walker.approved(
        body(
            make_decision(db), _violation(db, "TP Hồ Chí Minh"), targets=[{"kind": "domain", "value": "a.vn"}]
        )
    )
    executed = walker.ok(executed["id"], "dispatch", officer=APPROVER)
    db.execute(
        update(BlockExecutor)
        .where(BlockExecutor.request_id == uuid.UUID(executed["id"]))
        .values(due_at=hours_ago[1])
    )
    walker.ack(executed["id"], [{"target_id": executed["targets"][0]["id"], "outcome": "executed"}])
    waiting = freeze.submit()
    db.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == uuid.UUID(waiting["id"]))
        .values(state_due_at=hours_ago[2])
    )
    dispatched = freeze.dispatched(accounts=[BIDV])
    holder = make_subject(db, name="Công ty TNHH Đà Nẵng Xanh")
    holder.province = "Đà Nẵng"
    db.execute(
        update(FreezeAccount)
        .where(FreezeAccount.order_id == uuid.UUID(dispatched["id"]))
        .values(state_due_at=hours_ago[3], subject_id=holder.id)
    )
    db.flush()
    db.expire_all()
    return {
        "review": review["id"],
        "executed": executed["id"],
        "waiting": waiting["id"],
        "bidv": dispatched["id"],
    }
