"""Unblocking: when a request ends (lift, revoke, upheld appeal, expiry), each executor that executed it
must confirm that it removed the block, within the executors' acknowledgement deadline (blocking.json
`acknowledge`: 24 h, 6 h when urgent).

Who must confirm: an executor (ISP, the .vn registry, a platform) with at least one `executed` reply. The
executor's feed drops the entries at once; the confirmation says the executor acted on it. The request
shows which executors have not yet confirmed (`pending_unblock`), and is in the overdue list once the
deadline has passed (`late_unblock`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists

from registry.models import BlockExecutor, BlockRequest
from registry.models.blocking import AckOutcome, BlockState
from registry.services.blocking.config import rules

ENDED = (BlockState.LIFTED, BlockState.REVOKED, BlockState.EXPIRED)


def executed(executor: BlockExecutor) -> bool:
    return any(a.outcome == AckOutcome.EXECUTED for a in executor.acknowledgements)


def require_removal(block_request: BlockRequest, now: datetime) -> None:
    """The request has just ended: each executor that executed it owes a confirmation of removal."""
    deadline = rules().deadline("acknowledge", block_request.urgent)
    for executor in block_request.executors:
        if executed(executor) and executor.unblock_due_at is None and executor.unblocked_at is None:
            executor.unblock_due_at = now + deadline if deadline else now


def pending(executor: BlockExecutor, shown: BlockState) -> bool:
    """Executed a request that has ended (as shown: an expiry the tick has not recorded counts) and has
    not yet confirmed the removal."""
    return shown in ENDED and executed(executor) and executor.unblocked_at is None


def is_late(executor: BlockExecutor, now: datetime) -> bool:
    due = executor.unblock_due_at
    return executor.unblocked_at is None and due is not None and due < now


def late_unblock(now: datetime) -> ColumnElement[bool]:
    """SQL: an executor of the request has not confirmed a removal that was due before `now`."""
    return exists().where(
        BlockExecutor.request_id == BlockRequest.id,
        BlockExecutor.unblock_due_at < now,
        BlockExecutor.unblocked_at.is_(None),
    )
