"""Verifying the whole log: signature, consistency with the last verified checkpoint, every entry.

The verifier trusts nothing the log stores except what carries the log's signature: it rehashes every
entry's canonical bytes, recomputes the root and compares it with the signed checkpoint, and proves
that the checkpoint extends the one it verified last (saved in a state file). Reading the database, it
also makes sure every searchable column of an entry (agency, officer, action, ..., and the `subjects`
a `subject:<id>` search finds) is what the signed body says, since the search API answers from those
columns: on PostgreSQL by checking in the catalogue that the database's own constraint holds them to
the body on every write (O(1), see `DatabaseSource`); on SQLite by comparing every row. On failure it
raises `VerificationFailed` with the evidence: both checkpoints, the failing proof, the first bad index.

Memory does not grow with the log: the entries are streamed once into the tree's frontier (O(log n)
hashes, `merkle.CompactRange`, fed a batch at a time), the root at the saved checkpoint's size taken on
the way; a failure reads them a second time for its evidence. A run can start from a frontier the log
stores instead of leaf 0, once that frontier hashes to a signed root (`anchored`): the retention floor's
checkpoint, or the saved checkpoint itself (`since_previous`, `--since-state`: only newer entries read).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, islice, takewhile
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from registry.audit import merkle
from registry.audit.log import leaf_span
from registry.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditRetention, leaf_entry
from registry.audit.note import Checkpoint, NoteError, NoteVerifier, open_note, parse_note
from registry.audit.recorder import SIGNED_COLUMNS, body_time, signed_columns
from registry.audit.sequencer import latest_checkpoint

_sha256 = hashlib.sha256
MAX_LISTED = 100  # mismatching entries listed in the evidence (all are counted)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class VerificationFailed(Exception):
    def __init__(self, reason: str, evidence: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence or {}


@dataclass(frozen=True)
class Floor:
    """A signed checkpoint of `size` whose frontier a run starts from, once that frontier hashed to the
    checkpoint's signed root (`anchored`): the retention floor, or the saved checkpoint (--since-state)."""

    size: int
    tree: merkle.CompactRange
    note: str


def anchored(
    tree: merkle.CompactRange, signed: Checkpoint, note: str, what: str, evidence: dict[str, Any]
) -> Floor:
    """The one check that lets a run start from a frontier the log stores (and not from leaf 0): it must
    hash to the root of the checkpoint `signed` (the log's signed note, or the checkpoint the verifier
    saved). Everything below the frontier is then what was signed, without reading it."""
    if (tree.size, tree.root()) != (signed.size, signed.root_hash):
        raise VerificationFailed(
            f"the stored frontier of {what} (size {signed.size}) does not hash to the root its note signs",
            {**evidence, "computed_root": b64(tree.root()), "frontier_size": tree.size},
        )
    return Floor(signed.size, tree, note)


class LogSource(Protocol):
    def checkpoint_note(self) -> str: ...

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        """The proof the source serves (the API's, checked too), None when it serves none: verify_log
        then computes one from the leaves as evidence of a fork."""
        ...

    def frontier(self, size: int, tree_size: int) -> merkle.CompactRange | None:
        """The frontier at `size` of the tree of `tree_size` the source holds, as it stores it (trusted
        only once `anchored` to a signed root), None when it cannot give one (--since-state)."""
        ...

    def leaves(self, size: int, start: int = 0) -> Iterator[tuple[int, bytes, bytes | None]]:
        """(leaf index, canonical body, the leaf hash the log stores if it says) of [start, size) in
        index order."""
        ...

    def floor(self, verifiers: Sequence[NoteVerifier]) -> Floor | None:
        """Where the log the source holds starts, if not at leaf 0 (entries dropped by retention)."""
        ...

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        """After `leaves` ran: (leaf index, columns) whose stored search columns differ from the body."""
        ...

    def column_mismatch_count(self) -> int:
        """How many entries column_mismatches found (it lists the first MAX_LISTED)."""
        ...

    def column_guard_problems(self) -> list[str]:
        """What no longer holds the search columns to the bodies where the database does it ([]: sound)."""
        ...

    def signed_notes(self) -> Iterator[tuple[int, str]]:
        """Every stored checkpoint (size, note) in ascending size, to locate a mismatch; may be empty."""
        ...


