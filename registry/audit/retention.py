"""Retention: dropping a month of audit entries from PostgreSQL once the tlog-tiles archive holds it.

A month's partition (registry.audit.partitions) is dropped only when all of this holds, checked in the
transaction that drops it:

* the month ended at least `REGISTRY_AUDIT_RETENTION_MONTHS` before the current month began;
* it is the oldest month still in the database (months go in order, so the database keeps one
  contiguous stretch of months);
* the tiles archive given verifies (`registry audit verify --tiles`: every tile, every bundle, the
  signed checkpoint) and its checkpoint is one this database signed (same size, root and origin);
* no entry of the month is unsequenced, and every one has a leaf below S, the archive's size: the
  archive holds its exact bytes;
* a signed checkpoint is stored at a size F with every dropped leaf below F and F <= S. F becomes the
  database's *retention floor*: `verify --database` starts from that checkpoint's stored frontier
  (`audit_checkpoint.compact_range`, checked against its signed root) and appends the leaves from F on,
  and proofs reach below F only through that frontier.

Leaves are in commit order, not in time order, so a few entries of the next month can have leaves below
F; they stay in the database (and are in the archive too). Each drop is recorded in `audit_retention`
(append-only) in the same transaction as the `DROP TABLE`.

Dropping a table is DDL, which the append-only triggers do not cover: only the tables' owner can do
it, which is why the application role must never own them (deploy/postgres-roles.sql) and retention
runs as the owner (deploy/README.md, "The audit archive").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from registry.audit.models import AuditCheckpoint, AuditRetention
from registry.audit.note import Checkpoint, NoteVerifier, parse_note
from registry.audit.partitions import MonthPartition, add_months, month_partitions, month_start, partitioned
from registry.audit.tiles import TilesSource, signed_tree
from registry.audit.verify import VerificationFailed, verify_log
from registry.db import utcnow

LOCK_TIMEOUT = "5s"


class RetentionRefused(RuntimeError):
    """Nothing was dropped; the message says why."""


@dataclass(frozen=True)
class VerifiedArchive:
    size: int
    root_hash: bytes


@dataclass(frozen=True)
class Dropped:
    partition: str
    month: date
    entries: int
    last_leaf_index: int | None
    floor: int


def verified_archive(session: Session, directory: Path, verifiers: list[NoteVerifier]) -> VerifiedArchive:
    """Verify the archive in `directory` as `verify --tiles` does, and that this database signed it."""
    try:
        report = verify_log(TilesSource.directory(directory), verifiers)
    except VerificationFailed as exc:
        raise RetentionRefused(f"the archive in {directory} does not verify: {exc.reason}") from exc
    except OSError as exc:
        raise RetentionRefused(f"cannot read the archive in {directory}: {exc}") from exc
    cp = report.checkpoint
    signed = signed_tree(session, cp.size)
    if signed is None or signed.root_hash != cp.root_hash:
        raise RetentionRefused(
            f"the archive's checkpoint (size {cp.size}) is not one this database signed: it is the archive "
            "of another log, or of another tree"
        )
    if Checkpoint.parse(parse_note(signed.note)[0]).origin != cp.origin:
        raise RetentionRefused(f"the archive's origin {cp.origin!r} is not this log's")
    return VerifiedArchive(cp.size, cp.root_hash)


def retention_floor(session: Session) -> int:
    """Size of the signed checkpoint the database's log starts from (0: nothing was ever dropped)."""
    return int(session.scalar(select(func.max(AuditRetention.floor))) or 0)


def archived_before(session: Session) -> datetime | None:
    """Start of the oldest month still in the database when months were dropped (None: none were):
    entries before it are only in the tiles archive. One small query (audit_retention has a row a month)."""
    month = session.scalar(select(func.max(AuditRetention.month)))
    if month is None:
        return None
    following = add_months(month, 1)
    return datetime(following.year, following.month, 1, tzinfo=UTC)


def expired(month: date, months: int, now: datetime) -> bool:
    """Did the month end at least `months` months before the current month (UTC) began?"""
    return add_months(month, months + 1) <= month_start(now.astimezone(UTC))


def due(session: Session, months: int, now: datetime | None = None) -> list[MonthPartition]:
    """The oldest partitions whose month is past retention, in order."""
    moment = now or datetime.now(UTC)
    out = []
    for partition in month_partitions(session):
        if not expired(partition.month, months, moment):
            break
        out.append(partition)
    return out


def drop_month(
    session: Session,
    partition: MonthPartition,
    archive: VerifiedArchive,
    months: int,
    now: datetime | None = None,
) -> Dropped:
    """Drop one month's partition if every condition holds (module docstring); flushes, never commits.

    Raises RetentionRefused, having changed nothing, otherwise."""
    moment = now or datetime.now(UTC)
    if not partitioned(session):
        raise RetentionRefused("audit_entry is not partitioned here (PostgreSQL after migration 0027)")
    present = month_partitions(session)
    if not present or present[0] != partition:
        oldest = present[0].name if present else "none"
        raise RetentionRefused(f"{partition.name} is not the oldest month in the database ({oldest} is)")
    if not expired(partition.month, months, moment):
        raise RetentionRefused(
            f"{partition.name} is within retention: months are kept {months} months after they end "
            f"(REGISTRY_AUDIT_RETENTION_MONTHS); it can go from {add_months(partition.month, months + 1)}"
        )
    # Dropping a partition takes an exclusive lock on audit_entry itself, which every request's entry
    # inserts into: wait at most LOCK_TIMEOUT for a lock (then refuse; run again later) rather than
    # queue every request behind the drop. The SHARE lock keeps the month as checked until the drop.
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    try:
        session.execute(text(f'LOCK TABLE "{partition.name}" IN SHARE MODE'))
    except OperationalError as exc:
        raise RetentionRefused(f"{partition.name} stayed busy for {LOCK_TIMEOUT}: try again later") from exc
    entries, unsequenced, last = session.execute(
        text(
            "SELECT count(*), count(*) FILTER (WHERE l.leaf_index IS NULL), max(l.leaf_index) "
            f'FROM "{partition.name}" e LEFT JOIN audit_leaf l ON l.entry_id = e.id'
        )
    ).one()
    if unsequenced:
        raise RetentionRefused(
            f"{partition.name} has {unsequenced} entries without a leaf (not sequenced): is the sequencer "
            "running? They would be lost"
        )
    floor = retention_floor(session)
    if last is not None:
        if last >= archive.size:
            raise RetentionRefused(
                f"{partition.name} has entries up to leaf index {last}, but the archive holds only "
                f"{archive.size} entries: run `registry audit archive` first"
            )
        covering = session.scalar(
            select(func.min(AuditCheckpoint.size)).where(
                AuditCheckpoint.size > last, AuditCheckpoint.size <= archive.size
            )
        )
        if covering is None:  # the archive's own size is a stored checkpoint: cannot happen
            raise RetentionRefused(f"no signed checkpoint covers leaf index {last} up to the archive's size")
        floor = max(floor, int(covering))
    try:
        session.execute(text(f'DROP TABLE "{partition.name}"'))
    except OperationalError as exc:
        raise RetentionRefused(f"audit_entry stayed busy for {LOCK_TIMEOUT}: try again later") from exc
    session.add(
        AuditRetention(
            partition=partition.name,
            month=partition.month,
            entries=int(entries),
            last_leaf_index=last,
            floor=floor,
            archive_size=archive.size,
            archive_root=archive.root_hash,
            dropped_at=utcnow(),
        )
    )
    session.flush()
    return Dropped(partition.name, partition.month, int(entries), last, floor)
