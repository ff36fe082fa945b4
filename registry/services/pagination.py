"""Stable, bounded pages of any select(), counted in the same query as the page itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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