# PostgreSQL holds the search columns to the body on every write, by the check constraint of migration
# 0020; the verifier checks that it is still there, validated and unchanged. Here it is as PostgreSQL
# renders it (pg_get_constraintdef, PostgreSQL 15; tests/audit/test_verify_columns.py fails on a server
# that renders it otherwise): each column IS NOT DISTINCT FROM what the body says. Only built-in
# functions: one of ours could be replaced while a row is rewritten, then restored, leaving no trace.
GUARD = "ck_audit_entry_signed"
_BODY = "(convert_from(body, 'UTF8'::name))::json"


def _held(column: str) -> str:
    if column == "occurred_at":
        return f"(NOT (occurred_at IS DISTINCT FROM (({_BODY} ->> 'time'::text))::timestamp with time zone))"
    if column == "status_code":
        return f"(NOT (status_code IS DISTINCT FROM (({_BODY} ->> 'status_code'::text))::integer))"
    if column == "subjects":
        return f"(NOT (subjects IS DISTINCT FROM (({_BODY} -> 'subjects'::text))::jsonb))"
    return f"(NOT (({column})::text IS DISTINCT FROM ({_BODY} ->> '{column}'::text)))"


GUARD_DEFINITION = "CHECK ((" + " AND ".join(_held(c) for c in (*SIGNED_COLUMNS, "subjects")) + "))"
_GUARD_QUERY = (
    "SELECT c.relkind, c.relrowsecurity, k.convalidated, pg_get_constraintdef(k.oid) FROM pg_class c"
    " LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'c' AND k.conname = %(guard)s"
    " WHERE c.oid = 'audit_entry'::regclass"
)
# PostgreSQL gives a partitioned table's check constraint and row triggers to each partition (and refuses
# to drop them there), but not its statement triggers: migration 0027 gives each partition its own
# TRUNCATE trigger. A trigger can still be disabled on one partition by the owner, so each is checked.
APPEND_ONLY_TRIGGERS = ("audit_entry_append_only", "audit_entry_no_truncate")
_TRIGGER_ENABLED = (
    "EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = '{name}'"
    " AND t.tgenabled <> 'D' AND t.tgfoid = 'audit_append_only'::regproc)"
)
_PARTITIONS_QUERY = (
    "SELECT c.relname, c.relrowsecurity, k.convalidated, pg_get_constraintdef(k.oid), "
    + ", ".join(_TRIGGER_ENABLED.format(name=name) for name in APPEND_ONLY_TRIGGERS)
    + " FROM pg_class c LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'c'"
    " AND k.conname = %(guard)s WHERE c.oid = 'audit_entry'::regclass OR c.oid IN"
    " (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'audit_entry'::regclass) ORDER BY c.relname"
)
# The leaves by chunks of `DatabaseSource.chunk`, each joined to its entries on their whole key within the
# entries' time span (as registry.audit.log.leaf_rows does): on PostgreSQL a chunk reads the one or two
# months that hold its entries and sorts 50,000 rows, where one statement over the whole log hashed every
# partition and sorted the whole log on disk (3.7 GB of temporary files for 2.9 million entries:
# bench.partitions, bench/README.md).
_LEAVES_SPAN = (
    "SELECT min(entry_occurred_at), max(entry_occurred_at) FROM audit_leaf"
    " WHERE leaf_index >= %(start)s AND leaf_index < %(end)s"
)
# A leaf whose entry is not found by its whole key comes with no body (LEFT JOIN): see `_off_key`.
_LEAVES_COPY = (
    "COPY (SELECT l.leaf_index, l.entry_id, l.entry_occurred_at, e.body, e.leaf_hash"
    " FROM audit_leaf l LEFT JOIN audit_entry e"
    " ON e.id = l.entry_id AND e.occurred_at = l.entry_occurred_at"
    " AND e.occurred_at >= %(low)s AND e.occurred_at <= %(high)s"
    " WHERE l.leaf_index >= %(start)s AND l.leaf_index < %(end)s"
    " ORDER BY l.leaf_index) TO STDOUT (FORMAT BINARY)"
)


def partition_problems(rows: Sequence[Sequence[Any]], constraints: bool = True) -> list[str]:
    """For a partitioned audit_entry: (name, row security, validated, definition, *triggers enabled) of
    the parent and of every partition; what is wrong with each (the parent's own constraint and row
    security are guard_problems'). `constraints` False: the parent's constraint is already reported
    (dropping or changing it there does the same to every partition), so the partitions' are not."""
    problems = []
    for name, row_security, validated, definition, *triggers in rows:
        if name != "audit_entry":
            if row_security:
                problems.append(
                    f"{name} has row-level security enabled: a policy can hide entries from a role"
                )
            if constraints:
                problems += [
                    f"partition {name}: {problem}"
                    for problem in guard_problems("r", False, validated, definition)
                ]
        for trigger, enabled in zip(APPEND_ONLY_TRIGGERS, triggers, strict=True):
            if not enabled:
                refused = "TRUNCATE" if trigger.endswith("no_truncate") else "UPDATE and DELETE"
                problems.append(f"{name} has no enabled trigger {trigger}: it no longer refuses {refused}")
    return problems


