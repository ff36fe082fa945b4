"""Orders and delays that end by themselves when their time is up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.errors import Conflict
from registry.models.freezing import DelayState, FreezeOrder, OrderState, TransactionDelay
from registry.services import workdays, workflow
from registry.services.freezing.config import rules
from registry.services.freezing.machines import DELAY, ORDER, RUNNING
from registry.services.freezing.terms import today_in_vietnam


def expiry_instant(order: FreezeOrder) -> datetime | None:
    """The order lapses at the end (Vietnam midnight) of its last valid day."""
    if order.valid_until is None:
        return None
    return datetime.combine(order.valid_until + timedelta(days=1), time(0), workdays.VIETNAM).astimezone(UTC)


def _expire(session: Session, machine: workflow.Machine, record: Any, reason: str, now: datetime) -> bool:
    """A system transition; if someone else changed the record meanwhile, theirs stands."""
    try:
        with session.begin_nested():
            workflow.apply(
                session,
                machine=machine,
                record=record,
                action_name="expire",
                principal=None,
                reason=reason,
                now=now,
            )
    except Conflict:
        session.refresh(record)
        return False
    return True


def expire_order_if_due(session: Session, order: FreezeOrder, *, now: datetime | None = None) -> bool:
    now = now or utcnow()
    end = expiry_instant(order)
    if end is None or now < end or order.state not in RUNNING:
        return False
    reason = f"validity ended on {order.valid_until.isoformat()}"  # type: ignore[union-attr]
    if not _expire(session, ORDER, order, reason, now):
        return False
    from registry.services.freezing import releases  # it needs access, which needs this module

    releases.release_all(session, order, principal=None, reason="expired", now=now)
    return True


def expire_delay_if_due(session: Session, delay: TransactionDelay, *, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if delay.state != DelayState.IN_EFFECT or now < delay.ends_at:
        return False
    days = rules().delay_working_days
    return _expire(session, DELAY, delay, f"{days} working days passed without a freeze order", now)


def shown_order_state(order: FreezeOrder, now: datetime | None = None) -> str:
    """The order's state as a reader is shown it: expired once past its validity, even if the tick that
    records the expiry has not run yet (a read writes nothing)."""
    end = expiry_instant(order)
    if end is not None and order.state in RUNNING and (now or utcnow()) >= end:
        return OrderState.EXPIRED
    return order.state


def shown_delay_state(delay: TransactionDelay, now: datetime | None = None) -> str:
    """The delay's state as a reader is shown it: expired once past its end, even before the tick."""
    if delay.state == DelayState.IN_EFFECT and (now or utcnow()) >= delay.ends_at:
        return DelayState.EXPIRED
    return delay.state


def tick(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Expire what has run out: orders past their validity, delays past their working days.

    Expiry itself counts no working days, so it runs whatever the calendar covers; the `calendar` check
    of `registry workflows tick` (`workdays.calendar_tick`) is what fails for a year not entered."""
    now = now or utcnow()
    orders = session.scalars(
        select(FreezeOrder).where(
            FreezeOrder.valid_until < today_in_vietnam(now), FreezeOrder.state.in_(RUNNING)
        )
    ).all()
    delays = session.scalars(
        select(TransactionDelay).where(
            TransactionDelay.state == DelayState.IN_EFFECT, TransactionDelay.ends_at <= now
        )
    ).all()
    return {
        "freeze_orders_expired": sum(expire_order_if_due(session, o, now=now) for o in orders),
        "transaction_delays_expired": sum(expire_delay_if_due(session, d, now=now) for d in delays),
    }
