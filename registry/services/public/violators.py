"""The public list of violating websites and shops (the trade ministry's portal publishes one), newest
change first, and what its Atom feed is made of.

One entry per website, URL or marketplace shop that a published violation names, or that a block took
effect on (in effect now, or ended since: lifted, revoked, expired). An entry shows the identifier, the
categories of its published violations, each violation's decision, and each block's decision and,
once the block ended, how and when, with the ending decision if there was one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.models import (
    BlockRequest,
    BlockTarget,
    Decision,
    Identifier,
    Violation,
    WorkflowTransition,
    violation_identifier,
)
from registry.models.blocking import BlockState
from registry.services.blocking.expiry import shown_state
from registry.services.pagination import paginate
from registry.services.public import WEBSITE_KINDS, decision_facts, published

S = BlockState
ENDED = (S.LIFTED.value, S.REVOKED.value, S.EXPIRED.value)
_TOOK_EFFECT = (
    exists()
    .where(
        WorkflowTransition.record_type == "block_request",
        WorkflowTransition.record_id == BlockRequest.id,
        WorkflowTransition.to_state == S.IN_EFFECT.value,
    )
    .correlate(BlockRequest)
)


def _events() -> Any:
    """(identifier_id, at): each published violation's websites, each block's targets since in effect."""
    cases = (
        select(violation_identifier.c.identifier_id.label("identifier_id"), Violation.updated_at.label("at"))
        .join(Violation, Violation.id == violation_identifier.c.violation_id)
        .join(Identifier, Identifier.id == violation_identifier.c.identifier_id)
        .where(published(), Identifier.kind.in_(WEBSITE_KINDS))
    )
    blocks = (
        select(BlockTarget.identifier_id.label("identifier_id"), BlockRequest.updated_at.label("at"))
        .join(BlockRequest, BlockRequest.id == BlockTarget.request_id)
        .where(
            BlockTarget.kind.in_(WEBSITE_KINDS),
            BlockRequest.state.in_((S.IN_EFFECT.value, *ENDED)),
            _TOOK_EFFECT,
        )
    )
    return union_all(cases, blocks).subquery("events")


def page(session: Session, *, page: int, per_page: int) -> dict[str, Any]:
    """A page of entries (services.pagination: counted to 1,000), newest change first."""
    events = _events()
    updated = func.max(events.c.at)
    query = select(events.c.identifier_id, updated.label("updated")).group_by(events.c.identifier_id)
    found = paginate(
        session,
        query,
        page=page,
        per_page=per_page,
        order_by=[literal_column("updated").desc(), events.c.identifier_id],
    )
    found["items"] = entries(session, found["items"])
    return found


def entries(session: Session, identifier_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """The entries of these identifiers, in this order."""
    if not identifier_ids:
        return []
    identifiers = {
        i.id: i for i in session.scalars(select(Identifier).where(Identifier.id.in_(identifier_ids)))
    }
    built: dict[uuid.UUID, dict[str, Any]] = {
        identifier_id: {
            "website": {
                "kind": identifiers[identifier_id].kind,
                "value": identifiers[identifier_id].value or "",
                "display": identifiers[identifier_id].display,
            },
            "categories": [],
            "violations": [],
            "blocks": [],
            "updated": None,
        }
        for identifier_id in identifier_ids
    }
    cases = session.execute(
        select(violation_identifier.c.identifier_id, Violation, Decision)
        .join(Violation, Violation.id == violation_identifier.c.violation_id)
        .outerjoin(Decision, Decision.id == Violation.sanction_decision_id)
        .where(violation_identifier.c.identifier_id.in_(identifier_ids), published())
        .order_by(Violation.detected_at.desc(), Violation.id)
    ).all()
    for identifier_id, violation, decision in cases:
        entry = built[identifier_id]
        entry["categories"] = sorted(set(entry["categories"]) | set(violation.categories))
        entry["violations"].append(
            {
                "categories": violation.categories,
                "goods_groups": violation.goods_groups,
                "status": violation.status,
                "detected_on": violation.detected_at.date(),
                "decision": decision_facts(decision, violation.sanction_reference),
            }
        )
        _touch(entry, violation.updated_at)
    now = utcnow()
    blocks = session.execute(
        select(BlockTarget.identifier_id, BlockRequest, Decision)
        .join(BlockRequest, BlockRequest.id == BlockTarget.request_id)
        .outerjoin(Decision, Decision.id == BlockRequest.decision_id)
        .where(
            BlockTarget.identifier_id.in_(identifier_ids),
            BlockRequest.state.in_((S.IN_EFFECT.value, *ENDED)),
            _TOOK_EFFECT,
        )
        .order_by(BlockRequest.valid_from.desc(), BlockRequest.id)
    ).all()
    endings = _endings(session, [request.id for _, request, _ in blocks])
    for identifier_id, request, decision in blocks:
        state = shown_state(request, now)
        entry = built[identifier_id]
        entry["blocks"].append(
            {
                "action": request.action,
                "state": state.value,
                "valid_from": request.valid_from.date(),
                "valid_until": request.valid_until.date(),
                "decision": decision_facts(decision),
                "ended": _ending(state, request, endings.get(request.id)),
            }
        )
        _touch(entry, request.updated_at)
    return [built[identifier_id] for identifier_id in identifier_ids]


def _touch(entry: dict[str, Any], at: datetime) -> None:
    if entry["updated"] is None or at > entry["updated"]:
        entry["updated"] = at


def _endings(session: Session, request_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Any, Decision | None]]:
    """Each ended request's last ending step and its decision."""
    if not request_ids:
        return {}
    rows = session.execute(
        select(WorkflowTransition, Decision)
        .outerjoin(Decision, Decision.id == WorkflowTransition.decision_id)
        .where(
            WorkflowTransition.record_type == "block_request",
            WorkflowTransition.record_id.in_(request_ids),
            WorkflowTransition.to_state.in_(ENDED),
        )
        .order_by(WorkflowTransition.id)
    ).all()
    return {transition.record_id: (transition, decision) for transition, decision in rows}


def _ending(state: BlockState, request: BlockRequest, found: tuple[Any, Decision | None] | None) -> Any:
    """How and when a block ended (None while in effect): lifted (also by an upheld appeal) or revoked
    on a decision, or expired at the end of its validity."""
    if state == S.IN_EFFECT:
        return None
    if found is None:  # expired for the reader, the tick not yet run
        return {"how": S.EXPIRED.value, "on": request.valid_until.date(), "decision": None}
    transition, decision = found
    how = "appeal_upheld" if transition.action == "uphold_appeal" else transition.to_state
    return {"how": how, "on": transition.at.date(), "decision": decision_facts(decision)}