def guard_problems(
    relkind: str, row_security: bool, validated: bool | None, definition: str | None
) -> list[str]:
    """What is wrong with what holds audit_entry's search columns to the bodies ([]: nothing)."""
    problems = []
    if relkind not in ("r", "p"):
        problems.append(f"audit_entry is not a plain or partitioned table (relkind {relkind!r})")
    if row_security:
        problems.append("audit_entry has row-level security enabled: a policy can hide entries from a role")
    if definition is None:
        problems.append(f"the constraint {GUARD} is missing")
    elif definition.removesuffix(" NOT VALID") != GUARD_DEFINITION:
        problems.append(f"the constraint {GUARD} was changed")
    elif not validated:
        problems.append(f"the constraint {GUARD} is NOT VALID: rows written without it were never checked")
    return problems


class DatabaseSource:
    """Reads the log's tables directly (`registry audit verify --database`).

    Also holds every searchable column, and the subjects an entry reached, to the body they were derived
    from: the search API answers from them, so rewriting one would hide an entry from a search. On
    PostgreSQL the leaves come by binary COPY and the database itself holds the columns to the bodies
    on every write (constraint `ck_audit_entry_signed`): the verifier checks, in the catalogue, that the
    constraint is there, validated and unchanged, and that no row-level security policy filters the
    table. On SQLite, whose constraints its file's owner can switch off without a trace, every row is
    read through SQLAlchemy and compared."""

    def __init__(self, session: Session, chunk: int = 50_000) -> None:
        self.session, self.chunk = session, chunk
        self._mismatches: list[tuple[int, list[str]]] = []  # the first MAX_LISTED
        self._mismatch_count = 0

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def checkpoint_note(self) -> str:
        latest = latest_checkpoint(self.session)
        if latest is None:
            raise VerificationFailed("the log has no signed checkpoint")
        return latest.note

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        return None  # computed from the rehashed leaves (which matched the signed root of `second`)

    def frontier(self, size: int, tree_size: int) -> merkle.CompactRange | None:
        """The frontier the sequencer stored with its checkpoint of `size` (audit_checkpoint)."""
        row = self.session.get(AuditCheckpoint, size)
        return merkle.CompactRange.from_bytes(row.compact_range) if row is not None else None

    def leaves(self, size: int, start: int = 0) -> Iterator[tuple[int, bytes, bytes | None]]:
        if self._postgres:
            return self._postgres_leaves(size, start)
        return self._orm_leaves(size, start)

    def floor(self, verifiers: Sequence[NoteVerifier]) -> Floor | None:
        """The retention floor (`audit_retention`), its checkpoint's frontier checked against the root
        the log's key signed for that size."""
        size = self.session.scalar(select(func.max(AuditRetention.floor)))
        if not size:
            return None
        row = self.session.get(AuditCheckpoint, size)
        if row is None:
            raise VerificationFailed(
                f"the retention floor is the checkpoint of size {size}, which is not stored",
                {"retention_floor": size},
            )
        try:
            tree = merkle.CompactRange.from_bytes(row.compact_range)
            signed = Checkpoint.parse(open_note(row.note, verifiers)[0])
        except (ValueError, NoteError) as exc:
            raise VerificationFailed(
                f"the retention floor's checkpoint (size {size}) is unusable: {exc}",
                {"retention_floor": size, "note": row.note},
            ) from exc
        if signed.size != size:
            raise VerificationFailed(
                f"the retention floor's checkpoint row (size {size}) holds the note of size {signed.size}",
                {"retention_floor": size, "note": row.note},
            )
        return anchored(
            tree,
            signed,
            row.note,
            "the retention floor's checkpoint",
            {"retention_floor": size, "note": row.note},
        )

    def _postgres_leaves(self, size: int, start: int) -> Iterator[tuple[int, bytes, bytes | None]]:
        engine: Any = self.session.get_bind()
        raw = engine.raw_connection()
        try:
            # One snapshot for every chunk, and no month dropped or detached meanwhile (locking the
            # partitioned table locks its partitions), as when it was one statement.
            cursor = raw.cursor()
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # the first statement
            cursor.execute("LOCK TABLE audit_entry IN ACCESS SHARE MODE")
            for low in range(start, size, self.chunk):
                chunk = {"start": low, "end": min(low + self.chunk, size)}
                cursor.execute(_LEAVES_SPAN, chunk)
                earliest, latest = cursor.fetchone()
                if earliest is None:  # no leaf here names its entry's time (all off key, see _off_key)
                    earliest = latest = datetime(1, 1, 1, tzinfo=UTC)
                with cursor.copy(_LEAVES_COPY, {**chunk, "low": earliest, "high": latest}) as copy:
                    copy.set_types(["int8", "int8", "timestamptz", "bytea", "bytea"])
                    for index, entry_id, leaf_time, body, leaf_hash in copy.rows():
                        if body is None:
                            found = self._off_key(index, entry_id, leaf_time)
                            if found is None:
                                continue  # no such entry: verify_log reports the missing index
                            body, leaf_hash = found.body, found.leaf_hash
                        yield index, body, leaf_hash
        finally:
            raw.rollback()
            raw.close()

    def column_guard_problems(self) -> list[str]:
        if not self._postgres:
            return []
        connection = self.session.connection()
        found = connection.exec_driver_sql(_GUARD_QUERY, {"guard": GUARD}).one()
        problems = guard_problems(*found)
        if found[0] == "p":
            rows = connection.exec_driver_sql(_PARTITIONS_QUERY, {"guard": GUARD}).all()
            problems += partition_problems(rows, constraints=not any(GUARD in p for p in problems))
        return problems

    def _off_key(self, index: int, entry_id: int, leaf_time: datetime | None) -> Any:
        """The entry of a leaf not found by its whole key (None if there is none), looked up by id alone
        (every month's partition: this happens only when something is wrong). The body is what the tree
        is verified from; the leaf's time is then held to it: when the leaf's time is what the body says,
        the entry's own `occurred_at` was rewritten (the column checks report that); otherwise the leaf's
        was, and the proofs, entries and archive, which read the entry by the leaf's key, would miss it."""
        columns = [getattr(AuditEntry, name) for name in SIGNED_COLUMNS]
        found = self.session.execute(
            select(AuditEntry.body, AuditEntry.leaf_hash, AuditEntry.subjects, *columns)
            .where(AuditEntry.id == entry_id)
            .order_by(AuditEntry.occurred_at)
            .limit(1)
        ).first()
        if found is None:
            return None
        try:
            signed_time = json.loads(found.body).get("time")
        except (ValueError, AttributeError, TypeError):
            signed_time = None  # not a JSON object: the root check reports it
        if leaf_time is None or body_time(leaf_time.astimezone(UTC)) != signed_time:
            self._mismatches.append((index, ["audit_leaf.entry_occurred_at"]))
        return found

    def _orm_leaves(self, size: int, first: int) -> Iterator[tuple[int, bytes, bytes | None]]:
        self._mismatches, self._mismatch_count = [], 0  # of this run (a second pass must not add)
        columns = [getattr(AuditEntry, name) for name in SIGNED_COLUMNS]
        for start in range(first, size, self.chunk):
            end = min(start + self.chunk, size)
            in_chunk = (AuditLeaf.leaf_index >= start, AuditLeaf.leaf_index < end)
            span = leaf_span(self.session, start, end)
            query = (
                select(
                    AuditLeaf.leaf_index,
                    AuditLeaf.entry_id,
                    AuditLeaf.entry_occurred_at,
                    AuditEntry.body,
                    AuditEntry.leaf_hash,
                    AuditEntry.subjects,
                    *columns,
                )
                .outerjoin(AuditEntry, leaf_entry(span) if span is not None else false())
                .where(*in_chunk)
                .order_by(AuditLeaf.leaf_index)
            )
            for row in self.session.execute(query).all():
                index, entry_id, leaf_time, *entry = row
                if entry[0] is None:
                    found = self._off_key(index, entry_id, leaf_time)
                    if found is None:
                        continue  # no such entry: verify_log reports the missing index
                    entry = list(found)
                body, leaf_hash, subjects, occurred_at, *stored = entry
                try:
                    signed = signed_columns(body)
                    signed_subjects = json.loads(body).get("subjects")
                except (ValueError, AttributeError, TypeError):
                    signed = None  # not a JSON object: the root (or stored hash) check reports it
                if signed is not None:
                    held = (body_time(occurred_at) if occurred_at is not None else None, *stored)
                    differ = []
                    if held != signed:  # one tuple comparison per row; name the columns only on a miss
                        differ = [
                            name for name, a, b in zip(SIGNED_COLUMNS, held, signed, strict=True) if a != b
                        ]
                    if subjects != signed_subjects:
                        differ.append("subjects")
                    if differ:
                        self._mismatch_count += 1
                        if len(self._mismatches) < MAX_LISTED:
                            self._mismatches.append((index, differ))
                yield index, body, leaf_hash

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        return self._mismatches  # on PostgreSQL none: the constraint refuses them (column_guard_problems)

    def column_mismatch_count(self) -> int:
        return self._mismatch_count

    def signed_notes(self) -> Iterator[tuple[int, str]]:
        query = select(AuditCheckpoint.size, AuditCheckpoint.note).order_by(AuditCheckpoint.size)
        for row in self.session.execute(query.execution_options(yield_per=1000)):
            yield row.size, row.note


