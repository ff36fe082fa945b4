"""Stable, bounded pages: of any select(), counted in the same query as the page itself (paginate), or of
ordered parts read only as far as the page needs (window_page, for searches)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry.errors import ValidationFailed

TOTAL = "_page_total"


def paginate(
    session: Session, query: Select, *, page: int, per_page: int, order_by: list[Any]
) -> dict[str, Any]:
    """One page and the total. The total rides on the page's rows (`count(*) OVER ()`), so a search
    whose matching is the expensive part runs once, not once to count and again to fetch."""
    rows = session.execute(
        query.add_columns(func.count().over().label(TOTAL))
        .order_by(*order_by)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        total = rows[-1][-1]
    elif page == 1:
        total = 0
    else:  # past the last page: the window saw no rows, so count on its own
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return {"items": [row[0] for row in rows], "page": page, "per_page": per_page, "total": total}


@dataclass(frozen=True)
class Part:
    """One ordered part of a result (see window_page)."""

    rows: Callable[[int, int], Sequence[Any]]  # (offset, limit): rows offset .. offset+limit-1
    count: Callable[[int], int]  # (limit): how many rows the part has, counting up to limit


def window_page(
    parts: Sequence[Part],
    *,
    page: int,
    per_page: int,
    window: int,
    fallback: Sequence[Part] = (),
) -> dict[str, Any]:
    """A page of the concatenation of ordered parts, reading no more rows than the page needs.

    Each part is read only as far as this page and one row beyond it, so the cost follows the page's
    position, not the number of matches; pages reach the first `window` rows. The total is therefore
    exact only once the last part has been read to its end (`total_exact`); before that it is a lower
    bound: the rows before this page, this page and the one row after it. `fallback` parts are read
    instead when the parts have no row at all. Items are (part index, row), in the parts' order.
    """
    offset = (page - 1) * per_page
    if offset + per_page > window:
        raise ValidationFailed(
            f"A search pages through its first {window} results; narrow it down instead.",
            errors={"page": [f"page * per_page must not exceed {window} for a search"]},
        )
    rows, counted, exhausted = _read(parts, offset, per_page + 1)
    if counted == 0 and fallback:
        rows, counted, exhausted = _read(fallback, offset, per_page + 1)
    return {
        "items": rows[:per_page],
        "page": page,
        "per_page": per_page,
        "total": counted,
        "total_exact": exhausted,
        "has_more": len(rows) > per_page and offset + per_page < window,
    }


def _read(parts: Sequence[Part], skip: int, want: int) -> tuple[list[tuple[int, Any]], int, bool]:
    """Rows skip .. skip+want-1 of the parts put end to end; how many rows that counted; whether the
    parts were read to their end. A part ending before `skip` is only counted (up to `skip`)."""
    taken: list[tuple[int, Any]] = []
    counted = 0
    for index, part in enumerate(parts):
        got = list(part.rows(skip, want))
        if got:
            counted += skip + len(got)
            skip = 0
        elif skip:
            before = part.count(skip)
            counted += before
            skip -= before
        taken += [(index, row) for row in got]
        want -= len(got)
        if want == 0:
            return taken, counted, False
    return taken, counted, True
