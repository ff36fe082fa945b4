"""Subjects (violators): creation with their tax code and personal ID as linked identifiers, search."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, or_, select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import Duplicate, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError, fold_name, nfc, parse
from registry.models import Identifier, Link, LinkSource, Subject, SubjectKind
from registry.services import identifiers as identifier_service
from registry.services import search, visibility
from registry.services.pagination import paginate

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
        select(Subject).where(clause, visibility.visible_clause(Subject, principal))
    ).first()


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


def search_query(
    session: Session,
    *,
    cipher: FieldCipher,
    principal: Principal,
    q: str | None,
    filters: dict[str, Any],
    fuzzy: bool = False,
) -> Select:
    """Subjects visible to the caller matching a name (diacritic-insensitive) or any identifier spelling.

    With `q`, the query is ordered best first (identifier match, then services.search ranking); a
    paginator's own ORDER BY terms only break ties.
    """
    query = select(Subject).where(visibility.visible_clause(Subject, principal))
    if q:
        folded = fold_name(q)
        hashes = []
        for kind in QUERY_KINDS:
            try:
                parsed = parse(kind, q)
            except IdentifierError:
                continue
            hashes.append((parsed.kind, cipher.lookup_hash(parsed.kind, parsed.value)))
        linked_ids: list[Any] = []
        if hashes:
            # Resolved first, so the name and identifier arms are both index scans (a subquery in an
            # OR would make PostgreSQL scan every subject).
            linked_ids = list(
                session.scalars(
                    select(Link.subject_id)
                    .join(Identifier, Identifier.id == Link.identifier_id)
                    .where(
                        or_(
                            *[
                                (Identifier.kind == kind) & (Identifier.value_hash == digest)
                                for kind, digest in hashes
                            ]
                        ),
                        visibility.visible_clause(Link, principal),
                    )
                    .distinct()
                )
            )
        conditions = []
        rank: list[Any] = []
        if folded:
            names = search.name_match(session, folded, fuzzy=fuzzy and not hashes)
            conditions.append(names.condition)
            rank = names.rank
        if linked_ids:
            conditions.append(Subject.id.in_(linked_ids))
            rank = [case((Subject.id.in_(linked_ids), 0), else_=1), *rank]
        query = query.where(or_(*conditions)) if conditions else query.where(Subject.id.is_(None))
        query = query.order_by(*rank)
    for key in ("kind", "province"):
        if filters.get(key):
            query = query.where(getattr(Subject, key) == filters[key])
    if filters.get("tax_code"):
        try:
            query = query.where(Subject.tax_code == parse("tax_code", filters["tax_code"]).value)
        except IdentifierError as exc:
            raise _field_error("tax_code", exc) from None
    return query


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
    """A page of search_query; near spellings (PostgreSQL) only when the exact search found nothing."""
    order = [Subject.created_at, Subject.id]
    exact = search_query(session, cipher=cipher, principal=principal, q=q, filters=filters)
    found = paginate(session, exact, page=page, per_page=per_page, order_by=order)
    if found["total"] == 0 and q and search.fuzzy_possible(session, fold_name(q)):
        fuzzy = search_query(session, cipher=cipher, principal=principal, q=q, filters=filters, fuzzy=True)
        found = paginate(session, fuzzy, page=page, per_page=per_page, order_by=order)
    return found
