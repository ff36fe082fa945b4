"""What the exchange exports, gathered for one caller with the registry's visibility rules.

The sources are the cases (violations confirmed or sanctioned: suspicions and dismissed cases stay home)
and the blocks in effect. A case is exported when the caller may see it; of it, the subjects and
identifiers the caller may see themselves (services.visibility), and its sanction decision's number
when the caller may see the decision. A block in effect is exported when the caller may see its written
decision: the decision's visibility says who may know of it (block requests have no visibility of
their own: their readers are the agencies that work on them), and with it the targets it names.

Only network identifiers leave the registry (domains, URLs, IP addresses and ranges). Phones, bank
accounts, e-mail addresses, shops, tax codes of individuals and personal ID numbers never do: foreign
exchange carries no personal or financial data of a person. An individual subject is exported as a
pseudonym (its stable id), never by name; an organisation by its name and tax code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import Session, selectinload

from registry.auth.principal import Principal
from registry.errors import Conflict
from registry.messages import msg
from registry.models import (
    Agency,
    BlockRequest,
    Decision,
    Identifier,
    Subject,
    Violation,
    ViolationStatus,
    Visibility,
)
from registry.models.blocking import BlockState
from registry.services.blocking.expiry import in_shown_state
from registry.services.visibility import identifier_visible, record_visible

NETWORK_KINDS = ("domain", "url", "ip", "ip_range")
EXPORTED_STATUSES = (ViolationStatus.CONFIRMED, ViolationStatus.SANCTIONED)


@dataclass(frozen=True)
class AgencyFact:
    code: str
    name_en: str
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class SubjectFact:
    id: uuid.UUID
    organisation: bool
    name: str | None  # None for an individual: exported as a pseudonym
    tax_code: str | None  # organisations only
    created_at: datetime
    updated_at: datetime
    public: bool


@dataclass(frozen=True)
class IdentifierFact:
    id: uuid.UUID
    kind: str  # one of NETWORK_KINDS
    value: str  # canonical (a domain's A-label)
    display: str
    created_at: datetime


@dataclass(frozen=True)
class CaseFact:
    id: uuid.UUID
    agency: str  # the detecting agency's code
    status: str
    categories: tuple[str, ...]
    goods_groups: tuple[str, ...]
    province: str | None
    detected_at: datetime
    created_at: datetime
    updated_at: datetime
    public: bool
    decision_number: str | None
    subjects: tuple[uuid.UUID, ...]
    identifiers: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class BlockFact:
    id: uuid.UUID
    action: str
    agency: str  # the decision's issuer
    decision_number: str
    decision_issued_on: str
    valid_from: datetime
    valid_until: datetime
    created_at: datetime
    updated_at: datetime
    public: bool
    identifiers: tuple[uuid.UUID, ...]


@dataclass
class Sources:
    agencies: dict[str, AgencyFact] = field(default_factory=dict)
    subjects: dict[uuid.UUID, SubjectFact] = field(default_factory=dict)
    identifiers: dict[uuid.UUID, IdentifierFact] = field(default_factory=dict)
    cases: list[CaseFact] = field(default_factory=list)
    blocks: list[BlockFact] = field(default_factory=list)


# Cases and blocks one pull gathers in its request. A pull takes about 0.8 s per 1,000 cases (bench.exchange:
# 48,000 cases took 38 s and 470 MB, past gunicorn's 30 s timeout), and past 65,535 ids its IN lists fail
# in PostgreSQL (the Standing Office's pull at 100,000 subjects did): beyond it the caller is told to
# request an export job (services.exchange.export).
LIVE_MAX = 10_000


class PullTooLarge(Conflict):
    type_slug = "pull-too-large"
    title = msg("Too much for one pull")


def gather(session: Session, principal: Principal, now: datetime, record: uuid.UUID | None = None) -> Sources:
    """Everything the caller may receive, in a fixed order (re-exports are identical); with `record`,
    only that case or block (a MISP event). PullTooLarge beyond LIVE_MAX cases and blocks."""
    if record is None:
        return gather_part(session, principal, now, limit=LIVE_MAX)
    return gather_part(
        session, principal, now, cases=[Violation.id == record], blocks=[BlockRequest.id == record]
    )


def exported_cases(principal: Principal) -> ColumnElement[bool]:
    """The cases the caller receives: confirmed or sanctioned, and visible to it."""
    return and_(Violation.status.in_(EXPORTED_STATUSES), record_visible(Violation, principal))


def blocks_in_effect(principal: Principal, now: datetime) -> ColumnElement[bool]:
    """The block requests the caller receives (joined to their decision): in effect, on a written
    decision it may see."""
    return and_(in_shown_state(BlockState.IN_EFFECT, now), record_visible(Decision, principal))


def gather_part(
    session: Session,
    principal: Principal,
    now: datetime,
    *,
    cases: Sequence[ColumnElement[bool]] = (),
    blocks: Sequence[ColumnElement[bool]] = (),
    only: set[uuid.UUID] | None = None,
    limit: int | None = None,
) -> Sources:
    """What `gather` gathers, of the cases and blocks that also meet `cases` and `blocks`, and of the
    identifiers in `only` (all without it): an export's part (services.exchange.export)."""
    found = Sources()
    case_query = (
        select(Violation)
        .where(exported_cases(principal), *cases)
        .options(selectinload(Violation.subjects), selectinload(Violation.identifiers))
        .order_by(Violation.created_at, Violation.id)
    )
    block_query = (
        select(BlockRequest)
        .join(Decision, Decision.id == BlockRequest.decision_id)
        .where(blocks_in_effect(principal, now), *blocks)
        .options(selectinload(BlockRequest.targets), selectinload(BlockRequest.decision))
        .order_by(BlockRequest.created_at, BlockRequest.id)
    )
    if limit is not None and _more_than(session, limit, case_query, block_query):
        raise PullTooLarge(
            msg(
                "You may receive more than {count} cases and blocks: too many for one pull. Request them "
                "as an export (POST /api/v1/exchange/exports).",
                count=limit,
            )
        )
    cases = list(session.scalars(case_query))
    blocks = list(session.scalars(block_query))
    subject_ids = {s.id for case in cases for s in case.subjects}
    subjects = _visible_subjects(session, principal, subject_ids)
    named_by_cases = {i.id for case in cases for i in case.identifiers}
    targeted = {t.identifier_id for block in blocks for t in block.targets}
    if only is not None:
        named_by_cases, targeted = named_by_cases & only, targeted & only
    identifiers = _network_identifiers(session, named_by_cases, identifier_visible(principal)) | (
        _network_identifiers(session, targeted, true())
    )
    decisions = _visible_decisions(session, principal, {c.sanction_decision_id for c in cases})
    agency_ids = {c.owner_agency_id for c in cases} | {
        b.decision.issuer_agency_id for b in blocks if b.decision
    }
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(agency_ids)))}
    for agency in sorted(agencies.values(), key=lambda a: a.code):
        found.agencies[agency.code] = AgencyFact(agency.code, agency.name_en, agency.kind, agency.created_at)
    for subject in sorted(subjects.values(), key=lambda s: (s.created_at, s.id)):
        organisation = subject.kind == "organisation"
        found.subjects[subject.id] = SubjectFact(
            id=subject.id,
            organisation=organisation,
            name=subject.name if organisation else None,
            tax_code=subject.tax_code if organisation else None,
            created_at=subject.created_at,
            updated_at=max(subject.updated_at, subject.created_at),
            public=subject.visibility == Visibility.PUBLIC,
        )
    for identifier in sorted(identifiers.values(), key=lambda i: (i.created_at, i.id)):
        found.identifiers[identifier.id] = IdentifierFact(
            identifier.id, identifier.kind, identifier.value or "", identifier.display, identifier.created_at
        )
    for case in cases:
        decision = decisions.get(case.sanction_decision_id) if case.sanction_decision_id else None
        found.cases.append(
            CaseFact(
                id=case.id,
                agency=agencies[case.owner_agency_id].code,
                status=case.status,
                categories=tuple(case.categories),
                goods_groups=tuple(case.goods_groups or ()),
                province=case.province,
                detected_at=case.detected_at,
                created_at=case.created_at,
                updated_at=max(case.updated_at, case.created_at),
                public=case.visibility == Visibility.PUBLIC,
                decision_number=decision.number if decision else None,
                subjects=tuple(s.id for s in case.subjects if s.id in found.subjects),
                identifiers=tuple(
                    i.id
                    for i in sorted(case.identifiers, key=lambda i: (i.created_at, i.id))
                    if i.id in found.identifiers
                ),
            )
        )
    for block in blocks:
        decision = block.decision
        assert decision is not None  # joined above
        found.blocks.append(
            BlockFact(
                id=block.id,
                action=block.action,
                agency=agencies[decision.issuer_agency_id].code,
                decision_number=decision.number,
                decision_issued_on=decision.issued_on.isoformat(),
                valid_from=block.valid_from,
                valid_until=block.valid_until,
                created_at=block.created_at,
                updated_at=max(block.updated_at, block.created_at),
                public=decision.visibility == Visibility.PUBLIC,
                identifiers=tuple(
                    dict.fromkeys(
                        t.identifier_id for t in block.targets if t.identifier_id in found.identifiers
                    )
                ),
            )
        )
    return found


