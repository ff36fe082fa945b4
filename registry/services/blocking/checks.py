"""Checks at submission, approval and dispatch: the decision, completeness, the over-blocking guard."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.errors import ValidationFailed
from registry.messages import msg
from registry.models import Agency, BlockRequest, BlockTarget, Decision
from registry.services import competence, decisions
from registry.services.protected import Guard

VIETNAM = timezone(timedelta(hours=7))  # decisions are dated in Vietnam


def _vn_date(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def check_decision(session: Session, block_request: BlockRequest, *, now: datetime | None = None) -> Decision:
    """The written decision: present, issued by a body competent for the action, in force for the validity."""
    if block_request.decision_id is None:
        raise ValidationFailed(
            "A block request rests on a written decision; none is attached.",
            errors={"decision_id": ["a decision is required before submission"]},
        )
    decision = session.get(Decision, block_request.decision_id)
    assert decision is not None
    decisions.require_grounding(decision)
    issuer = session.get(Agency, decision.issuer_agency_id)
    assert issuer is not None
    require_issuer_existed(session, decision, issuer)
    competence.require_competent(block_request.action, issuer.code)
    problems = []
    if decision.effective_to is not None and _vn_date(block_request.valid_until) > decision.effective_to:
        problems.append(
            f"valid_until is after the decision's effective_to {decision.effective_to.isoformat()}"
        )
    if _vn_date(block_request.valid_from) < decision.effective_from:
        problems.append(
            f"valid_from is before the decision's effective_from {decision.effective_from.isoformat()}"
        )
    if decision.effective_to is not None and _vn_date(now or utcnow()) > decision.effective_to:
        problems.append(f"the decision ceased to have effect on {decision.effective_to.isoformat()}")
    if problems:
        raise ValidationFailed(
            msg(
                "Decision {number} does not cover this request: {problems}.",
                number=decision.number,
                problems="; ".join(problems),
            ),
            errors={"decision_id": problems},
        )
    return decision


def check_ending_decision(session: Session, block_request: BlockRequest, decision: Decision) -> None:
    """The written decision that lifts or revokes a request, or decides an appeal against it: (visible and
    grounding, checked by the caller) issued by a body that existed then and is competent for the action."""
    issuer = session.get(Agency, decision.issuer_agency_id)
    assert issuer is not None
    require_issuer_existed(session, decision, issuer)
    competence.require_competent(block_request.action, issuer.code)


def require_issuer_existed(session: Session, decision: Decision, issuer: Agency) -> None:
    """A decision counts only if its issuer existed on the day it was issued (agencies are versioned: a
    MIC decision of 2025-02-28 or before still grounds a block; after that day MIC's successor issues)."""
    if issuer.valid_to is not None and decision.issued_on > issuer.valid_to:
        successor = session.get(Agency, issuer.successor_id) if issuer.successor_id else None
        then = f"; its successor is {successor.code}" if successor else ""
        reason = f"{issuer.code} ceased to exist on {issuer.valid_to.isoformat()}{then}"
        values = {
            "number": decision.number,
            "issued_on": decision.issued_on.isoformat(),
            "issuer": issuer.code,
        }
        if successor:
            raise ValidationFailed(
                msg(
                    "Decision {number} is dated {issued_on}, after its issuer {issuer} ceased to exist on "
                    "{valid_to}; its successor is {successor}.",
                    **values,
                    valid_to=issuer.valid_to.isoformat(),
                    successor=successor.code,
                ),
                errors={"decision_id": [reason]},
            )
        raise ValidationFailed(
            msg(
                "Decision {number} is dated {issued_on}, after its issuer {issuer} ceased to exist on "
                "{valid_to}.",
                **values,
                valid_to=issuer.valid_to.isoformat(),
            ),
            errors={"decision_id": [reason]},
        )
    if decision.issued_on < issuer.valid_from:
        reason = f"{issuer.code} exists from {issuer.valid_from.isoformat()}"
        raise ValidationFailed(
            msg(
                "Decision {number} is dated {issued_on}, before its issuer existed: {issuer} exists from "
                "{valid_from}.",
                number=decision.number,
                issued_on=decision.issued_on.isoformat(),
                issuer=issuer.code,
                valid_from=issuer.valid_from.isoformat(),
            ),
            errors={"decision_id": [reason]},
        )


def _check_complete(block_request: BlockRequest) -> None:
    errors: dict[str, list[str]] = {}
    if not block_request.targets:
        errors["targets"] = ["at least one target is required"]
    if not block_request.executors:
        errors["executors"] = ["at least one executor is required"]
    if not block_request.violations:
        errors["violation_ids"] = ["name the violations that justify the request"]
    if errors:
        raise ValidationFailed("The block request is incomplete.", errors=errors)


def _refuse_protected(targets: list[tuple[BlockTarget, str]], *, at_submission: bool) -> None:
    if not targets:
        return
    values = {"names": ", ".join(t.display for t, _ in targets), "protection": targets[0][1]}
    errors = {f"targets.{t.position}": [reason] for t, reason in targets}
    protected = [t.display for t, _ in targets]
    if at_submission:
        raise ValidationFailed(
            msg(
                "Refused: {names} cannot be blocked whole. {protection}. To ask for it anyway, set "
                "override_requested with an override_justification; a reviewer must then record an override.",
                **values,
            ),
            errors=errors,
            protected_targets=protected,
        )
    raise ValidationFailed(
        msg(
            "Refused: {names} cannot be blocked whole. {protection}. "
            "A reviewer must record a justified override on each before approval.",
            **values,
        ),
        errors=errors,
        protected_targets=protected,
    )


def check_protection(session: Session, block_request: BlockRequest, *, stage: str) -> None:
    """At submission a protected target needs an override request with a justification; at approval,
    a reviewer's recorded override. Evaluated against the lists as they are now."""
    guard = Guard.load(session)
    refused = []
    for target in block_request.targets:
        identifier = _attributes(target)
        target.protection = guard.protection(target.kind, target.value, identifier)
        if target.protection is None:
            continue
        if stage == "submit" and not (target.override_requested and target.override_justification):
            refused.append((target, target.protection))
        if stage == "approve" and target.override_at is None:
            refused.append((target, target.protection))
    _refuse_protected(refused, at_submission=stage == "submit")


def _attributes(target: BlockTarget) -> dict[str, Any]:
    """What the guard needs beyond kind and value: a URL's host."""
    return {"host": urlsplit(target.value).hostname or ""} if target.kind == "url" else {}
