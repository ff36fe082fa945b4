"""PostgreSQL's monthly partitions of `audit_entry` (migration 0027): made ahead of time, listed, checked.

One partition per calendar month (UTC) of `occurred_at`, named `audit_entry_y<YYYY>m<MM>`, and a DEFAULT
partition `audit_entry_default` that catches an entry whose month has none yet, so a late timer never
refuses a request's audit entry. Rows there are a warning (`registry audit partitions` reports them):
their month's partition cannot be made until they are moved, and they can never be dropped by retention.
Partitions are made only by the database function `audit_entry_add_month` (migration 0027), which also
gives each its TRUNCATE trigger (PostgreSQL clones row triggers to partitions, not statement ones).
SQLite has no partitions: every function here answers nothing there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

DEFAULT_PARTITION = "audit_entry_default"
MONTH_PARTITION = re.compile(r"audit_entry_y(\d{4})m(\d{2})")
AHEAD = 2  # months made ahead of the current one


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"audit_entry_y{month.year:04d}m{month.month:02d}"


def partitioned(session: Session) -> bool:
    """Is audit_entry a partitioned table here (PostgreSQL after migration 0027)?"""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.execute(text("SELECT relkind FROM pg_class WHERE oid = 'audit_entry'::regclass")).scalar()
    return kind == "p"


@dataclass(frozen=True)
class MonthPartition:
    name: str
    month: date


def month_partitions(session: Session) -> list[MonthPartition]:
    """The monthly partitions attached to audit_entry, oldest first (the DEFAULT one left out)."""
    if not partitioned(session):
        return []
    names = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'audit_entry'::regclass"
        )
    ).scalars()
    found = []
    for name in names:
        match = MONTH_PARTITION.fullmatch(name)
        if match:
            found.append(MonthPartition(name, date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda p: p.month)


@dataclass(frozen=True)
class Prepared:
    created: list[str]
    existing: list[str]
    refused: dict[str, str]  # partition -> why it could not be made (entries of its month in DEFAULT)
    default_rows: int  # entries in the DEFAULT partition
    default_months: list[date]  # the months they are of


def prepare(session: Session, now: datetime | None = None, ahead: int = AHEAD) -> Prepared:
    """Make the partitions of the current month and the `ahead` next ones (UTC) unless they exist.

    Idempotent. Commits nothing: the caller's transaction does (each partition under a savepoint, so
    one refused month does not undo the others)."""
    current = month_start((now or datetime.now(UTC)).astimezone(UTC))
    created: list[str] = []
    existing: list[str] = []
    refused: dict[str, str] = {}
    if partitioned(session):
        for offset in range(ahead + 1):
            month = add_months(current, offset)
            name = partition_name(month)
            try:
                with session.begin_nested():
                    status = session.execute(
                        text("SELECT audit_entry_add_month(CAST(:month AS timestamptz))"),
                        {"month": f"{month.isoformat()}T00:00:00Z"},
                    ).scalar_one()
            except DBAPIError as exc:  # the database's refusal, reported per month
                refused[name] = str(getattr(exc, "orig", exc)).splitlines()[0]
                continue
            (created if status == "created" else existing).append(name)
    count, months = default_partition_rows(session)
    return Prepared(created, existing, refused, count, months)


def default_partition_rows(session: Session) -> tuple[int, list[date]]:
    """(entries in the DEFAULT partition, the months they are of)."""
    if not partitioned(session):
        return 0, []
    rows = session.execute(text("SELECT month, entries FROM audit_entry_default_months()")).all()
    return sum(int(count) for _, count in rows), [month for month, _ in rows]
