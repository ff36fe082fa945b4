"""Appeals against a request in effect, and their decisions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import Conflict, NotFound
from registry.messages import msg
from registry.models import BlockAppeal, BlockRequest
from registry.models.blocking import AppealStatus
from registry.services import workflow
from registry.services.blocking.access import require_decider, require_owner_or_decider
from registry.services.blocking.checks import _vn_date, check_ending_decision
from registry.services.blocking.config import rules
from registry.services.blocking.content import _decision
from registry.services.blocking.machine import MACHINE
from registry.services.blocking.removal import require_removal


def file_appeal(
    session: Session, *, principal: Principal, block_request: BlockRequest, data: dict[str, Any]
) -> BlockAppeal:
    """Record a complaint against a request in effect (submitting or deciding agency)."""
    require_owner_or_decider(principal, block_request)
    if any(a.status == AppealStatus.PENDING for a in block_request.appeals):
        raise Conflict("An appeal against this block request is already pending; decide it first.")
    transition = workflow.apply(
        session,
        machine=MACHINE,
        record=block_request,
        action_name="file_appeal",
        principal=principal,
        reason=data["grounds"],
        detail={"appellant": data["appellant"]},
        deadline=rules().deadline("appeal", block_request.urgent),
    )
    appeal = BlockAppeal(
        appellant=data["appellant"],
        grounds=data["grounds"],
        received_on=data.get("received_on") or _vn_date(transition.at),
        filed_by_agency_id=principal.agency_id,
        filed_by=principal.actor,
        filed_at=transition.at,
    )
    block_request.appeals.append(appeal)
    session.flush()
    return appeal


def decide_appeal(
    session: Session,
    *,
    principal: Principal,
    block_request: BlockRequest,
    appeal_id: uuid.UUID,
    data: dict[str, Any],
) -> BlockAppeal:
    """Upheld: the block is lifted. Dismissed: it stays in effect. Not by the officer who approved it."""
    require_decider(principal, block_request)
    appeal = next((a for a in block_request.appeals if a.id == appeal_id), None)
    if appeal is None:
        raise NotFound(msg("No appeal {appeal_id} against this block request.", appeal_id=appeal_id))
    if appeal.status != AppealStatus.PENDING:
        raise Conflict(msg("This appeal was already decided: {status}.", status=appeal.status))
    document = _decision(session, principal, data["decision_id"])
    assert document is not None  # required by BlockAppealDecision
    check_ending_decision(session, block_request, document)
    action = "uphold_appeal" if data["outcome"] == AppealStatus.UPHELD else "dismiss_appeal"
    transition = workflow.apply(
        session,
        machine=MACHINE,
        record=block_request,
        action_name=action,
        principal=principal,
        reason=data["reason"],
        decision_id=document.id,
        detail={"appeal": str(appeal.id)},
    )
    if action == "uphold_appeal":
        require_removal(block_request, transition.at)
    appeal.status, appeal.decided_by, appeal.decided_at = data["outcome"], principal.officer, transition.at
    appeal.decision_reason, appeal.decision_id = data["reason"], document.id
    session.flush()
    return appeal
