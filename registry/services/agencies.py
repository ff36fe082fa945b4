"""Agencies: look-ups nearly every answer needs (cached per session), and the operator's changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import Duplicate, NotFound, ValidationFailed
from registry.models import Agency, AgencyKind

_CODES = "registry.agency_codes"


def codes(session: Session) -> dict[int, str]:
    """Agency id -> code. A few dozen rows, read once per session rather than once per section."""
    cached = session.info.get(_CODES)
    if cached is None:
        cached = {
            agency_id: code for agency_id, code in session.execute(select(Agency.id, Agency.code)).tuples()
        }
        session.info[_CODES] = cached
    return cached


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
            f"Unknown agency kind {kind}.", errors={"kind": [f"one of {sorted(AgencyKind)}"]}
        )
    if session.scalar(select(Agency.id).where(Agency.code == code)) is not None:
        raise Duplicate(f"Agency {code} exists already.", existing=code)
    if (kind == AgencyKind.EXECUTOR_BANK) != bool(bank_bin):
        raise ValidationFailed(
            "A bank needs its BIN, and only a bank has one.", errors={"bank_bin": ["mismatch"]}
        )
    agency = Agency(
        code=code,
        kind=kind,
        name_vi=name_vi,
        name_en=name_en,
        parent_id=_by_code(session, parent).id if parent else None,
        bank_bin=bank_bin,
        valid_from=valid_from or date.today(),
    )
    session.add(agency)
    session.flush()
    session.info.pop(_CODES, None)
    return agency


def retire(session: Session, *, code: str, last_day: date, successor: str | None = None) -> Agency:
    """An agency merged or renamed: valid until `last_day`, then `successor` takes over its functions.

    History keeps the agency and its records; its clients stop working once the validity ends."""
    agency = _by_code(session, code)
    if last_day < agency.valid_from:
        raise ValidationFailed("The last day is before the agency began.", errors={"last_day": ["too early"]})
    agency.valid_to = last_day
    agency.successor_id = _by_code(session, successor).id if successor else None
    session.flush()
    return agency


def _by_code(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise NotFound(f"No agency {code}.")
    return agency


_ROWS = "registry.agencies"


def remember(session: Session, agency: Agency) -> None:
    """Keep a row already read (e.g. by the token check) for the rest of the session."""
    session.info.setdefault(_ROWS, {})[agency.id] = agency


def get(session: Session, agency_id: int) -> Agency | None:
    """An agency row, read once per session. The session's identity map holds rows weakly, so a row
    nobody keeps a reference to is read again by the next `session.get`; this keeps them."""
    rows: dict[int, Agency] = session.info.setdefault(_ROWS, {})
    if agency_id not in rows:
        found = session.get(Agency, agency_id)
        if found is None:
            return None
        rows[agency_id] = found
    return rows[agency_id]
