"""Overdue requests and late executors (who may list them: `access.overdue_query`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select

from registry.models import BlockAcknowledgement, BlockExecutor, BlockRequest, BlockTarget
from registry.models.blocking import INFEASIBLE
from registry.models.workflow import WorkflowTransition
from registry.services.blocking.expiry import shown_state, unrecorded_expiry
from registry.services.blocking.machine import ADDRESSED, TERMINAL
from registry.services.blocking.removal import late_unblock


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


def overdue(now: datetime) -> ColumnElement[bool]:
    """SQL: the current step is past due, or an executor is late to execute (none once the validity has
    ended) or to confirm the removal after the request ended (removal.late_unblock)."""
    late = or_(
        and_(
            BlockRequest.state_due_at.is_not(None),
            BlockRequest.state_due_at < now,
            BlockRequest.state.not_in(TERMINAL),
        ),
        and_(BlockRequest.state.in_(ADDRESSED), _late_executor(now)),
    )
    return or_(and_(late, not_(unrecorded_expiry(now))), late_unblock(now))


def infeasible_open(now: datetime) -> ColumnElement[bool]:
    """SQL: a dispatched or in-effect request (as shown) with a `technically_infeasible` answer that the
    deciding agency has not yet acted on by a later `redispatch` (lifting or revoking ends the request)."""
    acted_after = exists().where(
        WorkflowTransition.record_type == "block_request",
        WorkflowTransition.record_id == BlockRequest.id,
        WorkflowTransition.action == "redispatch",
        WorkflowTransition.at >= BlockAcknowledgement.at,
    )
    answered = exists().where(
        BlockExecutor.request_id == BlockRequest.id,
        BlockAcknowledgement.executor_id == BlockExecutor.id,
        BlockAcknowledgement.reason == INFEASIBLE,
        not_(acted_after),
    )
    return and_(BlockRequest.state.in_(ADDRESSED), not_(unrecorded_expiry(now)), answered)


def is_late(executor: BlockExecutor, now: datetime) -> bool:
    block_request = executor.request
    return bool(
        executor.due_at is not None
        and executor.due_at < now
        and len(executor.acknowledgements) < len(block_request.targets)
        and shown_state(block_request, now) in ADDRESSED
    )


def late_executors(block_request: BlockRequest, now: datetime) -> list[BlockExecutor]:
    return [e for e in block_request.executors if is_late(e, now)]
