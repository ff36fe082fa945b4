"""Reading the log: checkpoints (with cosignatures), entries by leaf index, proofs, witnesses, search.

Proofs are always for a *signed* tree size, and the tree is append-only, so reading the log (which is
itself audited, adding entries) never changes a proof for a fixed size.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Select, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.audit import merkle
from registry.audit.keys import LogKeys
from registry.audit.models import (
    AuditCheckpoint,
    AuditCosignature,
    AuditEntry,
    AuditLeaf,
    AuditRetention,
    AuditWitness,
    leaf_entry,
)
from registry.audit.note import (
    CosignatureVerifier,
    NoteError,
    cosignature_timestamp,
    open_note_detailed,
    parse_note,
    verify_cosignature,
)
from registry.audit.sequencer import DEFAULT_BATCH, Sequenced, latest_checkpoint, sequence_pending, try_lock
from registry.errors import Conflict, Gone, NotFound, PermissionDenied, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.messages import msg

MAX_ENTRIES_PER_CALL = 1000
_BLOCK = 4096


@dataclass(frozen=True)
class WitnessState:
    name: str
    timestamp: int  # the witness's cosignature/v1 time (Unix seconds)
    verified: bool

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)


@dataclass(frozen=True)
class CheckedCheckpoint:
    """A signed checkpoint as `AuditLog.checked` found it."""

    size: int
    note: str  # with its cosignatures
    signers: list[str]  # the log's keys whose signature verified
    problem: str | None  # why the log's signature did not verify (None when it did)
    witnesses: list[WitnessState]

    @property
    def verified(self) -> bool:
        return self.problem is None and bool(self.signers)


@dataclass(frozen=True)
class LogState:
    latest: CheckedCheckpoint
    witnessed: CheckedCheckpoint | None  # the newest checkpoint a witness cosigned, if any


class Archived(Gone):
    """What was asked is below the retention floor: only the tlog-tiles archive holds it (410)."""


class LogCorrupt(RuntimeError):
    """The stored leaves do not form a contiguous tree (tampering, or a bug)."""


def leaf_span(session: Session, start: int, end: int) -> tuple[datetime, datetime] | None:
    """The earliest and latest time of the entries of leaves [start, end), from the leaves (None: none).

    Read first so that the join to the entries (models.leaf_entry) names the months to read: on
    PostgreSQL a range of leaves then reads the one or two partitions that hold its entries."""
    low, high = session.execute(
        select(func.min(AuditLeaf.entry_occurred_at), func.max(AuditLeaf.entry_occurred_at)).where(
            AuditLeaf.leaf_index >= start, AuditLeaf.leaf_index < end
        )
    ).one()
    return None if low is None or high is None else (low, high)


def leaf_rows(session: Session, start: int, end: int) -> Select:
    """(leaf index, body, leaf hash) of the leaves [start, end) that have their entry, in index order."""
    span = leaf_span(session, start, end)
    return (
        select(AuditLeaf.leaf_index, AuditEntry.body, AuditEntry.leaf_hash)
        .join(AuditEntry, leaf_entry(span) if span is not None else false())
        .where(AuditLeaf.leaf_index >= start, AuditLeaf.leaf_index < end)
        .order_by(AuditLeaf.leaf_index)
    )


def iter_leaves(
    session: Session, size: int, chunk: int = 50_000, first: int = 0
) -> Iterator[tuple[int, bytes, bytes]]:
    """(leaf index, body, stored leaf hash) for [first, size) in index order, in chunks. Gaps are not
    filled."""
    for start in range(first, size, chunk):
        for row in session.execute(leaf_rows(session, start, min(start + chunk, size))):
            yield row.leaf_index, row.body, row.leaf_hash


class LeafHashes(Sequence[bytes]):
    """The stored leaf hashes of a tree of `size`, fetched from the database in aligned blocks; from
    `floor` on when entries below it were dropped by retention (a leaf below it raises BelowFloor)."""

    def __init__(self, session: Session, size: int, floor: int = 0) -> None:
        self._session, self._size, self._floor = session, size, floor
        self._blocks: dict[int, list[bytes]] = {}

    def __len__(self) -> int:
        return self._size

    def _block(self, number: int) -> list[bytes]:
        if number not in self._blocks:
            start = max(number * _BLOCK, self._floor)
            end = min(number * _BLOCK + _BLOCK, self._size)
            span = leaf_span(self._session, start, end)
            rows = self._session.execute(
                select(AuditLeaf.leaf_index, AuditEntry.leaf_hash)
                .join(AuditEntry, leaf_entry(span) if span is not None else false())
                .where(AuditLeaf.leaf_index >= start, AuditLeaf.leaf_index < end)
                .order_by(AuditLeaf.leaf_index)
            ).all()
            if [r.leaf_index for r in rows] != list(range(start, end)):
                raise LogCorrupt(f"leaf indexes {start}..{end - 1} are not contiguous")
            below = [b""] * (start - number * _BLOCK)  # never served: __getitem__ refuses them
            self._blocks[number] = below + [bytes(r.leaf_hash) for r in rows]
        return self._blocks[number]

    @overload
    def __getitem__(self, item: int) -> bytes: ...
    @overload
    def __getitem__(self, item: slice) -> list[bytes]: ...
    def __getitem__(self, item: int | slice) -> bytes | list[bytes]:
        if isinstance(item, slice):
            start, stop, _ = item.indices(self._size)
            if start < self._floor and stop > start:
                raise merkle.BelowFloor(f"leaves from {start} are below the retention floor {self._floor}")
            out: list[bytes] = []
            for number in range(
                start // _BLOCK, (stop - 1) // _BLOCK + 1 if stop > start else start // _BLOCK
            ):
                base = number * _BLOCK
                out += self._block(number)[max(start - base, 0) : stop - base]
            return out
        if not 0 <= item < self._size:
            raise IndexError(item)
        if item < self._floor:
            raise merkle.BelowFloor(f"leaf {item} is below the retention floor {self._floor}")
        return self._block(item // _BLOCK)[item % _BLOCK]


@dataclass
class ProofCache:
    """Perfect-subtree hashes shared by requests; valid while the checkpoint they came from is stored."""

    nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)  # a FrontierCache above a floor
    tag: tuple[int, bytes] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def for_tree(
        self, session: Session, size: int, root: bytes, frontier: merkle.CompactRange | None = None
    ) -> merkle.NodeCache:
        """`frontier`: the retention floor's (AuditLog.floor); the cache then starts from it."""
        with self.lock:
            floor = frontier.size if frontier is not None else 0
            if getattr(self.nodes, "floor", 0) != floor:  # a month was dropped since: start again
                self.nodes = merkle.FrontierCache(frontier) if frontier is not None else {}
                self.tag = None
            if self.tag is not None:
                stored = session.get(AuditCheckpoint, self.tag[0])
                if stored is None or stored.root_hash != self.tag[1]:
                    # another tree: a rolled-back test transaction, a restored backup
                    self.nodes = merkle.FrontierCache(frontier) if frontier is not None else {}
                    self.tag = None
            if self.tag is None or size > self.tag[0]:
                self.tag = (size, root)
            return self.nodes