def _more_than(session: Session, limit: int, *queries: Select[Any]) -> bool:
    """Whether the queries find more than `limit` rows between them, counting no further."""
    found = 0
    for query in queries:
        ids = (
            query.with_only_columns(query.selected_columns[0].table.c.id)
            .order_by(None)
            .limit(limit + 1 - found)
        )
        found += session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        if found > limit:
            return True
    return False


def _visible_subjects(
    session: Session, principal: Principal, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Subject]:
    if not ids:
        return {}
    query = select(Subject).where(Subject.id.in_(sorted(ids)), record_visible(Subject, principal))
    return {s.id: s for s in session.scalars(query)}


def _network_identifiers(
    session: Session, ids: set[uuid.UUID], visible: ColumnElement[bool]
) -> dict[uuid.UUID, Identifier]:
    if not ids:
        return {}
    query = select(Identifier).where(
        Identifier.id.in_(sorted(ids)),
        Identifier.kind.in_(NETWORK_KINDS),
        Identifier.value.is_not(None),
        visible,
    )
    return {i.id: i for i in session.scalars(query)}


def _visible_decisions(
    session: Session, principal: Principal, ids: set[uuid.UUID | None]
) -> dict[uuid.UUID, Decision]:
    wanted = sorted((i for i in ids if i is not None), key=str)
    if not wanted:
        return {}
    query = select(Decision).where(Decision.id.in_(wanted), record_visible(Decision, principal))
    return {d.id: d for d in session.scalars(query)}
