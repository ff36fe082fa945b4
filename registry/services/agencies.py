"""Agencies: look-ups nearly every answer needs (cached per process), and the operator's changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import Duplicate, NotFound, ValidationFailed
from registry.generation import GenerationCache
from registry.messages import msg
from registry.models import Agency, AgencyKind


@dataclass(frozen=True)
class AgencyFacts:
    """What requests need to know of an agency, kept per process (see registry.generation)."""

    id: int
    code: str
    kind: str
    bank_bin: str | None


_AGENCIES: GenerationCache[str, tuple[dict[int, AgencyFacts], dict[int, str]]] = GenerationCache(size=1)
_ALL = select(Agency.id, Agency.code, Agency.kind, Agency.bank_bin)


def _all(session: Session) -> tuple[dict[int, AgencyFacts], dict[int, str]]:
    """Every agency by id, and its code: a few dozen rows, read again only after an agency changes."""
    cached = _AGENCIES.get(session, "all")
    if cached is None:
        facts = {row.id: AgencyFacts(*row) for row in session.execute(_ALL)}
        cached = (facts, {key: one.code for key, one in facts.items()})
        _AGENCIES.put(session, "all", cached)
    return cached


def codes(session: Session) -> dict[int, str]:
    """Agency id -> code (do not change the answer)."""
    return _all(session)[1]


def facts(session: Session, agency_id: int) -> AgencyFacts | None:
    return _all(session)[0].get(agency_id)


def code(session: Session, agency_id: int | None) -> str | None:
    return codes(session).get(agency_id) if agency_id is not None else None


def add(
    session: Session,
    *,
    code: str,
    kind: str,
    name_vi: str,
    name_en: str,
    parent: str | None = None,
    bank_bin: str | None = None,
    valid_from: date | None = None,
) -> Agency:
    """A new participating agency (a province, a bank, a body created by a reorganisation)."""
    if kind not in {k.value for k in AgencyKind}:
        raise ValidationFailed(
            msg("Unknown agency kind {kind}.", kind=kind), errors={"kind": [f"one of {sorted(AgencyKind)}"]}
        )
    if session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
        raise Duplicate(msg("Agency {code} exists already.", code=code), existing=code)
    if (kind == AgencyKind.EXECUTOR_BANK) != bool(bank_bin):
        raise ValidationFailed(
            "A bank needs its BIN, and only a bank has one.", errors={"bank_bin": ["mismatch"]}
        )
    agency = Agency(
        code=code,
        kind=kind,
        name_vi=name_vi,
        name_en=name_en,
        parent_id=by_code(session, parent).id if parent else None,
        bank_bin=bank_bin,
        valid_from=valid_from or date.today(),
    )
    session.add(agency)
    session.flush()
    return agency


def all_agencies(session: Session) -> list[Agency]:
    """Every agency, current and retired, by code."""
    return list(session.scalars(select(Agency).order_by(Agency.code)))


def by_code(session: Session, code: str) -> Agency:
    """The agency of `code`, else NotFound."""
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(msg("No agency {code}.", code=code))
    return agency


def retire(session: Session, *, code: str, last_day: date, successor: str | None = None) -> Agency:
    """An agency merged or renamed: valid until `last_day`, then `successor` takes over its functions.

    History keeps the agency and its records; its clients stop working once the validity ends."""
    agency = by_code(session, code)
    if last_day < agency.valid_from:
        raise ValidationFailed("The last day is before the agency began.", errors={"last_day": ["too early"]})
    agency.valid_to = last_day
    agency.successor_id = by_code(session, successor).id if successor else None
    session.flush()
    return agency
