"""What rests on a written decision: the block requests, freeze orders and violations that cite it, as
far as the caller may see each of them (the same rules as their own lists: a block request through the
blocking scopes, a freeze order through the freeze workflow's readers, a violation through registry:read).

A block request rests on a decision as its ground, or as the decision of a later step (a lift, a
revocation, an appeal's outcome); a freeze order as its founding or its current decision; a violation as
its sanction decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import PermissionDenied
from registry.models import BlockRequest, Decision, FreezeOrder, Violation
from registry.models.workflow import WorkflowTransition
from registry.services import visibility

SHOWN = 50  # of each kind, newest first: the decision page lists them, the lists page through the rest


@dataclass
class Uses:
    """What the caller may see of what rests on one decision (None: the caller may not read that kind)."""

    block_requests: list[BlockRequest] | None = field(default=None)
    freeze_orders: list[FreezeOrder] | None = field(default=None)
    violations: list[Violation] | None = field(default=None)


def _block_requests(session: Session, principal: Principal, decision: Decision) -> list[BlockRequest] | None:
    from registry.services.blocking import ANY_BLOCKING, block_request_visible

    if not any(principal.has(scope) for scope in (*ANY_BLOCKING, Scope.REPORTS_READ)):
        return None
    step = exists().where(
        WorkflowTransition.record_type == "block_request",
        WorkflowTransition.record_id == BlockRequest.id,
        WorkflowTransition.decision_id == decision.id,
    )
    query = (
        select(BlockRequest)
        .where(block_request_visible(principal), or_(BlockRequest.decision_id == decision.id, step))
        .order_by(BlockRequest.created_at.desc(), BlockRequest.id)
        .limit(SHOWN)
    )
    return list(session.scalars(query))


def _freeze_orders(session: Session, principal: Principal, decision: Decision) -> list[FreezeOrder] | None:
    from registry.services import freezing

    try:
        viewer = freezing.reader(session, principal)
    except PermissionDenied:
        return None
    query = (
        freezing.order_query(viewer)
        .where(or_(FreezeOrder.decision_id == decision.id, FreezeOrder.current_decision_id == decision.id))
        .order_by(FreezeOrder.created_at.desc(), FreezeOrder.id)
        .limit(SHOWN)
    )
    return list(session.scalars(query))


def _violations(session: Session, principal: Principal, decision: Decision) -> list[Violation] | None:
    if not principal.has(Scope.REGISTRY_READ):
        return None
    query = (
        select(Violation)
        .where(Violation.sanction_decision_id == decision.id, visibility.record_visible(Violation, principal))
        .order_by(Violation.detected_at.desc(), Violation.id)
        .limit(SHOWN)
    )
    return list(session.scalars(query))


def resting_on(session: Session, principal: Principal, decision: Decision) -> Uses:
    """What rests on `decision` (one the caller sees), of each kind the caller may read."""
    return Uses(
        block_requests=_block_requests(session, principal, decision),
        freeze_orders=_freeze_orders(session, principal, decision),
        violations=_violations(session, principal, decision),
    )
