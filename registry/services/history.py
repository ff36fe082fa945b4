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

from sqlalchemy import bindparam, select, union
from sqlalchemy.orm import Session, contains_eager

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


# Built once: the caller and the subject are parameters (see visibility.visible_to_caller).
_LINKS = (
    select(Link)
    .join(Link.identifier)
    .options(contains_eager(Link.identifier))
    .where(Link.subject_id == bindparam("subject_id"), visibility.visible_to_caller(Link))
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


def history(session: Session, *, principal: Principal, subject_id: Any) -> History:
    subject = visibility.get_visible(session, Subject, subject_id, principal)
    caller = visibility.caller_params(principal)
    links = list(session.scalars(_LINKS, {"subject_id": subject.id, **caller}).unique())
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
    sections: dict[str, list[Any]] = {}
    for section_fn in _sections():
        section = section_fn(session, principal=principal, subject=subject, identifier_ids=identifier_ids)
        sections[section.name] = section.items
        timeline += section.events
    timeline.sort(key=lambda e: (e.at, e.kind, str(e.id)))
    return History(subject, links, violations, sections, timeline)
