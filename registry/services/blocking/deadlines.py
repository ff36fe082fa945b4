"""Overdue requests and late executors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true

from registry.auth.principal import Principal
from registry.models import BlockAcknowledgement, BlockExecutor, BlockRequest, BlockTarget
from registry.services.blocking.access import is_oversight
from registry.services.blocking.machine import TERMINAL


def _late_executor(now: datetime) -> ColumnElement[bool]:
    acknowledged = (
        select(func.count())
        .select_from(BlockAcknowledgement)
        .where(BlockAcknowledgement.executor_id == BlockExecutor.id)
        .scalar_subquery()
    )
    targets = (
        select(func.count())
        .select_from(BlockTarget)
        .where(BlockTarget.request_id == BlockRequest.id)
        .scalar_subquery()
    )
    return exists().where(
        BlockExecutor.request_id == BlockRequest.id, BlockExecutor.due_at < now, acknowledged < targets
    )


def overdue_query(principal: Principal, now: datetime) -> Select[tuple[BlockRequest]]:
    """Requests whose current step is past due: the Standing Office sees all, a submitter its own."""
    late = or_(
        and_(
            BlockRequest.state_due_at.is_not(None),
            BlockRequest.state_due_at < now,
            BlockRequest.state.not_in(TERMINAL),
        ),
        and_(BlockRequest.state.in_(("dispatched", "in_effect")), _late_executor(now)),
    )
    scope = true() if is_oversight(principal) else BlockRequest.owner_agency_id == principal.agency_id
    return select(BlockRequest).where(late, scope)


def late_executors(request: BlockRequest, now: datetime) -> list[BlockExecutor]:
    count = len(request.targets)
    return [
        e
        for e in request.executors
        if e.due_at is not None
        and e.due_at < now
        and len(e.acknowledgements) < count
        and request.state in ("dispatched", "in_effect")
    ]
