"""Subjects (violators): creation with their tax code and personal ID as linked identifiers, search."""

from __future__ import annotations

import functools
import hashlib
from contextlib import nullcontext
from typing import Any

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, literal, or_, select, text, true
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.errors import Duplicate, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError, fold_name, nfc, parse
from registry.identifiers.collation import by_name
from registry.models import Identifier, Link, LinkSource, Subject, SubjectKind
from registry.services import identifiers as identifier_service
from registry.services import search, visibility
from registry.services.pagination import Part, paginate, window_page

PERSONAL_ID_CONTEXT = "subject:personal_id"
# Kinds a free-text query is tried as, in this order; a value that parses as one is looked up by hash.
QUERY_KINDS = (
    "tax_code",
    "personal_id",
    "phone",
    "email",
    "bank_account",
    "url",
    "domain",
    "ip",
    "marketplace_shop",
    "social_account",
)


def _field_error(field: str, exc: IdentifierError) -> ValidationFailed:
    return ValidationFailed(exc.reason, errors={field: [exc.reason]})


def _visible_duplicate(session: Session, principal: Principal, clause: Any) -> Subject | None:
    return session.scalars(
        select(Subject).where(clause, visibility.record_visible(Subject, principal))
    ).first()


def _take_turns(session: Session, kind: str, key: str) -> None:
    """Creations naming the same tax code (or personal ID hash) run one after the other on PostgreSQL.

    No unique key can stop two of them (another agency's unshared subject with the same tax code is no
    duplicate), so without this two concurrent creations would both find no duplicate and both create.
    The lock is the transaction's: the next creation looks for a duplicate once this one has committed
    (read committed) and gets the 409. Taken in one order (tax code, then personal ID): no deadlock.
    SQLite runs one write transaction at a time (BEGIN IMMEDIATE) already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"subject:{kind}:{key}".encode()).digest()
    session.execute(_ADVISORY_LOCK, {"key": int.from_bytes(digest[:8], "big", signed=True)})


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def create(session: Session, *, cipher: FieldCipher, principal: Principal, data: dict[str, Any]) -> Subject:
    """A new subject; one the caller can already see with the same tax code or personal ID is a 409."""
    name = nfc(data["name"])
    if not name:
        raise ValidationFailed("The name is empty.", errors={"name": ["must not be blank"]})
    parsed_ids = []
    tax_code = personal_hash = personal_enc = None
    if data.get("tax_code"):
        try:
            parsed = parse("tax_code", data["tax_code"])
        except IdentifierError as exc:
            raise _field_error("tax_code", exc) from None
        parsed_ids.append(parsed)
        if parsed.sensitive:
            # An individual's 12-digit tax code is their personal ID number: never kept in clear.
            data = {**data, "personal_id": data.get("personal_id") or parsed.value}
        else:
            tax_code = parsed.value
            _take_turns(session, "tax_code", tax_code)
            existing = _visible_duplicate(session, principal, Subject.tax_code == tax_code)
            if existing:
                raise Duplicate(
                    "A subject with this tax code is already registered.", existing=str(existing.id)
                )
    if data.get("personal_id"):
        if data["kind"] != SubjectKind.INDIVIDUAL:
            raise ValidationFailed(
                "Only individuals have a personal ID.", errors={"personal_id": ["only for kind 'individual'"]}
            )
        try:
            parsed = parse("personal_id", data["personal_id"])
        except IdentifierError as exc:
            raise _field_error("personal_id", exc) from None
        personal_hash = cipher.lookup_hash("personal_id", parsed.value)
        personal_enc = cipher.encrypt(parsed.value, PERSONAL_ID_CONTEXT)
        parsed_ids.append(parsed)
        _take_turns(session, "personal_id", personal_hash)
        existing = _visible_duplicate(session, principal, Subject.personal_id_hash == personal_hash)
        if existing:
            raise Duplicate(
                "A subject with this personal ID is already registered.", existing=str(existing.id)
            )

    subject = Subject(
        kind=data["kind"],
        name=name,
        name_folded=fold_name(name),
        tax_code=tax_code,
        personal_id_hash=personal_hash,
        personal_id_enc=personal_enc,
        business_registration=(data.get("business_registration") or None),
        addresses=[nfc(a) for a in data.get("addresses", []) if nfc(a)],
        province=data.get("province"),
        owner_agency_id=principal.agency_id,
        visibility=data["visibility"],
    )
    session.add(subject)
    session.flush()
    visibility.initialise(session, subject, principal, data["visibility"], data.get("shared_with", []))
    for parsed in parsed_ids:
        identifier = identifier_service.ensure(
            session, cipher=cipher, principal=principal, parsed=parsed
        ).identifier
        link = Link(
            subject_id=subject.id,
            identifier_id=identifier.id,
            confidence=100,
            source=data.get("source", LinkSource.INSPECTION),
            owner_agency_id=principal.agency_id,
            visibility=subject.visibility,
        )
        session.add(link)
        session.flush()
        visibility.initialise(session, link, principal, subject.visibility, data.get("shared_with", []))
    session.flush()
    return subject


def update(session: Session, *, subject: Subject, principal: Principal, data: dict[str, Any]) -> Subject:
    if subject.owner_agency_id != principal.agency_id:
        raise PermissionDenied("Only the agency that created a subject can change it.")
    if "name" in data:
        name = nfc(data["name"])
        if not name:
            raise ValidationFailed("The name is empty.", errors={"name": ["must not be blank"]})
        subject.name, subject.name_folded = name, fold_name(name)
    for key in ("business_registration", "province"):
        if key in data:
            setattr(subject, key, data[key] or None)
    if "addresses" in data:
        subject.addresses = [nfc(a) for a in data["addresses"] if nfc(a)]
    session.flush()
    return subject


def personal_id(subject: Subject, cipher: FieldCipher) -> str | None:
    if subject.personal_id_enc is None:
        return None
    return cipher.decrypt(subject.personal_id_enc, PERSONAL_ID_CONTEXT)


ORDER = (Subject.created_at, Subject.id)
FILTERS = ("kind", "province", "tax_code")
_LINKED: BindParameter[list[Any]] = bindparam("linked_ids", expanding=True)


def _filter_values(filters: dict[str, Any]) -> dict[str, Any]:
    values = {key: filters[key] for key in FILTERS if filters.get(key)}
    if "tax_code" in values:
        try:
            values["tax_code"] = parse("tax_code", values["tax_code"]).value
        except IdentifierError as exc:
            raise _field_error("tax_code", exc) from None
    return values


def _linked_subjects(
    session: Session, *, cipher: FieldCipher, principal: Principal, q: str
) -> tuple[bool, list[Any]]:
    """Whether q is spelled like an identifier, and the subjects visibly linked to it.

    A sensitive identifier (bank account, personal ID) finds its holders only for a caller with
    registry:read_sensitive: others learn no more than /identifiers/match tells them."""
    hashes = []
    spelled = False
    shows_holders = principal.has(Scope.REGISTRY_READ_SENSITIVE)
    for kind in QUERY_KINDS:
        try:
            parsed = parse(kind, q)
        except IdentifierError:
            continue
        spelled = True
        if parsed.sensitive and not shows_holders:
            continue
        hashes.append((parsed.kind, cipher.lookup_hash(parsed.kind, parsed.value)))
    if not hashes:
        return spelled, []
    linked = session.scalars(
        select(Link.subject_id)
        .join(Identifier, Identifier.id == Link.identifier_id)
        .where(
            or_(*[(Identifier.kind == kind) & (Identifier.value_hash == digest) for kind, digest in hashes]),
            visibility.record_visible(Link, principal),
        )
        .distinct()
    )
    return True, list(linked)


@functools.cache
def _part_statements(
    part: search.Part, filters: tuple[str, ...], linked: str
) -> tuple[Select[Any], Select[Any]]:
    """A part of a search as statements built once per shape, the caller, the query, the filters, the
    offset and the limit being parameters: its rows (offset, limit), and how many rows it has counting
    up to a limit. `linked`: "" (no identifier matched), "only" (the subjects linked to the identifier)
    or "exclude" (names, without those subjects).

    Visibility (visibility.visible_to_caller) is checked for each row read (the rule probes a named
    share row by row), so a page costs what it reads, not what matches.
    """
    conditions = [
        visibility.visible_to_caller(Subject),
        *[getattr(Subject, key) == bindparam(f"filter_{key}") for key in filters],
    ]
    if linked == "only":
        conditions.append(Subject.id.in_(_LINKED))
    else:
        conditions.append(part.condition)
        if linked == "exclude":
            conditions.append(Subject.id.not_in(_LINKED))
    limit = bindparam("limit", type_=Integer())
    rows = (
        select(Subject, part.distance)
        .where(*conditions)
        .order_by(*part.order)
        .offset(bindparam("offset", type_=Integer()))
        .limit(limit)
    )
    first = select(Subject.id).where(*conditions).order_by(*part.order).limit(limit).subquery()
    return rows, select(func.count()).select_from(first)


_LINKED_PART = search.Part("linked", true(), ORDER, literal(0.0))


def search_page(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    q: str | None,
    filters: dict[str, Any],
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """Subjects visible to the caller: all of them (filtered), or those matching `q`.

    Without `q`, a page of every visible subject, oldest first or, with `filters["sort"] == "name"`, in
    Vietnamese alphabetical order (identifiers.collation) (pagination.paginate). With `q`, the
    subjects linked to an identifier spelled like q come first, then names (diacritics ignored; see
    services.search): equal to q, then containing it, then (PostgreSQL, when nothing matched) near
    spellings. A search reads only as far as the page it answers (pagination.window_page): its total is
    exact once the last result is reached (`total_exact`), a lower bound before; `has_more` says
    whether a next page exists; pages reach the first search.SEARCH_WINDOW results.
    """
    values = _filter_values(filters)
    if not q:
        query = select(Subject).where(
            visibility.record_visible(Subject, principal),
            *[getattr(Subject, key) == value for key, value in values.items()],
        )
        order = [by_name(Subject.name), Subject.id] if filters.get("sort") == "name" else list(ORDER)
        return paginate(session, query, page=page, per_page=per_page, order_by=order)
    dialect = session.get_bind().dialect.name
    folded = fold_name(q)
    spelled_as_identifier, linked_ids = _linked_subjects(session, cipher=cipher, principal=principal, q=q)
    shape = tuple(values)
    params = {
        **visibility.caller_params(principal),
        **{f"filter_{key}": value for key, value in values.items()},
        **search.query_params(folded),
        "linked_ids": linked_ids,
    }

    def reader(part: search.Part, linked: str) -> Part:
        rows, count = _part_statements(part, shape, linked)

        def read(offset: int, limit: int) -> list[Any]:
            with search.index_ordered_plan(session) if part.index_ordered else nullcontext():
                return list(session.execute(rows, {**params, "offset": offset, "limit": limit}).tuples())

        def counted(limit: int) -> int:
            with search.index_ordered_plan(session) if part.index_ordered else nullcontext():
                return session.execute(count, {**params, "limit": limit}).scalar_one()

        return Part(read, counted)

    parts = [reader(_LINKED_PART, "only")] if linked_ids else []
    names = "exclude" if linked_ids else ""
    near = None
    if folded:
        parts += [reader(part, names) for part in search.name_parts(dialect, folded)]
        near = None if spelled_as_identifier else search.near_part(dialect, folded)
    found = window_page(
        parts,
        fallback=[reader(near, names)] if near else [],
        page=page,
        per_page=per_page,
        window=search.SEARCH_WINDOW,
    )
    ranked = sorted(found["items"], key=lambda item: search.page_key(folded, item[0], *item[1]))
    found["items"] = [subject for _, (subject, _) in ranked]
    return found
