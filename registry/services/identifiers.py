"""Registering and finding identifiers: every spelling goes through the parser to one canonical key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from registry.auth.principal import Principal
from registry.errors import Duplicate, NotFound, ValidationFailed, id_or_not_found, record_name
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError, ParsedIdentifier, parse
from registry.messages import msg
from registry.models import Identifier, Link, Subject
from registry.services import visibility


def parse_or_fail(kind: str, value: str, field: str = "value") -> ParsedIdentifier:
    try:
        return parse(kind, value)
    except IdentifierError as exc:
        raise ValidationFailed(exc.reason, errors={field: [exc.reason]}) from None


def _find(session: Session, cipher: FieldCipher, parsed: ParsedIdentifier) -> Identifier | None:
    digest = cipher.lookup_hash(parsed.kind, parsed.value)
    return session.scalars(
        select(Identifier).where(Identifier.kind == parsed.kind, Identifier.value_hash == digest)
    ).first()


def _insert_or_find(
    session: Session, cipher: FieldCipher, parsed: ParsedIdentifier, principal: Principal
) -> tuple[Identifier, bool]:
    """The identifier for a parsed value and whether this call created it.

    Two requests may both find nothing and both insert: the unique key (kind, value_hash) makes the
    second insert wait for the first transaction and fail once it commits. The insert runs on a
    savepoint, so the loser rolls back only that and reads the winner's row (read committed)."""
    existing = _find(session, cipher, parsed)
    if existing is not None:
        return existing, False
    sensitive = parsed.sensitive
    identifier = Identifier(
        kind=parsed.kind,
        value_hash=cipher.lookup_hash(parsed.kind, parsed.value),
        value=None if sensitive else parsed.value,
        value_enc=cipher.encrypt(parsed.value, f"identifier:{parsed.kind}") if sensitive else None,
        display=parsed.display,
        attributes=dict(parsed.attributes),
        created_by_agency_id=principal.agency_id,
    )
    try:
        with session.begin_nested():
            session.add(identifier)
    except IntegrityError:
        winner = _find(session, cipher, parsed)
        if winner is None:  # not the race: some other constraint
            raise
        return winner, False
    return identifier, True


@dataclass
class Registered:
    identifier: Identifier
    created: bool
    related: list[Identifier]


def _with_related(
    session: Session, cipher: FieldCipher, principal: Principal, parsed: ParsedIdentifier
) -> list[Identifier]:
    return [ensure(session, cipher=cipher, principal=principal, parsed=r).identifier for r in parsed.related]


def ensure(
    session: Session, *, cipher: FieldCipher, principal: Principal, parsed: ParsedIdentifier
) -> Registered:
    """The identifier for a parsed value, created (with what it implies, e.g. a URL's domain) if new."""
    identifier, created = _insert_or_find(session, cipher, parsed, principal)
    return Registered(identifier, created, _with_related(session, cipher, principal, parsed))


def create(
    session: Session, *, cipher: FieldCipher, principal: Principal, kind: str, value: str
) -> Registered:
    """A new identifier; a known one is a 409 that points at the existing record (also when a
    concurrent request registered it first)."""
    parsed = parse_or_fail(kind, value)
    identifier, created = _insert_or_find(session, cipher, parsed, principal)
    if not created:
        raise Duplicate(msg("This {kind} is already registered.", kind=kind), existing=str(identifier.id))
    return Registered(identifier, True, _with_related(session, cipher, principal, parsed))


# Built once; the caller is a parameter (see visibility.visible_to_caller).
# The identifier by its keyed hash, with the subjects linked to it, each row one visible subject (or
# None): one round trip for /identifiers/lookup, the busiest call after the history. The link is an
# alias, so that the identifier rule's own EXISTS over links is not correlated with it.
_LINKED = aliased(Link, name="linked")
_LOOKUP = (
    select(Identifier, Subject.id)
    .select_from(Identifier)
    .outerjoin(_LINKED, and_(_LINKED.identifier_id == Identifier.id, visibility.visible_to_caller(_LINKED)))
    .outerjoin(Subject, and_(Subject.id == _LINKED.subject_id, visibility.visible_to_caller(Subject)))
    .where(
        Identifier.kind == bindparam("kind"),
        Identifier.value_hash == bindparam("digest"),
        visibility.identifier_visible_to_caller(),
    )
)


def lookup(
    session: Session, *, cipher: FieldCipher, principal: Principal, kind: str, value: str
) -> tuple[Identifier, list[uuid.UUID]]:
    """The identifier any accepted spelling of `value` names, and the subjects linked to it by links the
    caller may see, that the caller may see (sorted); NotFound if it is unknown or not visible."""
    parsed = parse_or_fail(kind, value)
    params = {"kind": parsed.kind, "digest": cipher.lookup_hash(parsed.kind, parsed.value)}
    rows = session.execute(_LOOKUP, {**params, **visibility.caller_params(principal)}).all()
    if not rows:
        raise NotFound(msg("No {kind} matching that value is registered.", kind=kind))
    return rows[0][0], sorted({subject_id for _, subject_id in rows if subject_id is not None}, key=str)


def canonical_value(identifier: Identifier, cipher: FieldCipher) -> str:
    if identifier.value is not None:
        return identifier.value
    assert identifier.value_enc is not None
    return cipher.decrypt(identifier.value_enc, f"identifier:{identifier.kind}")


def load_visible(session: Session, *, principal: Principal, identifier_id: Any) -> Identifier:
    """The identifier, or NotFound whether it is missing or hidden from the caller."""
    key = id_or_not_found(identifier_id, "identifier")
    found = session.scalars(
        select(Identifier).where(Identifier.id == key, visibility.identifier_visible(principal))
    ).first()
    if found is None:
        raise NotFound(msg("No {what} with id {value}.", what=record_name("identifier"), value=key))
    return found


def visible(principal: Principal, *, kind: str | None = None) -> Select[tuple[Identifier]]:
    """The identifiers the caller may see (of one kind), for a page."""
    query = select(Identifier).where(visibility.identifier_visible(principal))
    return query.where(Identifier.kind == kind) if kind else query