class HttpError(RuntimeError):
    pass


class HttpSource:
    """Reads the log through its API (`registry audit verify --url`). `http` is requests-compatible."""

    def __init__(self, base_url: str, http: Any, token: str | None = None, page: int = 1000) -> None:
        base = base_url.rstrip("/")
        self.base = base if base.endswith("/api/v1/audit") else base + "/api/v1/audit"
        self.http, self.page = http, page
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _get(self, path: str, **params: Any) -> Any:
        response = self.http.get(
            f"{self.base}/{path}", params=params or None, headers=self.headers, timeout=60
        )
        if response.status_code in (401, 403):
            try:
                detail = response.json().get("detail")
            except (ValueError, AttributeError):
                detail = None
            raise HttpError(
                f"this token may not read the audit log: GET {path} answered {response.status_code}"
                + (f" ({detail})" if detail else "")
                + "; verifying needs a token with the scope audit:read"
            )
        if response.status_code != 200:
            raise HttpError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
        return response

    def checkpoint_note(self) -> str:
        return self._get("checkpoint").text

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        data = self._get("proofs/consistency", first=first, second=second).json()
        return [base64.b64decode(h) for h in data["proof"]]

    def frontier(self, size: int, tree_size: int) -> merkle.CompactRange | None:
        return None  # the API serves no frontier: --since-state needs --database or --tiles

    def leaves(self, size: int, start: int = 0) -> Iterator[tuple[int, bytes, bytes | None]]:
        for low in range(start, size, self.page):
            data = self._get("entries", start=low, end=min(low + self.page, size)).json()
            if data.get("only_agency"):
                # Not tampering: the API leaves out other agencies' entries for this token.
                raise HttpError(
                    "this token may not read the audit log: without the scope audit:read the registry "
                    f"serves only the entries about agency {data['only_agency']}, so the log cannot be "
                    "verified; use a token with audit:read"
                )
            for item in data["entries"]:
                yield item["leaf_index"], base64.b64decode(item["body"]), None

    def signed_notes(self) -> Iterator[tuple[int, str]]:
        return iter(())

    def floor(self, verifiers: Sequence[NoteVerifier]) -> Floor | None:
        return None  # the API serves every entry from 0 (a registry that dropped some: verify --database)

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        return []  # the API serves only the signed bodies; their search columns are not visible here

    def column_mismatch_count(self) -> int:
        return 0

    def column_guard_problems(self) -> list[str]:
        return []


