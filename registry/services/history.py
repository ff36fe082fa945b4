"""The seller history Customs and Tax need: a subject, its identifiers, and everything touching them.

The number of queries is fixed whatever the size of the history: one per section, with related rows
loaded in bulk. Workflow modules add their own sections through HISTORY_SECTIONS.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from registry.auth.principal import Principal
from registry.models import Link, Subject, Violation, violation_identifier, violation_subject
from registry.services import visibility
from registry.services.agencies import codes as agency_codes

# "module:function" of sections added by the workflows. Each is called as
# fn(session, principal=..., subject=..., identifier_ids=...) -> Section.
HISTORY_SECTIONS: tuple[str, ...] = (
    "registry.services.blocking:history_section",
    "registry.services.freezing:history_section",
    "registry.services.freezing:delay_history_section",
)


@dataclass
class Event:
    at: datetime
    kind: str
    id: uuid.UUID
    agency: str | None
    summary: str


@dataclass
class Section:
    name: str
    items: list[Any]
    events: list[Event] = field(default_factory=list)


@dataclass
class History:
    subject: Subject
    links: list[Link]
    violations: list[Violation]
    sections: dict[str, list[Any]]
    timeline: list[Event]


def _sections() -> list[Callable[..., Section]]:
    loaded = []
    for spec in HISTORY_SECTIONS:
        module, _, name = spec.partition(":")
        loaded.append(getattr(importlib.import_module(module), name))
    return loaded


def history(session: Session, *, principal: Principal, subject_id: Any) -> History:
    subject = visibility.get_visible(session, Subject, subject_id, principal)
    links = list(
        session.scalars(
            select(Link)
            .options(joinedload(Link.identifier))
            .where(Link.subject_id == subject.id, visibility.visible_clause(Link, principal))
            .order_by(Link.first_seen, Link.id)
        )
    )
    identifier_ids = sorted({link.identifier_id for link in links}, key=str)
    # One IN over a UNION: with OR between two IN subqueries PostgreSQL scans every violation.
    touching = select(violation_subject.c.violation_id).where(violation_subject.c.subject_id == subject.id)
    if identifier_ids:
        touching = touching.union(
            select(violation_identifier.c.violation_id).where(
                violation_identifier.c.identifier_id.in_(identifier_ids)
            )
        )
    violations = list(
        session.scalars(
            select(Violation)
            .where(Violation.id.in_(touching), visibility.visible_clause(Violation, principal))
            .order_by(Violation.detected_at, Violation.id)
        )
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
    sections: dict[str, list[Any]] = {}
    for section_fn in _sections():
        section = section_fn(session, principal=principal, subject=subject, identifier_ids=identifier_ids)
        sections[section.name] = section.items
        timeline += section.events
    timeline.sort(key=lambda e: (e.at, e.kind, str(e.id)))
    return History(subject, links, violations, sections, timeline)
