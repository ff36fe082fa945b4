"""The routed agency's side of tips: its list and groups, triage, links, re-routing and closing.

A tip is the routed agency's alone: any other agency gets the same 404 as for a missing tip. Each step
is a write of its own (the guard audits it); the HTTP layer commits once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry.auth.principal import Principal
from registry.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    id_or_not_found,
    record_name,
)
from registry.messages import msg
from registry.models import STATE_KINDS, TIP_CLOSED, Subject, Tip, TipLink, TipStatus, Violation
from registry.services import agencies, visibility

OPEN = (TipStatus.RECEIVED.value, TipStatus.UNDER_REVIEW.value)


def list_query(principal: Principal, args: dict[str, Any]) -> Select[tuple[Tip]]:
    query = select(Tip).where(Tip.agency_id == principal.agency_id)
    if args.get("status"):
        query = query.where(Tip.status == args["status"])
    if args.get("group"):
        query = query.where(Tip.group_key == args["group"])
    return query


def groups(
    session: Session, principal: Principal, *, status: str | None, page: int, per_page: int
) -> dict[str, Any]:
    """The agency's tips grouped by what they are about: each group's size, open tips and latest."""
    query = select(
        Tip.group_key,
        func.min(Tip.group_display).label("display"),
        func.count().label("tips"),
        func.count().filter(Tip.status.in_(OPEN)).label("open"),
        func.max(Tip.received_at).label("latest"),
    ).where(Tip.agency_id == principal.agency_id)
    if status:
        query = query.where(Tip.status == status)
    query = query.group_by(Tip.group_key)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(func.max(Tip.received_at).desc(), Tip.group_key)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        {"group": r.group_key, "display": r.display, "tips": r.tips, "open": r.open, "latest": r.latest}
        for r in rows
    ]
    return {"items": items, "total": total, "page": page, "per_page": per_page,
            "has_more": page * per_page < total}  # fmt: skip


def load(session: Session, principal: Principal, tip_id: Any) -> Tip:
    key = id_or_not_found(tip_id, "tip")
    found = session.get(Tip, key)
    if found is None or found.agency_id != principal.agency_id:
        raise NotFound(msg("No {what} with id {value}.", what=record_name("tip"), value=key))
    return found


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "This tip was changed by someone else at the same time; reload it and try again."
        ) from None


def _require(tip: Tip, allowed: tuple[str, ...]) -> None:
    if tip.status not in allowed:
        raise InvalidTransition(
            msg("This tip is {status}; this step is not allowed now.", status=tip.status),
            current=tip.status,
            allowed=list(allowed),
        )


def triage(session: Session, *, principal: Principal, tip: Tip, now: datetime) -> Tip:
    _require(tip, (TipStatus.RECEIVED.value,))
    tip.status = TipStatus.UNDER_REVIEW.value
    tip.triaged_by, tip.triaged_at, tip.updated_at = principal.actor, now, now
    _flush(session)
    return tip


def link(
    session: Session,
    *,
    principal: Principal,
    tip: Tip,
    subject_id: uuid.UUID | None,
    violation_id: uuid.UUID | None,
    now: datetime,
) -> TipLink:
    """Link the tip to a subject or a violation the caller may see (404 otherwise); linking the same
    record again changes nothing."""
    if (subject_id is None) == (violation_id is None):
        raise ValidationFailed(
            "Name a subject or a violation, one of the two.",
            errors={"subject_id": ["one of subject_id, violation_id"]},
        )
    if subject_id is not None:
        visibility.load_visible(session, Subject, subject_id, principal)
    else:
        visibility.load_visible(session, Violation, violation_id, principal)
    for existing in tip.links:
        if (existing.subject_id, existing.violation_id) == (subject_id, violation_id):
            return existing
    made = TipLink(
        subject_id=subject_id,
        violation_id=violation_id,
        linked_by=principal.actor,
        agency_id=principal.agency_id,
        linked_at=now,
    )
    tip.links.append(made)
    tip.updated_at = now
    _flush(session)
    return made


def reroute(session: Session, *, principal: Principal, tip: Tip, agency_code: str, now: datetime) -> Tip:
    """Send an open tip to another agency (a state body or a province in force): it is then received
    there, and no longer the caller's."""
    _require(tip, OPEN)
    try:
        target = agencies.by_code(session, agency_code)
    except NotFound:
        target = None
    if (
        target is None
        or target.kind not in STATE_KINDS
        or (target.valid_to is not None and target.valid_to < now.date())
    ):
        raise ValidationFailed(
            msg("{code} cannot receive tips: not a state agency in force.", code=agency_code),
            errors={"agency": ["not a state agency in force"]},
        )
    if target.id == tip.agency_id:
        raise ValidationFailed(
            "The tip is already routed to this agency.", errors={"agency": ["the current agency"]}
        )
    tip.agency_id, tip.routed_by = target.id, principal.actor
    tip.status = TipStatus.RECEIVED.value
    tip.triaged_by = tip.triaged_at = None
    tip.updated_at = now
    _flush(session)
    return tip


def close(session: Session, *, principal: Principal, tip: Tip, outcome: str, note: str, now: datetime) -> Tip:
    _require(tip, OPEN)
    if outcome not in TIP_CLOSED:
        raise ValidationFailed(
            msg("The outcome is one of {allowed}.", allowed=", ".join(TIP_CLOSED)),
            errors={"outcome": [f"one of {', '.join(TIP_CLOSED)}"]},
        )
    tip.status, tip.outcome_note = outcome, note
    tip.closed_by, tip.closed_at, tip.updated_at = principal.actor, now, now
    _flush(session)
    return tip
