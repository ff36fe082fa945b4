"""Tips in figures, for the Standing Office's reports: received and resolved in a period."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry.models import TIP_CLOSED, Tip


def counts(
    session: Session,
    start: datetime,
    end: datetime,
    agency_ids: Collection[int] | None = None,
    province: str | None = None,
) -> dict[str, int]:
    """Tips received in [start, end), and tips resolved (handled or dismissed) in it, whenever received:
    of the agencies they are routed to now (`None`: every agency) and of a province (as reported)."""

    def scoped(query: Select[tuple[int]]) -> Select[tuple[int]]:
        if agency_ids is not None:
            query = query.where(Tip.agency_id.in_(list(agency_ids)))
        if province is not None:
            query = query.where(Tip.province == province)
        return query

    received = select(func.count()).where(Tip.received_at >= start, Tip.received_at < end)
    resolved = select(func.count()).where(
        Tip.status.in_(TIP_CLOSED), Tip.closed_at >= start, Tip.closed_at < end
    )
    handled = resolved.where(Tip.status == "handled")
    return {
        "received": session.scalar(scoped(received.select_from(Tip))) or 0,
        "resolved": session.scalar(scoped(resolved.select_from(Tip))) or 0,
        "handled": session.scalar(scoped(handled.select_from(Tip))) or 0,
    }