@dataclass
class AuditLog:
    """The log of one registry: its origin, keys and proof cache."""

    origin: str
    keys: LogKeys
    cache: ProofCache = field(default_factory=ProofCache)

    @classmethod
    def from_settings(cls, settings: Any, cipher: FieldCipher) -> AuditLog:
        return cls(origin=settings.audit_origin, keys=LogKeys.from_settings(settings, cipher))

    # -- writing ------------------------------------------------------------------------------------
    def sequence(self, session: Session, batch_size: int = DEFAULT_BATCH) -> Sequenced | None:
        if not try_lock(session):  # before the keys, so two first runs cannot both create one
            return None
        return sequence_pending(
            session,
            signers=self.keys.signers(session),
            origin=self.origin,
            verifiers=self.keys.verifiers(session),
            batch_size=batch_size,
        )

    # -- checkpoints --------------------------------------------------------------------------------
    def checkpoint(
        self, session: Session, size: int | None = None, witnessed: bool = False
    ) -> AuditCheckpoint:
        query = select(AuditCheckpoint)
        if size is not None:
            query = query.where(AuditCheckpoint.size == size)
        if witnessed:
            query = query.where(
                select(AuditCosignature.id)
                .where(AuditCosignature.checkpoint_size == AuditCheckpoint.size)
                .exists()
            )
        found = session.scalars(query.order_by(AuditCheckpoint.size.desc()).limit(1)).first()
        if found is None:
            if size is not None or witnessed:
                raise NotFound("No such signed checkpoint.")
            raise NotFound("The log is empty.")
        return found

    def cosigned_note(self, session: Session, row: AuditCheckpoint) -> str:
        """The log's signed note with every accepted cosignature line appended."""
        lines = session.scalars(
            select(AuditCosignature.line)
            .where(AuditCosignature.checkpoint_size == row.size)
            .order_by(AuditCosignature.witness_id)
        )
        return row.note + "".join(lines)

    def state(self, session: Session) -> LogState:
        """The newest signed checkpoint and the newest one a witness cosigned, each checked: does the
        log's signature verify with its keys, and each cosignature under that witness's key."""
        latest = self.checked(session, self.checkpoint(session))
        try:
            witnessed = self.checkpoint(session, witnessed=True)
        except NotFound:
            return LogState(latest, None)
        return LogState(latest, latest if witnessed.size == latest.size else self.checked(session, witnessed))

    def checked(self, session: Session, row: AuditCheckpoint) -> CheckedCheckpoint:
        note = self.cosigned_note(session, row)
        try:
            signers = open_note_detailed(row.note, self.keys.verifiers(session)).names
            problem = None
        except NoteError as exc:
            signers, problem = [], str(exc)
        witnesses = []
        for witness, timestamp in session.execute(
            select(AuditWitness, AuditCosignature.timestamp)
            .join(AuditCosignature, AuditCosignature.witness_id == AuditWitness.id)
            .where(AuditCosignature.checkpoint_size == row.size)
            .order_by(AuditWitness.name)
        ):
            try:
                verify_cosignature(note, witness.verifier_key)
                verified = True
            except NoteError:
                verified = False
            witnesses.append(WitnessState(witness.name, timestamp, verified))
        return CheckedCheckpoint(row.size, note, signers, problem, witnesses)

    def signed_size(self, session: Session, size: int) -> AuditCheckpoint:
        row = session.get(AuditCheckpoint, size)
        if row is None:
            raise ValidationFailed(
                msg("{size} is not the size of a signed checkpoint.", size=size),
                errors={
                    "tree_size": [
                        "Must be the size of a signed checkpoint (see GET /api/v1/audit/checkpoint)."
                    ]
                },
            )
        return row

    # -- proofs -------------------------------------------------------------------------------------
    def floor(self, session: Session) -> merkle.CompactRange | None:
        """The retention floor's frontier (registry.audit.retention), None when nothing was dropped."""
        size = session.scalar(select(func.max(AuditRetention.floor)))
        if not size:
            return None
        row = session.get(AuditCheckpoint, size)
        if row is None:
            raise LogCorrupt(f"the retention floor's checkpoint (size {size}) is not stored")
        return merkle.CompactRange.from_bytes(row.compact_range)

    def inclusion_proof(self, session: Session, index: int, tree_size: int) -> dict[str, Any]:
        row = self.signed_size(session, tree_size)
        if not 0 <= index < tree_size:
            raise ValidationFailed(
                msg(
                    "Leaf index {index} is outside the tree of size {tree_size}.",
                    index=index,
                    tree_size=tree_size,
                ),
                errors={"index": [f"Must be in [0, {tree_size})."]},
            )
        frontier = self.floor(session)
        floor = frontier.size if frontier is not None else 0
        if index < floor:
            raise Archived(
                msg(
                    "Leaf index {index} is below the retention floor {floor}: its entry is only in the "
                    "tlog-tiles archive, which proves it (tile/0 and the checkpoint).",
                    index=index,
                    floor=floor,
                )
            )
        leaves = LeafHashes(session, tree_size, floor)
        try:
            proof = merkle.inclusion_proof(
                index, tree_size, leaves, self.cache.for_tree(session, tree_size, row.root_hash, frontier)
            )
        except merkle.BelowFloor as exc:  # cannot happen above the floor; a clear answer if it does
            raise Archived(msg("This proof needs entries that are only in the tlog-tiles archive.")) from exc
        return {
            "index": index,
            "tree_size": tree_size,
            "leaf_hash": leaves[index],
            "root_hash": row.root_hash,
            "proof": proof,
        }

    def consistency_proof(self, session: Session, first: int, second: int) -> dict[str, Any]:
        row = self.signed_size(session, second)
        if not 0 <= first <= second:
            raise ValidationFailed(
                msg("Cannot prove {first} -> {second}.", first=first, second=second),
                errors={"first": [f"Must be in [0, {second}]."]},
            )
        frontier = self.floor(session)
        floor = frontier.size if frontier is not None else 0
        if 0 < first < floor:
            raise Archived(
                msg(
                    "Tree size {first} is below the retention floor {floor}: prove it from the tlog-tiles "
                    "archive, whose checkpoint this log extends.",
                    first=first,
                    floor=floor,
                )
            )
        leaves = LeafHashes(session, second, floor)
        try:
            proof = merkle.consistency_proof(
                first, second, leaves, self.cache.for_tree(session, second, row.root_hash, frontier)
            )
        except merkle.BelowFloor as exc:
            raise Archived(msg("This proof needs entries that are only in the tlog-tiles archive.")) from exc
        return {"first": first, "second": second, "second_root": row.root_hash, "proof": proof}

    # -- entries ------------------------------------------------------------------------------------
    def entries(self, session: Session, start: int, end: int, agency: str | None = None) -> dict[str, Any]:
        """Sequenced entries [start, end) of the latest tree (at most MAX_ENTRIES_PER_CALL)."""
        latest = latest_checkpoint(session)
        size = latest.size if latest else 0
        floor = int(session.scalar(select(func.max(AuditRetention.floor))) or 0)
        if start < floor:
            raise Archived(
                msg(
                    "Entries below leaf index {floor} were dropped by retention: read them from the "
                    "tlog-tiles archive.",
                    floor=floor,
                )
            )
        end = min(end, start + MAX_ENTRIES_PER_CALL, size)
        query = leaf_rows(session, start, max(end, start))
        if agency is not None:
            query = query.where(AuditEntry.agency == agency)
        items = [{"leaf_index": r.leaf_index, "body": r.body} for r in session.execute(query)]
        return {"tree_size": size, "start": start, "end": max(end, start), "entries": items}

    # -- witnesses ----------------------------------------------------------------------------------
    def add_witness(self, session: Session, name: str, verifier_key: str) -> AuditWitness:
        try:
            verifier = CosignatureVerifier(verifier_key)
        except NoteError as exc:
            raise ValidationFailed(msg("Not a witness verifier key: {reason}", reason=str(exc))) from exc
        if verifier.name != name:
            raise ValidationFailed(
                msg("The key is named {name!r}, not {expected!r}.", name=verifier.name, expected=name)
            )
        witness = AuditWitness(name=name, verifier_key=verifier_key)
        session.add(witness)
        session.flush()
        return witness

    def add_cosignature(self, session: Session, size: int, line: str) -> AuditCosignature:
        """Accept a witness's cosignature line for the signed checkpoint of `size`."""
        row = session.get(AuditCheckpoint, size)
        if row is None:
            raise NotFound(msg("No signed checkpoint of size {size}.", size=size))
        line = line.rstrip("\n") + "\n"
        if line.count("\n") != 1:
            raise ValidationFailed("A cosignature is one signature line.")
        witnesses = list(session.scalars(select(AuditWitness)))
        verifiers = {}
        for witness in witnesses:
            verifier = CosignatureVerifier(witness.verifier_key)
            verifiers[(verifier.name, verifier.key_id)] = (verifier, witness)
        try:
            _, signatures = parse_note(row.note + line)
            signature = signatures[-1]
            known = verifiers.get((signature.name, signature.key_id))
            if known is None:
                raise PermissionDenied("The cosignature is not from a witness this log accepts.")
            open_note_detailed(row.note + line, [known[0]])
            timestamp = cosignature_timestamp(signature)
        except NoteError as exc:
            raise ValidationFailed(msg("Invalid cosignature: {reason}", reason=str(exc))) from exc
        witness = known[1]
        existing = session.scalars(
            select(AuditCosignature).where(
                AuditCosignature.checkpoint_size == size, AuditCosignature.witness_id == witness.id
            )
        ).first()
        if existing is not None:
            return existing  # append-only: the first cosignature of a checkpoint by a witness stands
        cosignature = AuditCosignature(
            checkpoint_size=size, witness_id=witness.id, line=line, timestamp=timestamp
        )
        session.add(cosignature)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict("This witness cosigned this checkpoint concurrently.") from exc
        return cosignature
