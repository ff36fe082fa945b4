"""The cases in figures (services.reports.summary), and the marks that say which days must be counted again.

A report counts millions of cases; reading them all on every report took 12-16 s nationwide at national
scale (bench/README.md, "Reports"). `case_summary` holds, for each Vietnamese day of detection and for
each month, the number of cases (and of those handled) and their amounts by owner, visibility and
province, and the number under each category and goods group. A report adds up rows, not cases.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import chain
from typing import Any

from sqlalchemy import BigInteger, Date, Index, Integer, String, event, insert, inspect, select
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from registry.db import Base, created_at, utcnow
from registry.models.violation import TaxRecovery, Violation

VN = timezone(timedelta(hours=7))  # Vietnam keeps one offset all year
_MARKED = "registry.case_summary_marked"  # days marked in this transaction


def vn_day(moment: datetime) -> date:
    """The Vietnamese date of an instant: the day a report counts a case under."""
    return moment.astimezone(VN).date()


class CaseSummary(Base):
    """Cases detected on `day` (span `day`) or in the month starting on `day` (span `month`) with these
    owner, visibility and province: how many, how many handled (sanctioned), and their amounts (`dim`
    empty); or how many under one category or goods group (`dim` `category` or `goods_group`, `value` its
    code; a case counts once under each value it names; amounts 0). A report reads the months its period
    covers whole and the days at its ends."""

    __tablename__ = "case_summary"
    __table_args__ = (Index("ix_case_summary_span_day", "span", "day", "dim"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    span: Mapped[str] = mapped_column(String(8), comment="day or month")
    day: Mapped[date] = mapped_column(Date, comment="the Vietnamese date of detection, or its month's first")
    owner_agency_id: Mapped[int] = mapped_column(Integer, comment="the detecting agency")
    visibility: Mapped[str] = mapped_column(String(16))
    province: Mapped[str | None] = mapped_column(String(64))
    dim: Mapped[str] = mapped_column(String(16), comment="empty: the cases; category or goods_group")
    value: Mapped[str] = mapped_column(String(64), comment="the category or goods group; empty")
    cases: Mapped[int] = mapped_column(Integer)
    handled: Mapped[int] = mapped_column(Integer, comment="of which sanctioned")
    fines_vnd: Mapped[int] = mapped_column(BigInteger)
    tax_recovered_vnd: Mapped[int] = mapped_column(BigInteger, comment="with the tax additions")
    goods_value_vnd: Mapped[int] = mapped_column(BigInteger)


class CaseSummaryChange(Base):
    """A mark that the cases detected on `day` changed (NULL: every day, e.g. after a bulk load): the next
    report counts that day again before it reads, then deletes the marks it has seen. Appended, never
    updated, so that writers of cases never wait on each other for it; one per day per transaction."""

    __tablename__ = "case_summary_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date | None] = mapped_column(Date)
    at: Mapped[created_at]


def _days(session: Session, obj: Any) -> set[date]:
    """The days whose figures a new, changed or deleted case or tax addition changes."""
    if isinstance(obj, Violation):
        history = inspect(obj).attrs.detected_at.history
        moments = [*history.added, *history.unchanged, *history.deleted]
        return {vn_day(moment) for moment in moments if moment is not None}
    detected = session.connection().scalar(
        select(Violation.detected_at).where(Violation.id == obj.violation_id)
    )
    return {vn_day(detected)} if detected is not None else set()


@event.listens_for(Session, "after_flush")
def _mark_case_changes(session: Session, _flush: UOWTransaction) -> None:
    """A flush that adds, changes or deletes cases or tax additions marks their days, in its transaction,
    so the marks commit or roll back with the change. Beside the models, so that every process that can
    change a case has the listener (a bulk load that bypasses the ORM marks every day itself)."""
    marked: set[date] = session.info.setdefault(_MARKED, set())
    days: set[date] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, (Violation, TaxRecovery)):
            days |= _days(session, obj)
    days -= marked
    if days:
        marked |= days
        now = utcnow()
        session.connection().execute(
            insert(CaseSummaryChange), [{"day": day, "at": now} for day in sorted(days)]
        )


@event.listens_for(Session, "after_transaction_end")
def _forget_marks(session: Session, _transaction: Any) -> None:
    session.info.pop(_MARKED, None)  # a savepoint rolled back may have taken the marks with it
