"""Requests that expire when their time is up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.errors import Conflict
from registry.models import BlockRequest
from registry.services import workflow
from registry.services.blocking.machine import MACHINE

EXPIRING = tuple(sorted(MACHINE.actions["expire"].sources))


def expire_if_due(session: Session, request: BlockRequest, now: datetime | None = None) -> bool:
    """Read-time check: a request past its validity is expired in the reader's transaction."""
    now = now or utcnow()
    if request.state not in EXPIRING or request.valid_until > now:
        return False
    try:
        with session.begin_nested():
            workflow.apply(
                session,
                machine=MACHINE,
                record=request,
                action_name="expire",
                principal=None,
                reason=f"validity ended {request.valid_until.isoformat()}",
                now=now,
            )
    except Conflict:
        session.refresh(request)  # someone else changed it at the same moment; their state stands
        return False
    return True


def expire_due(session: Session, now: datetime | None = None, limit: int = 500) -> int:
    now = now or utcnow()
    due = session.scalars(
        select(BlockRequest)
        .where(BlockRequest.state.in_(EXPIRING), BlockRequest.valid_until <= now)
        .order_by(BlockRequest.valid_until)
        .limit(limit)
    )
    return sum(expire_if_due(session, request, now) for request in list(due))


def tick(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """For `registry workflows tick`: expire every request past its validity."""
    return {"block_requests_expired": expire_due(session, now, limit=100_000)}
