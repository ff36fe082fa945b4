"""The deciding agency's steps: review, approve, return, reject, dispatch, lift, revoke, override."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import NotFound, ValidationFailed
from registry.messages import msg
from registry.models import BlockExecutor, BlockRequest, BlockTarget
from registry.services import workflow
from registry.services.blocking.access import require_decider
from registry.services.blocking.checks import (
    _attributes,
    check_decision,
    check_ending_decision,
    check_protection,
)
from registry.services.blocking.config import rules
from registry.services.blocking.content import _decision, _executors
from registry.services.blocking.machine import (
    DECIDING_ACTIONS,
    MACHINE,
    NEEDS_DECISION,
    NEEDS_REASON,
    transitions,
)
from registry.services.blocking.removal import require_removal
from registry.services.protected import Guard


def decide(
    session: Session,
    *,
    principal: Principal,
    block_request: BlockRequest,
    action: str,
    reason: str | None = None,
    decision_id: uuid.UUID | None = None,
) -> None:
    """A deciding agency's step: start review, return, approve, reject, dispatch, lift or revoke."""
    if action not in DECIDING_ACTIONS:
        raise ValueError(action)
    require_decider(principal, block_request)
    if action in NEEDS_REASON and not (reason and reason.strip()):
        raise ValidationFailed(
            msg("A reason is required to {action}.", action=action), errors={"reason": ["required"]}
        )
    if action in NEEDS_DECISION and decision_id is None:
        raise ValidationFailed(
            msg(
                "A written decision is required to {action} a block request, like the block itself.",
                action=action,
            ),
            errors={"decision_id": [f"required: the decision to {action}"]},
        )
    document = _decision(session, principal, decision_id) if decision_id else None
    if document is not None and action in NEEDS_DECISION:
        check_ending_decision(session, block_request, document)
    step = workflow.begin(
        session, machine=MACHINE, record=block_request, action_name=action, principal=principal
    )
    deadline = None
    if action == "approve":
        deadline = rules().deadline("dispatch", block_request.urgent)
        check_decision(session, block_request)
        check_protection(session, block_request, stage="approve")
        _check_mirror_confirmed(session, block_request)
    elif action == "dispatch":
        deadline = rules().deadline("acknowledge", block_request.urgent)
        check_decision(session, block_request)
    now = utcnow()
    step.record_transition(
        reason=reason,
        decision_id=(document.id if document else block_request.decision_id),
        deadline=deadline,
        now=now,
    )
    if action == "approve":
        block_request.approved_by = principal.officer
    if action == "dispatch":
        for executor in block_request.executors:
            executor.dispatched_at, executor.due_at = now, now + deadline if deadline else None
    if action in NEEDS_DECISION:  # lift, revoke: the executors that executed it confirm the removal
        require_removal(block_request, now)
    session.flush()


def _linked_only(block_request: BlockRequest) -> list[BlockTarget]:
    return [t for t in block_request.targets if t.mirror_coverage == "linked"]


def _check_mirror_confirmed(session: Session, block_request: BlockRequest) -> None:
    """A mirror target the original's decision does not name needs a decider's confirmation since the
    request was last submitted (its targets may have changed before)."""
    unnamed = _linked_only(block_request)
    if not unnamed:
        return
    actions = [t.action for t in transitions(session, block_request)]
    last_submit = max(i for i, a in enumerate(actions) if a == "submit")
    if "confirm_mirror" not in actions[last_submit:]:
        names = ", ".join(t.display for t in unnamed)
        raise ValidationFailed(
            msg(
                "Decision of the original request does not name {names}; a deciding officer must confirm the "
                "mirror (POST .../confirm-mirror with a reason) before approval, or the submitter attaches a "
                "decision naming it.",
                names=names,
            ),
            errors={"targets": [f"{t.display}: only linked to the original's subjects" for t in unnamed]},
        )


def confirm_mirror(
    session: Session, *, principal: Principal, block_request: BlockRequest, reason: str
) -> None:
    """A deciding officer's explicit confirmation that the mirror targets the original's decision does
    not name (only linked to the original's subjects) fall under it."""
    require_decider(principal, block_request)
    step = workflow.begin(
        session, machine=MACHINE, record=block_request, action_name="confirm_mirror", principal=principal
    )
    unnamed = _linked_only(block_request)
    if not unnamed:
        raise ValidationFailed(
            "Nothing to confirm: no target of this request rests only on a link to the original's subjects.",
            errors={"targets": ["no target needs a confirmation"]},
        )
    step.record_transition(
        reason=reason,
        decision_id=block_request.decision_id,
        detail={"targets": [t.display for t in unnamed], "mirror_of": str(block_request.mirror_of_id)},
    )
    session.flush()


def redispatch(
    session: Session, *, principal: Principal, block_request: BlockRequest, executors: list[str], reason: str
) -> list[BlockExecutor]:
    """Address a dispatched or in-effect order to further executors (e.g. when one answered
    technically_infeasible), dispatched at once with their acknowledgement deadline."""
    require_decider(principal, block_request)
    if block_request.action == "remove_listing":
        raise ValidationFailed(
            "A takedown is addressed to the platform hosting each listing; there is no other executor.",
            errors={"executors": ["derived from the targets' platforms"]},
        )
    step = workflow.begin(
        session, machine=MACHINE, record=block_request, action_name="redispatch", principal=principal
    )
    added = _executors(session, block_request.action, executors, block_request.targets)
    addressed = {e.agency_id for e in block_request.executors}
    again = [code for code, e in zip(executors, added, strict=True) if e.agency_id in addressed]
    if again:
        raise ValidationFailed(
            msg("Already addressed: {codes}.", codes=", ".join(again)),
            errors={"executors": [f"{c} is already addressed" for c in again]},
        )
    check_decision(session, block_request)
    now = utcnow()
    deadline = rules().deadline("acknowledge", block_request.urgent)
    step.record_transition(
        reason=reason, decision_id=block_request.decision_id, detail={"executors": executors}, now=now
    )
    for executor in added:
        executor.dispatched_at, executor.due_at = now, now + deadline if deadline else None
        block_request.executors.append(executor)
    session.flush()
    return added


def override(
    session: Session,
    *,
    principal: Principal,
    block_request: BlockRequest,
    target_id: uuid.UUID,
    justification: str,
) -> BlockTarget:
    """A reviewer's explicit, justified override of the guard on one protected target."""
    require_decider(principal, block_request)
    target = next((t for t in block_request.targets if t.id == target_id), None)
    if target is None:
        raise NotFound(msg("No target {target_id} in this block request.", target_id=target_id))
    step = workflow.begin(
        session, machine=MACHINE, record=block_request, action_name="override", principal=principal
    )
    target.protection = Guard.load(session).protection(target.kind, target.value, _attributes(target))
    if target.protection is None:
        raise ValidationFailed(
            msg("{target} is not protected; no override is needed.", target=target.display),
            errors={"target_id": ["not protected"]},
        )
    transition = step.record_transition(
        reason=justification, detail={"target": target.display, "protection": target.protection}
    )
    target.override_by, target.override_agency_id = principal.officer, principal.agency_id
    target.override_reason, target.override_at = justification, transition.at
    session.flush()
    return target
