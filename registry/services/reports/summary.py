"""The cases in figures, kept in `case_summary` (models.reports), so that a report adds up the rows of
the months its period covers whole and of the days at its ends instead of reading every case: the
nationwide report of 5 million cases took 12-16 s read live, 0.3 s from the summary (bench/README.md,
"Reports").

Kept exact like the public digests: every transaction that adds, changes or deletes a case or a tax
addition appends a mark naming the days it touched (the session listener in models/reports.py), and the
next report (or the workflow clock's tick) counts those days again from `violation`, and their months
from the days, before it reads. A report without pending marks reads only the summary. Counting a day
again is idempotent, so a change committed while a report counts keeps its mark and is counted again by
the next one; reports take one lock to count (PostgreSQL: an advisory lock; SQLite runs one writer at a
time anyway).

What the summary cannot say is whether an agency was named on a `named` record: the report counts those
of other owners live (few: the shares of one agency), and the summary's rows answer for the rest with the
visibility rule's other three parts (services.visibility): the caller's own, `public`, and `state` for a
state body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.models import CaseSummary, CaseSummaryChange, RecordShare, TaxRecovery, Violation, Visibility
from registry.services.reports.model import HANDLED, Period, Scope

LOCK_KEY = 0x52455052_5453554D  # "REPRTSUM": one report counts days again at a time
CHUNK = 500  # marks deleted per statement
DIMENSIONS = (("category", Violation.categories), ("goods_group", Violation.goods_groups))


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _day_of(session: Session) -> ColumnElement[Any]:
    """The Vietnamese date of a case's detection, in SQL (models.reports.vn_day in Python)."""
    if _postgres(session):
        return cast(func.timezone("Asia/Ho_Chi_Minh", Violation.detected_at), Date)
    return func.date(Violation.detected_at, "+7 hours")  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS...'


def elements(session: Session, column: Any) -> Any:
    """The values of a JSON list column, as a table to join (`.c.value`)."""
    if _postgres(session):
        return func.jsonb_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _runs(days: Sequence[date], step: Callable[[date], date]) -> Iterator[tuple[date, date]]:
    """Sorted days (or months' first days, `step` giving the next) as runs [first, after the last), so
    that each is counted with a range the indexes answer, without a filter the planner cannot size."""
    first = previous = days[0]
    for day in days[1:]:
        if day != step(previous):
            yield first, step(previous)
            first = day
        previous = day
    yield first, step(previous)