UNANCHORED = (
    "No earlier state or witness cosignature given: entries removed after the latest checkpoint "
    "together with it cannot be detected; pass --state FILE (kept between runs) to check the log only "
    "grew, or rely on a witness (registry audit witness) that keeps its own."
)


@dataclass
class VerifyReport:
    checkpoint: Checkpoint
    note: str
    previous: Checkpoint | None
    warnings: list[str] = field(default_factory=list)
    start: int = 0  # the first leaf index read (the retention floor, or the saved size: --since-state)


def _evidence_checkpoint(cp: Checkpoint, note: str) -> dict[str, Any]:
    return {"size": cp.size, "root_hash": b64(cp.root_hash), "note": note}


class _Leaves:
    """The leaf hashes of [start, size) as the source serves them, each rehashed from its entry (nothing
    the source stores about the hash is trusted), the index order checked and the first stored leaf hash
    that differs noted; `served` counts the entries once they ran out."""

    def __init__(self, source: LogSource, size: int, start: int, evidence: dict[str, Any]) -> None:
        self.source, self.size, self.start, self.evidence = source, size, start, evidence
        self.stored_mismatch: int | None = None
        self.served = start

    def hashes(self) -> Generator[bytes, None, None]:
        expected = self.start
        sha256 = _sha256
        for index, entry_body, stored in self.source.leaves(self.size, self.start):
            if index != expected:
                what = "missing" if index > expected else "duplicated"
                raise VerificationFailed(
                    f"leaf index {min(index, expected)} is {what}",
                    {**self.evidence, "first_mismatching_index": min(index, expected)},
                )
            digest = sha256(b"\x00" + entry_body).digest()
            if stored is not None and stored != digest and self.stored_mismatch is None:
                self.stored_mismatch = index
            expected += 1
            yield digest
        self.served = expected


