"""Stable, bounded pages, read only as far as the page needs: of ordered parts (window_page, for
searches), or of one select() with a total counted up to a bound (paginate, for lists)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry.errors import ValidationFailed
from registry.messages import msg

# A list pages through its first LIST_WINDOW rows and counts no further: at national scale (millions
# of violations, identifiers and links) an exact count or a deep OFFSET costs seconds; filters narrow
# a list down instead.
LIST_WINDOW = 1_000


def paginate(
    session: Session, query: Select, *, page: int, per_page: int, order_by: list[Any]
) -> dict[str, Any]:
    """One page of `query` in `order_by` order (which should have an index), with `has_more` and a
    total counted up to LIST_WINDOW: exact when `total_exact`, else "more than LIST_WINDOW"."""
    ordered = query.order_by(*order_by)
    unordered = query.order_by(None)

    def rows(offset: int, limit: int) -> Sequence[Any]:
        return session.scalars(ordered.offset(offset).limit(limit)).unique().all()

    def count(limit: int) -> int:
        return session.scalar(select(func.count()).select_from(unordered.limit(limit).subquery())) or 0

    found = window_page([Part(rows, count)], page=page, per_page=per_page, window=LIST_WINDOW)
    if not found["total_exact"]:
        counted = count(LIST_WINDOW + 1)
        found["total_exact"] = counted <= LIST_WINDOW
        found["total"] = min(counted, LIST_WINDOW)
    found["items"] = [row for _, row in found["items"]]
    return found


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
            msg("Pages reach the first {window} results; narrow the request down instead.", window=window),
            errors={"page": [f"page * per_page must not exceed {window} here"]},
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