def _next_day(day: date) -> date:
    return day + timedelta(days=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def bring_up_to_date(session: Session) -> bool:
    """Count again the days the pending marks name (every day for a mark naming none), and their months,
    if there are any; True if there were. The marks read are deleted by id: one appended meanwhile stays
    for the next report."""
    if session.scalar(select(CaseSummaryChange.id).limit(1)) is None:
        return False
    if _postgres(session):
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
        # A month's ~100,000 day rows (national scale) hash in memory instead of sorting on disk.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    marks = session.execute(select(CaseSummaryChange.id, CaseSummaryChange.day)).all()
    if not marks:  # another report counted them while this one waited for the lock
        return False
    if any(day is None for _, day in marks):
        session.execute(delete(CaseSummary))
        _count_days(session, None)
        if _postgres(session):  # the planner's figures for the table just filled (an aggregate of
            session.execute(text("ANALYZE case_summary"))  # day rows it believes empty sorts on disk)
        _count_months(session, None)
    else:
        days = sorted({day for _, day in marks})
        for run in _runs(days, _next_day):
            _count_days(session, run)
        for run in _runs(sorted({day.replace(day=1) for day in days}), _next_month):
            _count_months(session, run)
    for ids in _chunks([mark_id for mark_id, _ in marks]):
        session.execute(delete(CaseSummaryChange).where(CaseSummaryChange.id.in_(ids)))
    return True


COLUMNS = [c.name for c in CaseSummary.__table__.c if c.name != "id"]


def _count_days(session: Session, run: tuple[date, date] | None) -> None:
    """Replace the day rows of the days [first, after) (None: insert every day's) by those counted from
    the cases, with the tax additions."""
    day = _day_of(session).label("day")
    where: list[ColumnElement[bool]] = []
    if run is not None:
        first, after = run
        stale = [CaseSummary.span == "day", CaseSummary.day >= first, CaseSummary.day < after]
        session.execute(delete(CaseSummary).where(*stale))
        where += [
            Violation.detected_at >= Period(first, first).since,  # midnight in Vietnam
            Violation.detected_at < Period(after, after).since,
        ]
    keys = (day, Violation.owner_agency_id, Violation.visibility, Violation.province)
    handled = func.sum(case((Violation.status == HANDLED, 1), else_=0))
    added = (
        select(TaxRecovery.violation_id, func.sum(TaxRecovery.amount_vnd).label("amount"))
        .group_by(TaxRecovery.violation_id)
        .subquery()
    )
    cases = (
        select(
            literal("day"),
            *keys,
            literal(""),
            literal(""),
            func.count(),
            handled,
            func.sum(Violation.fine_vnd),
            func.sum(Violation.tax_recovered_vnd + func.coalesce(added.c.amount, 0)),
            func.sum(Violation.goods_value_vnd),
        )
        .outerjoin(added, added.c.violation_id == Violation.id)
        .where(*where)
        .group_by(*keys)
        .order_by(day)  # a day's rows together on disk: a month is summed from a few pages
    )
    session.execute(insert(CaseSummary).from_select(COLUMNS, cases))
    for dim, column in DIMENSIONS:
        element = elements(session, column)
        grouped = (
            select(
                literal("day"), *keys, literal(dim), element.c.value, func.count(), handled, *[literal(0)] * 3
            )
            .select_from(Violation)
            .join(element, true())
            .where(*where)
            .group_by(*keys, element.c.value)
            .order_by(day)
        )
        session.execute(insert(CaseSummary).from_select(COLUMNS, grouped))


def _count_months(session: Session, run: tuple[date, date] | None) -> None:
    """Replace the month rows of the months [first, after) (their first days; None: insert every
    month's) by the sums of their day rows."""
    if _postgres(session):
        month: ColumnElement[Any] = cast(func.date_trunc("month", CaseSummary.day), Date)
    else:
        month = func.date(CaseSummary.day, "start of month")
    keys = (
        month.label("month"),
        CaseSummary.owner_agency_id,
        CaseSummary.visibility,
        CaseSummary.province,
        CaseSummary.dim,
        CaseSummary.value,
    )
    sums = [func.sum(getattr(CaseSummary, name)) for name in COLUMNS[COLUMNS.index("cases") :]]
    where = [CaseSummary.span == "day"]
    if run is not None:
        first, after = run
        stale = [CaseSummary.span == "month", CaseSummary.day >= first, CaseSummary.day < after]
        session.execute(delete(CaseSummary).where(*stale))
        where += [CaseSummary.day >= first, CaseSummary.day < after]
    rows = select(literal("month"), *keys, *sums).where(*where).group_by(*keys)
    session.execute(insert(CaseSummary).from_select(COLUMNS, rows))


# -- reading ---------------------------------------------------------------------------------------------


def _spans(period: Period) -> ColumnElement[bool]:
    """The rows that cover `period` once: the months it covers whole, the days of the months it does not."""
    first_month = period.start if period.start.day == 1 else _next_month(period.start)
    after = _next_month(period.end)
    last_month = after if period.end == after - timedelta(days=1) else period.end.replace(day=1)
    # whole months: [first_month, last_month); days: [start, first_month) and [last_month, end]
    if first_month >= last_month:
        return and_(CaseSummary.span == "day", CaseSummary.day >= period.start, CaseSummary.day <= period.end)
    return or_(
        and_(CaseSummary.span == "month", CaseSummary.day >= first_month, CaseSummary.day < last_month),
        and_(CaseSummary.span == "day", CaseSummary.day >= period.start, CaseSummary.day < first_month),
        and_(CaseSummary.span == "day", CaseSummary.day >= last_month, CaseSummary.day <= period.end),
    )


def _rows(principal: Principal, period: Period, scope: Scope) -> list[ColumnElement[bool]]:
    """The summary's rows a report of `scope` over `period` adds up for `principal`: all but the `named`
    records of other owners (named_elsewhere), which the report counts live."""
    state = true() if principal.is_state else false()
    clauses = [
        _spans(period),
        or_(
            CaseSummary.owner_agency_id == principal.agency_id,
            CaseSummary.visibility == Visibility.PUBLIC,
            and_(CaseSummary.visibility == Visibility.STATE, state),
        ),
    ]
    if scope.kind == "agency":
        clauses.append(CaseSummary.owner_agency_id == scope.agency_id)
    elif scope.kind == "province":
        clauses.append(CaseSummary.province == scope.province)
    return clauses


def named_elsewhere(principal: Principal) -> list[ColumnElement[bool]]:
    """The cases the summary does not answer for: `named` records of other owners, as far as they were
    shared with `principal` (the list's visibility rule then decides, as for any case)."""
    return [
        Violation.visibility == Visibility.NAMED,
        Violation.owner_agency_id != principal.agency_id,
        Violation.id.in_(
            select(RecordShare.record_id).where(
                RecordShare.record_type == Violation.record_type, RecordShare.agency_id == principal.agency_id
            )
        ),
    ]


def totals(session: Session, principal: Principal, period: Period, scope: Scope) -> tuple[int, ...]:
    """(detected, handled, fines, tax recovered with the additions, goods value) from the summary."""
    row = session.execute(
        select(
            *[
                func.coalesce(func.sum(getattr(CaseSummary, name)), 0)
                for name in ("cases", "handled", "fines_vnd", "tax_recovered_vnd", "goods_value_vnd")
            ]
        ).where(CaseSummary.dim == "", *_rows(principal, period, scope))
    ).one()
    return tuple(int(value) for value in row)


def groups(
    session: Session, principal: Principal, period: Period, scope: Scope
) -> dict[tuple[str, str], tuple[int, int]]:
    """(detected, handled) per category and goods group, from the summary."""
    query = (
        select(CaseSummary.dim, CaseSummary.value, func.sum(CaseSummary.cases), func.sum(CaseSummary.handled))
        .where(CaseSummary.dim.in_([dim for dim, _ in DIMENSIONS]), *_rows(principal, period, scope))
        .group_by(CaseSummary.dim, CaseSummary.value)
    )
    return {(dim, value): (int(n), int(h)) for dim, value, n, h in session.execute(query).tuples()}


def tick(session: Session, *, now: Any = None) -> dict[str, int]:
    """The workflow clock's call (`registry workflows tick`): count what the marks name, so that a report
    seldom has to, and a bulk load or the migration's first count is done before anyone asks."""
    return {"counted": int(bring_up_to_date(session))}
