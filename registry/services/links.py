"""Links: an agency's assertion that a subject uses an identifier, with source and confidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from registry.auth.principal import Principal
from registry.db import utcnow
from registry.errors import Duplicate, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.models import Identifier, Link, Subject
from registry.services import identifiers as identifier_service
from registry.services import visibility


def _check_seen(first: datetime, last: datetime) -> None:
    if last < first:
        raise ValidationFailed(
            "last_seen is before first_seen.", errors={"last_seen": ["must be >= first_seen"]}
        )
    if first > utcnow():
        raise ValidationFailed(
            "first_seen is in the future.", errors={"first_seen": ["must not be in the future"]}
        )


def _asserted(
    session: Session, subject: Subject, identifier: Identifier, principal: Principal
) -> Link | None:
    """The caller's agency's link between the two, if it has one."""
    return session.scalars(
        select(Link).where(
            Link.subject_id == subject.id,
            Link.identifier_id == identifier.id,
            Link.owner_agency_id == principal.agency_id,
        )
    ).first()


def _duplicate(existing: Link) -> Duplicate:
    return Duplicate("Your agency already links this subject and identifier.", existing=str(existing.id))


def create(session: Session, *, cipher: FieldCipher, principal: Principal, data: dict[str, Any]) -> Link:
    subject = visibility.load_visible(session, Subject, data["subject_id"], principal)
    if data.get("identifier_id"):
        identifier = session.scalars(
            select(Identifier).where(
                Identifier.id == data["identifier_id"], visibility.identifier_visible(principal)
            )
        ).first()
        if identifier is None:
            raise ValidationFailed("Unknown identifier.", errors={"identifier_id": ["no such identifier"]})
    elif data.get("identifier"):
        spec = data["identifier"]
        parsed = identifier_service.parse_or_fail(spec["kind"], spec["value"], field="identifier.value")
        identifier = identifier_service.ensure(
            session, cipher=cipher, principal=principal, parsed=parsed
        ).identifier
    else:
        raise ValidationFailed(
            "Name the identifier by id or by kind and value.",
            errors={"identifier_id": ["identifier_id or identifier is required"]},
        )
    existing = _asserted(session, subject, identifier, principal)
    if existing:
        raise _duplicate(existing)
    now = utcnow()
    first, last = data.get("first_seen") or now, data.get("last_seen") or data.get("first_seen") or now
    _check_seen(first, last)
    link = Link(
        subject_id=subject.id,
        identifier_id=identifier.id,
        confidence=data.get("confidence", 80),
        source=data["source"],
        first_seen=first,
        last_seen=last,
        note=data.get("note"),
        owner_agency_id=principal.agency_id,
        visibility=data["visibility"],
    )
    try:
        with session.begin_nested():
            session.add(link)
    except IntegrityError:
        # A concurrent request asserted the same link first: the unique key (subject, identifier, owner
        # agency) made this insert wait for its transaction and fail once it committed.
        winner = _asserted(session, subject, identifier, principal)
        if winner is None:  # not the race: some other constraint
            raise
        raise _duplicate(winner) from None
    visibility.initialise(session, link, principal, data["visibility"], data.get("shared_with", []))
    session.flush()
    return link


def update(session: Session, *, link: Link, principal: Principal, data: dict[str, Any]) -> Link:
    if link.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the agency that asserted a link can change it.")
    for key in ("confidence", "note", "source", "first_seen", "last_seen"):
        if key in data:
            setattr(link, key, data[key])
    _check_seen(link.first_seen, link.last_seen)
    session.flush()
    return link


def visible(
    principal: Principal, *, subject_id: Any = None, identifier_id: Any = None
) -> Select[tuple[Link]]:
    """The links the caller may see, between subjects it may see (of one subject or identifier)."""
    query = (
        select(Link)
        .options(joinedload(Link.identifier))
        .join(Subject, Subject.id == Link.subject_id)
        .where(visibility.record_visible(Link, principal), visibility.record_visible(Subject, principal))
    )
    if subject_id:
        query = query.where(Link.subject_id == subject_id)
    if identifier_id:
        query = query.where(Link.identifier_id == identifier_id)
    return query
