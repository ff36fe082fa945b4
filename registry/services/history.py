"""The seller history Customs and Tax need: a subject, its identifiers, and everything touching them.

The number of queries is fixed whatever the size of the history: one per section, with related rows
loaded in bulk. The workflows add their own sections (SECTIONS; the types they share are in
services.timeline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select, union
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import NotFound, id_or_not_found, record_name
from registry.messages import msg
from registry.models import (
    Identifier,
    Link,
    Referral,
    Subject,
    Violation,
    violation_identifier,
    violation_subject,
)
from registry.services import visibility
from registry.services.agencies import codes as agency_codes
from registry.services.blocking import history as blocking_history
from registry.services.freezing import history as freezing_history
from registry.services.timeline import Event, SectionReader

# The workflows' sections, each called as fn(session, principal=..., subject=..., identifier_ids=...).
SECTIONS: tuple[SectionReader, ...] = (
    blocking_history.history_section,
    freezing_history.history_section,
    freezing_history.delay_history_section,
)


@dataclass
class History:
    subject: Subject
    links: list[Link]
    violations: list[Violation]
    sections: dict[str, list[Any]]
    timeline: list[Event]


# Built once: the caller and the subject are parameters (see visibility.visible_to_caller).
# The subject and its visible links with their identifiers, in one round trip (no link: one row).
_SUBJECT_AND_LINKS = (
    select(Subject, Link, Identifier)
    .select_from(Subject)
    .outerjoin(Link, and_(Link.subject_id == Subject.id, visibility.visible_to_caller(Link)))
    .outerjoin(Identifier, Identifier.id == Link.identifier_id)
    .where(Subject.id == bindparam("subject_id"), visibility.visible_to_caller(Subject))
    .order_by(Link.first_seen, Link.id)
)
# One IN over a UNION: with OR between two IN subqueries PostgreSQL scans every violation.
_TOUCHING = union(
    select(violation_subject.c.violation_id).where(violation_subject.c.subject_id == bindparam("subject_id")),
    select(violation_identifier.c.violation_id).where(
        violation_identifier.c.identifier_id.in_(bindparam("identifier_ids", expanding=True))
    ),
)
_VIOLATIONS = (
    select(Violation)
    .where(Violation.id.in_(_TOUCHING), visibility.visible_to_caller(Violation))
    .order_by(Violation.detected_at, Violation.id)
)


_REFERRALS = select(Referral).where(Referral.violation_id.in_(bindparam("violation_ids", expanding=True)))


def referral_events(session: Session, violations: list[Violation], agencies: dict[int, str]) -> list[Event]:
    """A visible case's referrals to the police, and their receipt (services.history_json: the same)."""
    if not violations:
        return []
    events = []
    for referral in session.scalars(_REFERRALS, {"violation_ids": [v.id for v in violations]}):
        police = agencies.get(referral.police_agency_id) or ""
        events.append(
            Event(
                referral.referred_at,
                "criminal_referral",
                referral.id,
                agencies.get(referral.referring_agency_id),
                f"case referred to {police}",
            )
        )
        if referral.acknowledged_at is not None:
            events.append(
                Event(
                    referral.acknowledged_at,
                    "referral_acknowledged",
                    referral.id,
                    agencies.get(referral.police_agency_id),
                    f"received by {police} as {referral.police_reference}",
                )
            )
    return events


def history(session: Session, *, principal: Principal, subject_id: Any) -> History:
    key = id_or_not_found(subject_id, Subject.record_type)
    caller = visibility.caller_params(principal)
    rows = session.execute(_SUBJECT_AND_LINKS, {"subject_id": key, **caller}).all()
    if not rows:
        raise NotFound(msg("No {what} with id {value}.", what=record_name(Subject.record_type), value=key))
    subject = rows[0].Subject
    links = [row.Link for row in rows if row.Link is not None]  # link.identifier: in the identity map
    identifier_ids = sorted({link.identifier_id for link in links}, key=str)
    violations = list(
        session.scalars(_VIOLATIONS, {"subject_id": subject.id, "identifier_ids": identifier_ids, **caller})
    )
    agencies = agency_codes(session)
    timeline = [
        Event(
            subject.created_at,
            "subject_registered",
            subject.id,
            agencies.get(subject.owner_agency_id),
            subject.name,
        )
    ]
    timeline += [
        Event(
            link.first_seen,
            "identifier_linked",
            link.id,
            agencies.get(link.owner_agency_id),
            f"{link.identifier.kind} {link.identifier.display} ({link.source})",
        )
        for link in links
    ]
    timeline += [
        Event(
            v.detected_at,
            "violation",
            v.id,
            agencies.get(v.owner_agency_id),
            f"{', '.join(v.categories)}: {v.status}",
        )
        for v in violations
    ]
    timeline += referral_events(session, violations, agencies)
    sections: dict[str, list[Any]] = {}
    for section_fn in SECTIONS:
        section = section_fn(session, principal=principal, subject=subject, identifier_ids=identifier_ids)
        sections[section.name] = section.items
        timeline += section.events
    timeline.sort(key=lambda e: (e.at, e.kind, str(e.id)))
    return History(subject, links, violations, sections, timeline)
