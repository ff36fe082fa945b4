"""Requests that expire when their time is up.

Only `tick` (run by `registry workflows tick` and its scheduled runner) expires requests in bulk; a write
that loads a request past its validity expires it first (`expire_if_due`), since it writes anyway. Reads
never write: until the tick has run, `shown_state` shows such a request as expired and `unrecorded_expiry`
lets queries (lists, the overdue list, the executors' feeds) treat it as expired.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.errors import Conflict
from registry.models import BlockRequest
from registry.models.blocking import BlockState
from registry.services import workflow
from registry.services.blocking.machine import MACHINE
from registry.services.blocking.removal import require_removal

EXPIRING = tuple(sorted(MACHINE.actions["expire"].sources))


def is_due(block_request: BlockRequest, now: datetime) -> bool:
    """Past its validity in a state that expires, and not yet expired by the tick."""
    return block_request.state in EXPIRING and block_request.valid_until <= now


def shown_state(block_request: BlockRequest, now: datetime | None = None) -> BlockState:
    """The state a reader sees: `expired` once the validity has ended, even if the tick is late."""
    return BlockState.EXPIRED if is_due(block_request, now or utcnow()) else BlockState(block_request.state)


def unrecorded_expiry(now: datetime) -> ColumnElement[bool]:
    """SQL: requests `is_due` (expired for the reader, not yet in the database)."""
    return and_(BlockRequest.state.in_(EXPIRING), BlockRequest.valid_until <= now)


def in_shown_state(state: str, now: datetime) -> ColumnElement[bool]:
    """SQL: requests whose `shown_state` is `state`."""
    if state == BlockState.EXPIRED:
        return or_(BlockRequest.state == BlockState.EXPIRED, unrecorded_expiry(now))
    if state in EXPIRING:
        return and_(BlockRequest.state == state, not_(unrecorded_expiry(now)))
    return BlockRequest.state == state


def expire_if_due(session: Session, block_request: BlockRequest, now: datetime | None = None) -> bool:
    """Expire a request past its validity (the tick, and writes that load it: never a read)."""
    now = now or utcnow()
    if not is_due(block_request, now):
        return False
    try:
        with session.begin_nested():
            workflow.apply(
                session,
                machine=MACHINE,
                record=block_request,
                action_name="expire",
                principal=None,
                reason=f"validity ended {block_request.valid_until.isoformat()}",
                now=now,
            )
            require_removal(block_request, now)
    except Conflict:
        session.refresh(block_request)  # someone else changed it at the same moment; their state stands
        return False
    return True


def expire_due(session: Session, now: datetime | None = None, limit: int = 100_000) -> int:
    """Expire the requests past their validity, oldest first (for `tick`)."""
    now = now or utcnow()
    due = session.scalars(
        select(BlockRequest).where(unrecorded_expiry(now)).order_by(BlockRequest.valid_until).limit(limit)
    )
    return sum(expire_if_due(session, block_request, now) for block_request in list(due))


def tick(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """For `registry workflows tick`: expire every request past its validity."""
    return {"block_requests_expired": expire_due(session, now)}
