"""The sequencer: contiguous leaf indexes for committed entries, a bigger tree, a signed checkpoint.

Requests insert their entry unsequenced and never wait on a global lock. One sequencer at a time
(PostgreSQL: `pg_try_advisory_xact_lock`, so a second one simply skips; SQLite: every write
transaction is already exclusive) appends `audit_leaf` rows and an `audit_checkpoint` row in one
transaction, so the tree state and its leaves commit together or not at all.

Which entries are surely committed. An entry's id is drawn at INSERT, but transactions commit out
of id order, so "everything up to the highest id seen" would skip an entry whose transaction commits
late. The sequencer instead takes every entry it can *see* that has no leaf yet (an anti-join), in id
order: a late committer is simply picked up by a later batch, so nothing is skipped and nothing is
sequenced twice (the advisory lock, plus the unique `entry_id`). To keep that scan small on
PostgreSQL, each entry records its inserting transaction id (`xact`), and each checkpoint stores the
horizon of its snapshot (`pg_snapshot_xmin`): every transaction below it had finished, so every entry
it wrote was visible and has been sequenced; the next batch only looks at `xact >= horizon`. On
SQLite writers are serialised, so ids are assigned in commit order and `id > last sequenced id` is
exact. Entries are therefore in commit order at batch granularity: anything committed before a batch
started precedes anything committed after it.

Never signing an inconsistent checkpoint: the new tree is built only by appending to the frontier
stored with the previous checkpoint, after checking that frontier against that checkpoint's signed
root (and its signature against the log's keys), so each new checkpoint extends the previous one by
construction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, insert, literal_column, select
from sqlalchemy.orm import Session

from registry.audit.merkle import CompactRange
from registry.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf
from registry.audit.note import Checkpoint, NoteError, Signer, Verifier, open_note, sign_note
from registry.db import utcnow

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x52454741_55444954 & 0x7FFFFFFFFFFFFFFF  # "REGAUDIT"
DEFAULT_BATCH = 10_000


class SequencerError(RuntimeError):
    """The stored tree state does not match what the log signed: refuse to sign anything further."""


@dataclass(frozen=True)
class Sequenced:
    checkpoint: Checkpoint
    note: str
    added: int


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)).first()


def try_lock(session: Session) -> bool:
    """The sequencer's lock, held until the transaction ends (re-entrant within it)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(ADVISORY_LOCK_KEY))))


def _state(
    session: Session, origin: str, verifiers: Sequence[Verifier]
) -> tuple[CompactRange, AuditCheckpoint | None]:
    latest = latest_checkpoint(session)
    if latest is None:
        if session.scalar(select(func.count()).select_from(AuditLeaf)):
            raise SequencerError("leaves exist but no checkpoint was ever signed")
        return CompactRange(), None
    tree = CompactRange.from_bytes(latest.compact_range)
    if tree.size != latest.size or tree.root() != latest.root_hash:
        raise SequencerError(f"stored frontier of checkpoint {latest.size} does not match its root")
    try:
        body, _ = open_note(latest.note, verifiers)
        signed = Checkpoint.parse(body)
    except NoteError as exc:
        raise SequencerError(f"checkpoint {latest.size} is not signed by a log key: {exc}") from exc
    if (signed.origin, signed.size, signed.root_hash) != (origin, latest.size, latest.root_hash):
        raise SequencerError(f"checkpoint {latest.size} row disagrees with its signed note")
    top = session.scalar(select(func.max(AuditLeaf.leaf_index)))
    if (top if top is not None else -1) != latest.size - 1:
        raise SequencerError(f"leaves up to index {top} exist but the signed tree has {latest.size}")
    return tree, latest


def _pending(session: Session, previous: AuditCheckpoint | None, limit: int) -> tuple[list, int | None]:
    """(rows of id/occurred_at/body/leaf_hash in id order, new PostgreSQL horizon or None)."""
    sequenced = exists().where(AuditLeaf.entry_id == AuditEntry.id)
    columns = (AuditEntry.id, AuditEntry.occurred_at, AuditEntry.body, AuditEntry.leaf_hash)
    if session.get_bind().dialect.name == "postgresql":
        # One statement, one snapshot: the horizon and the rows it vouches for are seen together.
        horizon: ColumnElement[Any] = literal_column(
            "LEAST(pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
            " pg_current_xact_id_if_assigned()::text::bigint)"
        ).label("horizon")
        floor = previous.xact_floor if previous is not None else None
        pending = select(*columns, horizon).where(~sequenced)
        if floor is not None:
            pending = pending.where(AuditEntry.xact >= floor)
        rows = list(session.execute(pending.order_by(AuditEntry.id).limit(limit)))
        if not rows:
            return [], None
        return rows, rows[0].horizon
    last = session.scalar(select(func.max(AuditLeaf.entry_id)))
    query = select(*columns)
    if last is not None:
        query = query.where(and_(AuditEntry.id > last, ~sequenced))
    return list(session.execute(query.order_by(AuditEntry.id).limit(limit))), None


def sequence_pending(
    session: Session,
    *,
    signers: Sequence[Signer],
    origin: str,
    verifiers: Sequence[Verifier] = (),
    batch_size: int = DEFAULT_BATCH,
) -> Sequenced | None:
    """Sequence up to `batch_size` committed entries and sign a checkpoint; flushes, never commits.

    Returns None when another sequencer holds the lock or nothing is pending. `verifiers` are the
    log's keys (retired ones too) for checking the previous checkpoint; the signers' own by default.
    """
    if not signers:
        raise SequencerError("no signing key")
    if not try_lock(session):
        return None
    tree, previous = _state(session, origin, list(verifiers) or [s.verifier() for s in signers])
    rows, horizon = _pending(session, previous, batch_size)
    if not rows and previous is not None:
        return None  # nothing new: the last checkpoint stands (a brand-new log signs its empty tree)
    start = tree.size
    leaves = []
    for offset, row in enumerate(rows):
        digest = hashlib.sha256(b"\x00" + row.body).digest()
        if digest != row.leaf_hash:
            raise SequencerError(f"audit entry {row.id}: stored leaf hash does not match its body")
        tree.append(digest)
        # The entry's whole key, so reading the leaf's entry reads only its month (models.leaf_entry).
        leaves.append(
            {"leaf_index": start + offset, "entry_id": row.id, "entry_occurred_at": row.occurred_at}
        )
    now = utcnow()
    if leaves:
        session.execute(insert(AuditLeaf), [{**leaf, "sequenced_at": now} for leaf in leaves])
    checkpoint = Checkpoint(origin, tree.size, tree.root())
    note = sign_note(checkpoint.body(), signers)
    floor = previous.xact_floor if previous is not None else None
    if horizon is not None and len(rows) < batch_size:
        floor = horizon  # every transaction below the horizon had finished and all its entries were seen
    session.add(
        AuditCheckpoint(
            size=tree.size,
            root_hash=checkpoint.root_hash,
            compact_range=tree.to_bytes(),
            note=note,
            xact_floor=floor,
            created_at=now,
        )
    )
    session.flush()
    log.debug("sequenced %d audit entries; tree size %d", len(rows), tree.size)
    return Sequenced(checkpoint, note, len(rows))
