"""Agency look-ups that nearly every answer needs, cached for the life of one session (one request)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Agency

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