class _RanOut(Exception):
    pass


def _grow(
    tree: merkle.CompactRange,
    hashes: Iterator[bytes],
    size: int,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> None:
    """Append leaf hashes until the tree has `size` leaves, a batch at a time (aligned batches are hashed
    as perfect subtrees: CompactRange.extend); _RanOut when they end before."""
    while tree.size < size:
        end = min(size, (tree.size // merkle.STREAM_BATCH + 1) * merkle.STREAM_BATCH)
        batch = list(islice(hashes, end - tree.size))
        if not batch:
            raise _RanOut
        tree.extend(batch)
        if progress is not None:
            progress(len(batch), total)


def _locate(
    source: LogSource,
    anchor: Floor | None,
    upto: int,
    verifiers: Sequence[NoteVerifier],
    progress: Callable[[int, int], None] | None,
) -> dict[str, Any]:
    """Narrow a root mismatch down to the entries between two signed checkpoints: a second pass over the
    leaves (from the run's start), comparing the root at each stored checkpoint's size with the one it
    signs, holding O(log n) hashes; none when the source stores no checkpoint between."""
    start = anchor.size if anchor is not None else 0
    notes = takewhile(lambda row: row[0] <= upto, (r for r in source.signed_notes() if r[0] > start))
    first = next(notes, None)
    if first is None:
        return {"mismatch_between": [start, upto]}
    tree = anchor.tree.copy() if anchor is not None else merkle.CompactRange()
    good = start
    if progress is not None:
        progress(0, upto - start)
    hashes = _Leaves(source, upto, start, {}).hashes()
    try:
        for size, note in chain([first], notes):
            _grow(tree, hashes, size, progress, upto - start)
            try:
                body, _ = open_note(note, verifiers)
                signed = Checkpoint.parse(body)
            except NoteError:
                continue  # a stored row without a valid signature proves nothing
            if signed.size == size and signed.root_hash != tree.root():
                # The first bad entry is in [good, size): exact when consecutive checkpoints are one apart.
                return {
                    "first_bad_checkpoint": _evidence_checkpoint(signed, note),
                    "computed_root": b64(tree.root()),
                    "first_mismatching_index": size - 1 if size - good == 1 else None,
                    "mismatch_between": [good, size],
                }
            good = size
    except _RanOut:
        pass  # the first pass saw them all: the source changed meanwhile; what was found stands
    finally:
        hashes.close()  # the source's query too, when a mismatch was found before its end
    return {"mismatch_between": [good, upto]}


def _fork_proof(
    source: LogSource, first: int, second: int, progress: Callable[[int, int], None] | None
) -> list[bytes]:
    """PROOF(first, second) from the leaves, rehashed in a second pass holding O(log n) hashes: the proof
    any honest log must serve, since those leaves hash to the signed root of `second`."""
    nodes = merkle.consistency_proof_nodes(first, second)
    hashes: Iterator[bytes] = _Leaves(source, second, 0, {}).hashes()
    if progress is not None:
        progress(0, second)
        hashes = _counted(hashes, progress, second)
    return merkle.streamed_subtree_hashes(nodes, hashes)


def _counted(hashes: Iterator[bytes], progress: Callable[[int, int], None], total: int) -> Iterator[bytes]:
    for done, digest in enumerate(hashes, start=1):
        yield digest
        if not done % merkle.STREAM_BATCH:
            progress(merkle.STREAM_BATCH, total)


SINCE_STATE = (
    "entries below leaf index {size} (the saved checkpoint) were not read again (--since-state): this "
    "run started from the tree's frontier at that size, as the log stores it, once it hashed to the "
    "saved root; an entry below it altered since it was verified shows only in a run without "
    "--since-state"
)


def _since_state(
    source: LogSource,
    previous: Checkpoint,
    previous_note: str,
    tree_size: int,
    evidence: dict[str, Any],
) -> Floor:
    """The frontier at the saved checkpoint's size, trusted once it hashes to the saved root (`anchored`,
    the one mechanism the retention floor uses too)."""
    try:
        tree = source.frontier(previous.size, tree_size)
    except ValueError as exc:  # a malformed stored frontier
        raise VerificationFailed(
            f"the frontier the log stores for the saved checkpoint (size {previous.size}) is unusable: {exc}",
            evidence,
        ) from exc
    if tree is None:
        raise VerificationFailed(
            f"the log gives no frontier at the saved checkpoint's size {previous.size} (the database "
            "stores one with every checkpoint it signed: was it removed?); run without --since-state "
            "to check every entry",
            evidence,
        )
    try:
        return anchored(tree, previous, previous_note, "the saved checkpoint", evidence)
    except VerificationFailed as exc:
        raise VerificationFailed(
            f"the log forked, or its stored frontier was altered: {exc.reason}; run without "
            "--since-state to check every entry against the saved checkpoint",
            {**exc.evidence, "computed_previous_root": exc.evidence.get("computed_root")},
        ) from exc


def verify_log(
    source: LogSource,
    verifiers: Sequence[NoteVerifier],
    previous_note: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    since_previous: bool = False,
) -> VerifyReport:
    """Verify the log `source` serves (module docstring), streaming its entries once with O(log n)
    hashes in memory; a failure reads them a second time for its evidence (`_locate`, `_fork_proof`).

    `since_previous` (--since-state): start from the tree's frontier at `previous_note`'s size instead
    of from leaf 0 (or the retention floor), reading only the entries after it. `progress(advance,
    total)`: called with advance 0 as each pass starts, then as entries are read."""
    note = source.checkpoint_note()
    try:
        body, _ = open_note(note, verifiers)
        cp = Checkpoint.parse(body)
    except NoteError as exc:
        raise VerificationFailed(
            f"checkpoint signature does not verify: {exc}", {"checkpoint": note}
        ) from exc

    previous = Checkpoint.parse(parse_note(previous_note)[0]) if previous_note else None
    evidence: dict[str, Any] = {"checkpoint": _evidence_checkpoint(cp, note)}
    if previous is not None:
        evidence["previous_checkpoint"] = _evidence_checkpoint(previous, previous_note or "")
        if previous.origin != cp.origin:
            raise VerificationFailed(f"origin changed from {previous.origin!r} to {cp.origin!r}", evidence)
        if cp.size < previous.size:
            raise VerificationFailed(f"the log shrank from {previous.size} to {cp.size} entries", evidence)
        if cp.size == previous.size and cp.root_hash != previous.root_hash:
            raise VerificationFailed(f"the log forked: two different trees of size {cp.size}", evidence)

    # Entries dropped by retention (registry.audit.retention): start from the signed checkpoint at the
    # floor, whose stored frontier was just checked against its signed root, and append the rest.
    floor = source.floor(verifiers)
    warnings: list[str] = []
    if floor is not None:
        evidence["retention_floor"] = floor.size
        if floor.size > cp.size:
            raise VerificationFailed(
                f"the retention floor ({floor.size}) is above the latest checkpoint ({cp.size})", evidence
            )
    anchor = floor
    if since_previous and previous is not None and previous.size > (floor.size if floor else 0):
        # The same mechanism from the saved checkpoint: its frontier, checked against the saved root.
        anchor = _since_state(source, previous, previous_note or "", cp.size, evidence)
        evidence["since_state"] = anchor.size
        warnings.append(SINCE_STATE.format(size=anchor.size))
    elif floor is not None:
        # Said every time: a retention record is only as good as whoever wrote it (the owner), and one
        # made up would hide the entries below it from this run. The archive has them all.
        warnings.append(
            f"entries below leaf index {floor.size} were dropped by retention (audit_retention): this run "
            "checked the log from the signed checkpoint of that size on; `registry audit verify --tiles` "
            "on the archive checks the entries below it"
        )
    start = anchor.size if anchor is not None else 0
    tree = anchor.tree.copy() if anchor is not None else merkle.CompactRange()

    # One pass over the entries, holding the tree's frontier (O(log n) hashes) and a batch, never every
    # leaf: the root at the saved checkpoint's size is taken on the way.
    checked = previous is not None and start <= previous.size < cp.size
    previous_root = tree.root() if checked and previous is not None and previous.size == start else None
    if progress is not None:
        progress(0, cp.size - start)
    leaves = _Leaves(source, cp.size, start, evidence)
    hashes = leaves.hashes()
    try:
        if checked and previous is not None and previous.size > start:
            _grow(tree, hashes, previous.size, progress, cp.size - start)
            previous_root = tree.root()
        _grow(tree, hashes, cp.size, progress, cp.size - start)
        next(hashes, None)  # let the source finish (its query ends with the last leaf)
    except _RanOut:
        raise VerificationFailed(
            f"the log serves {leaves.served} entries but signed {cp.size}",
            {**evidence, "first_mismatching_index": leaves.served},
        ) from None
    stored_mismatch = leaves.stored_mismatch

    root = tree.root()
    if root != cp.root_hash:
        evidence["computed_root"] = b64(root)
        evidence.update(_locate(source, anchor, cp.size, verifiers, progress))  # its computed_root: at
        # the first bad checkpoint, when it finds one
        if stored_mismatch is not None:
            evidence["first_mismatching_index"] = stored_mismatch
            evidence["stored_leaf_hash_differs_at"] = stored_mismatch
        raise VerificationFailed(
            "the entries do not hash to the signed root: an entry was altered, "
            "removed, inserted or reordered",
            evidence,
        )
    if stored_mismatch is not None:
        raise VerificationFailed(
            f"stored leaf hash of index {stored_mismatch} does not match its entry",
            {**evidence, "first_mismatching_index": stored_mismatch},
        )

    problems = source.column_guard_problems()
    if problems:
        raise VerificationFailed(
            "the database no longer holds the audit entries as it must (search columns equal to the signed "
            f"entries, append-only): {'; '.join(problems)}; the audit search answers from these columns, "
            "so an entry could be hidden from it",
            {**evidence, "column_guard": problems},
        )
    mismatches = source.column_mismatches()
    if mismatches:
        index, columns = mismatches[0]
        count = source.column_mismatch_count()
        more = f" ({count} entries differ in all)" if count > 1 else ""
        raise VerificationFailed(
            f"leaf index {index}: stored column{'s' if len(columns) > 1 else ''} "
            f"{', '.join(columns)} do{'es' if len(columns) == 1 else ''} not match the signed entry; "
            f"the audit search (and, for audit_leaf's, the log's proofs and entries) answers from these "
            f"columns{more}",
            {
                **evidence,
                "first_mismatching_index": index,
                "columns": columns,
                "mismatching_entries": [{"leaf_index": i, "columns": c} for i, c in mismatches[:MAX_LISTED]],
                "mismatching_entry_count": count,
            },
        )

    if previous is not None and 0 < previous.size < cp.size:
        if previous.size < start:
            warnings.append(
                f"the saved checkpoint (size {previous.size}) is below the retention floor ({start}): "
                "the entries between are only in the tiles archive, so this run cannot prove the log "
                "extends it; `registry audit verify --tiles` with the same state file does"
            )
        else:
            # The entries hash to the signed root of cp.size and, at previous.size, to previous_root:
            # the log extends the saved checkpoint exactly when that is the saved root.
            served = source.consistency_proof(previous.size, cp.size)
            if previous_root != previous.root_hash:
                proof = served
                if proof is None and start == 0:
                    proof = _fork_proof(source, previous.size, cp.size, progress)
                found = {**evidence, "computed_previous_root": b64(previous_root or b"")}
                if proof is not None:
                    found["consistency_proof"] = [b64(h) for h in proof]
                raise VerificationFailed(
                    f"the log forked: checkpoint {cp.size} does not extend {previous.size} (its entries "
                    f"give another root at size {previous.size} than the saved checkpoint)",
                    found,
                )
            if served is not None:  # the API's own proof must say so too
                try:
                    merkle.verify_consistency(
                        previous.size, cp.size, previous.root_hash, cp.root_hash, served
                    )
                except merkle.ProofError as exc:
                    raise VerificationFailed(
                        f"the log forked: checkpoint {cp.size} does not extend {previous.size} ({exc})",
                        {**evidence, "consistency_proof": [b64(h) for h in served]},
                    ) from exc
    # A log cut back to an earlier checkpoint (entries and checkpoints deleted together) is a smaller,
    # internally consistent log: only a comparison with a checkpoint verified earlier can show it.
    return VerifyReport(
        cp, note, previous, warnings=[UNANCHORED, *warnings] if previous is None else warnings, start=start
    )


# -- state files (verifier and witness) ------------------------------------------------------------
def load_state(path: str | os.PathLike[str] | None) -> str | None:
    if not path or not Path(path).exists():
        return None
    return json.loads(Path(path).read_text())["note"]


def save_state(path: str | os.PathLike[str], note: str) -> None:
    cp = Checkpoint.parse(parse_note(note)[0])
    data = {"origin": cp.origin, "size": cp.size, "root_hash": b64(cp.root_hash), "note": note}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, target)
