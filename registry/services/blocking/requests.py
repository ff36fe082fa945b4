"""The requesting agency's steps: create (or mirror), edit and submit a request."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import InvalidTransition, NotFound, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError, parse
from registry.messages import msg
from registry.models import BlockRequest, Decision, Link
from registry.models.blocking import BlockState
from registry.services import workflow
from registry.services.blocking.access import load_visible, require_owner
from registry.services.blocking.checks import _check_complete, check_decision, check_protection
from registry.services.blocking.config import rules
from registry.services.blocking.content import _set_content
from registry.services.blocking.machine import APPROVED_ONWARDS, EDITABLE, MACHINE
from registry.services.visibility import record_visible


def _mirror_decision(
    session: Session, principal: Principal, original: BlockRequest, block_request: BlockRequest
) -> None:
    """Reuse the original's decision if it covers every new target, else the caller must give one.

    A decision covers a target that it names (its `targets` list, compared after normalisation): the
    target's `mirror_coverage` is `named`. A target only linked in the registry to a subject the original
    request concerns (same operator) is `linked`: the decision does not name it, so the request cannot be
    approved until a deciding officer confirms it (`confirm_mirror`, with a reason).
    """
    if original.decision_id is None:
        return
    decision = session.get(Decision, original.decision_id)
    assert decision is not None
    subject_ids = {s.id for s in original.subjects}
    uncovered = []
    for target in block_request.targets:
        named = False
        for text in decision.targets:
            try:
                named = parse(target.kind, text).value == target.value
            except IdentifierError:
                named = False
            if named:
                break
        linked = bool(subject_ids) and session.scalar(
            select(func.count())
            .select_from(Link)
            .where(
                Link.identifier_id == target.identifier_id,
                Link.subject_id.in_(subject_ids),
                record_visible(Link, principal),
            )
        )
        if not (named or linked):
            uncovered.append(target.display)
        target.mirror_coverage = "named" if named else "linked"
    if uncovered:
        raise ValidationFailed(
            msg(
                "Decision {number} of the original request does not cover {targets} "
                "(neither named in it nor linked to the original's subjects); "
                "attach a decision_id that names it.",
                number=decision.number,
                targets=", ".join(uncovered),
            ),
            errors={"decision_id": [f"{t} is not covered by {decision.number}" for t in uncovered]},
        )
    block_request.decision_id = decision.id


def create(
    session: Session, *, cipher: FieldCipher, principal: Principal, data: dict[str, Any]
) -> BlockRequest:
    """A new request as a draft, submitted at once unless `draft` is set."""
    data = dict(data)
    original = None
    if data.get("mirror_of"):
        try:
            original = load_visible(session, principal, data["mirror_of"])
        except NotFound:
            raise ValidationFailed(
                "Unknown original request.", errors={"mirror_of": ["no such request"]}
            ) from None
        if original.state not in APPROVED_ONWARDS:
            raise ValidationFailed(
                msg(
                    "A mirror is linked to a request that was approved; the original is {state}.",
                    state=original.state,
                ),
                errors={"mirror_of": [f"original is {original.state}"]},
            )
        if not data.get("violation_ids"):
            data["violation_ids"] = [v.id for v in original.violations]
    now = utcnow()
    block_request = BlockRequest(
        id=uuid.uuid4(),
        action=data["action"],
        owner_agency_id=principal.agency_id,
        mirror_of_id=original.id if original else None,
        valid_from=data.get("valid_from") or now,
        valid_until=data["valid_until"],
        reason=data["reason"],
        urgent=data.get("urgent", False),
    )
    _set_content(session, cipher=cipher, principal=principal, block_request=block_request, data=data)
    if original is not None and data.get("decision_id") is None:
        _mirror_decision(session, principal, original, block_request)
    workflow.start(
        session,
        machine=MACHINE,
        record=block_request,
        state=BlockState.DRAFT,
        principal=principal,
        reason=data["reason"],
        decision_id=block_request.decision_id,
    )
    if not data.get("draft"):
        submit(session, principal=principal, block_request=block_request)
    return block_request


def update(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    block_request: BlockRequest,
    data: dict[str, Any],
) -> None:
    """Change a draft, or a request returned for changes (submitting agency only)."""
    require_owner(principal, block_request)
    if block_request.state not in EDITABLE:
        raise InvalidTransition(
            msg(
                "Only a draft or returned block request can be changed; this one is {state}.",
                state=block_request.state,
            ),
            current=block_request.state,
            allowed=MACHINE.allowed(block_request.state),
        )
    _set_content(session, cipher=cipher, principal=principal, block_request=block_request, data=data)
    original = session.get(BlockRequest, block_request.mirror_of_id) if block_request.mirror_of_id else None
    resting_on_original = original is not None and block_request.decision_id == original.decision_id
    if original is not None and resting_on_original and "targets" in data and "decision_id" not in data:
        _mirror_decision(session, principal, original, block_request)  # the new targets, checked again
    session.flush()


def submit(
    session: Session, *, principal: Principal, block_request: BlockRequest, reason: str | None = None
) -> None:
    require_owner(principal, block_request)
    step = workflow.begin(
        session, machine=MACHINE, record=block_request, action_name="submit", principal=principal
    )
    _check_complete(block_request)
    check_decision(session, block_request)
    check_protection(session, block_request, stage="submit")
    step.record_transition(
        reason=reason,
        decision_id=block_request.decision_id,
        deadline=rules().deadline("review", block_request.urgent),
    )
    block_request.submitted_by = principal.officer
