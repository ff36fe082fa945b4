"""Verifying the whole log: signature, consistency with the last verified checkpoint, every entry.

The verifier trusts nothing the log stores except what carries the log's signature: it rehashes every
entry's canonical bytes, recomputes the root and compares it with the signed checkpoint, and proves
that the checkpoint extends the one it verified last (saved in a state file). Reading the database, it
also holds every searchable column of an entry (agency, officer, action, ...) to the signed body it was
derived from, since the search API answers from those columns, and the subjects indexed for a
`subject:<id>` search (audit_subject) to the body's `subjects`. On failure it raises
`VerificationFailed` with the evidence: both checkpoints, the failing proof, the first bad index.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit import merkle
from registry.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditSubject
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


class LogSource(Protocol):
    def checkpoint_note(self) -> str: ...

    def consistency_proof(self, first: int, second: int, leaf_hashes: Sequence[bytes]) -> list[bytes]: ...

    def leaves(self, size: int) -> Iterator[tuple[int, bytes, bytes | None]]:
        """(leaf index, canonical body, the leaf hash the log stores if it says) in index order."""
        ...

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        """After `leaves` ran: (leaf index, columns) whose stored search columns differ from the body."""
        ...

    def signed_notes(self) -> Iterator[tuple[int, str]]:
        """Every stored checkpoint (size, note) in ascending size, to locate a mismatch; may be empty."""
        ...


def _column_differs(name: str) -> str:
    """SQL: is the stored search column `name` different from what the signed body `b` says?"""
    if name == "occurred_at":
        return "e.occurred_at IS DISTINCT FROM (b ->> 'time')::timestamptz"
    if name == "status_code":
        return "e.status_code IS DISTINCT FROM (b ->> 'status_code')::integer"
    return f"e.{name} IS DISTINCT FROM (b ->> '{name}')"


# PostgreSQL compares the search columns with the signed bodies itself, on a connection of its own
# while this process hashes: the bodies' JSON is parsed in the server, in parallel with the hashing.
# Only bodies that hash to the signed root are trusted to be the registry's canonical JSON, so a failure
# of this statement is reported only once the root has verified.
_SUBJECTS_DIFFER = (
    "i.ids IS DISTINCT FROM (SELECT array_agg(DISTINCT x ORDER BY x)"
    " FROM jsonb_array_elements_text(CASE jsonb_typeof(b -> 'subjects') WHEN 'array'"
    " THEN b -> 'subjects' ELSE '[]'::jsonb END) AS x)"
)
_CHECKED = (*SIGNED_COLUMNS, "subjects")  # the subjects indexed in audit_subject, held to the body's list
_DIFFERS = [*(_column_differs(name) for name in SIGNED_COLUMNS), _SUBJECTS_DIFFER]
_COLUMN_CHECK = (
    "WITH indexed AS (SELECT entry_id, array_agg(DISTINCT subject_id::text ORDER BY subject_id::text) AS ids"
    " FROM audit_subject GROUP BY entry_id)"
    " SELECT l.leaf_index, ARRAY[" + ", ".join(_DIFFERS) + "]"
    " FROM audit_leaf l JOIN audit_entry e ON e.id = l.entry_id"
    " LEFT JOIN indexed i ON i.entry_id = e.id"
    " CROSS JOIN LATERAL (SELECT convert_from(e.body, 'UTF8')::jsonb AS b OFFSET 0) AS signed"  # once a row
    " WHERE l.leaf_index < %(size)s AND (" + " OR ".join(_DIFFERS) + ") ORDER BY l.leaf_index"
)
_LEAVES_COPY = (
    "COPY (SELECT l.leaf_index, e.body, e.leaf_hash FROM audit_leaf l JOIN audit_entry e"
    " ON e.id = l.entry_id WHERE l.leaf_index < {size} ORDER BY l.leaf_index) TO STDOUT (FORMAT BINARY)"
)


class DatabaseSource:
    """Reads the log's tables directly (`registry audit verify --database`).

    Also holds every searchable column to the body it was derived from: the search API answers from
    those columns, so rewriting one would hide an entry from a search. On PostgreSQL the leaves come by
    binary COPY and the server compares the columns concurrently (`_COLUMN_CHECK`); elsewhere both are
    read through SQLAlchemy in one pass."""

    def __init__(self, session: Session, chunk: int = 50_000) -> None:
        self.session, self.chunk = session, chunk
        self._mismatches: list[tuple[int, list[str]]] = []
        self._column_check: threading.Thread | None = None
        self._column_error: BaseException | None = None

    def checkpoint_note(self) -> str:
        latest = latest_checkpoint(self.session)
        if latest is None:
            raise VerificationFailed("the log has no signed checkpoint")
        return latest.note

    def consistency_proof(self, first: int, second: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
        # The leaves were rehashed from their bodies and matched the signed root of `second`, so a proof
        # built from them is the proof any honest log must serve.
        return merkle.consistency_proof(first, second, leaf_hashes, {})

    def leaves(self, size: int) -> Iterator[tuple[int, bytes, bytes | None]]:
        engine = self.session.get_bind()
        if engine.dialect.name == "postgresql":
            return self._postgres_leaves(engine, size)
        return self._orm_leaves(size)

    def _postgres_leaves(self, engine: Any, size: int) -> Iterator[tuple[int, bytes, bytes | None]]:
        self._column_check = threading.Thread(
            target=self._check_columns_in_postgres, args=(engine, size), daemon=True
        )
        self._column_check.start()
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(_LEAVES_COPY.format(size=int(size))) as copy:
                copy.set_types(["int8", "bytea", "bytea"])
                yield from copy.rows()
        finally:
            raw.rollback()
            raw.close()

    def _check_columns_in_postgres(self, engine: Any, size: int) -> None:
        try:
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute(_COLUMN_CHECK, {"size": size})
                for index, differs in cursor:
                    names = [name for name, d in zip(_CHECKED, differs, strict=True) if d]
                    self._mismatches.append((index, names))
            finally:
                raw.rollback()
                raw.close()
        except BaseException as exc:
            self._column_error = exc

    def _orm_leaves(self, size: int) -> Iterator[tuple[int, bytes, bytes | None]]:
        columns = [getattr(AuditEntry, name) for name in SIGNED_COLUMNS]
        for start in range(0, size, self.chunk):
            in_chunk = (AuditLeaf.leaf_index >= start, AuditLeaf.leaf_index < min(start + self.chunk, size))
            query = (
                select(AuditLeaf.leaf_index, AuditEntry.body, AuditEntry.leaf_hash, *columns)
                .join(AuditEntry, AuditEntry.id == AuditLeaf.entry_id)
                .where(*in_chunk)
                .order_by(AuditLeaf.leaf_index)
            )
            # The subjects indexed for `resource=subject:<id>` (audit_subject), held to the body's list too.
            reached: dict[int, set[str]] = {}
            for index, subject_id in self.session.execute(
                select(AuditLeaf.leaf_index, AuditSubject.subject_id)
                .join(AuditSubject, AuditSubject.entry_id == AuditLeaf.entry_id)
                .where(*in_chunk)
            ).tuples():
                reached.setdefault(index, set()).add(subject_id)
            for row in self.session.execute(query):
                index, body, leaf_hash, occurred_at, *stored = row
                try:
                    signed = signed_columns(body)
                    signed_subjects = set(json.loads(body).get("subjects") or ())
                except (ValueError, AttributeError, TypeError):
                    signed = None  # not a JSON object: the root (or stored hash) check reports it
                if signed is not None:
                    held = (body_time(occurred_at) if occurred_at is not None else None, *stored)
                    differ = []
                    if held != signed:  # one tuple comparison per row; name the columns only on a miss
                        differ = [
                            name for name, a, b in zip(SIGNED_COLUMNS, held, signed, strict=True) if a != b
                        ]
                    if reached.get(index, set()) != signed_subjects:
                        differ.append("subjects")
                    if differ:
                        self._mismatches.append((index, differ))
                yield index, body, leaf_hash

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        if self._column_check is not None:
            self._column_check.join()
        if self._column_error is not None:
            raise VerificationFailed(
                f"the search columns could not be compared with the signed entries: {self._column_error}"
            )
        return self._mismatches

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

    def consistency_proof(self, first: int, second: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
        data = self._get("proofs/consistency", first=first, second=second).json()
        return [base64.b64decode(h) for h in data["proof"]]

    def leaves(self, size: int) -> Iterator[tuple[int, bytes, bytes | None]]:
        for start in range(0, size, self.page):
            data = self._get("entries", start=start, end=min(start + self.page, size)).json()
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

    def column_mismatches(self) -> list[tuple[int, list[str]]]:
        return []  # the API serves only the signed bodies; their search columns are not visible here


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


def _evidence_checkpoint(cp: Checkpoint, note: str) -> dict[str, Any]:
    return {"size": cp.size, "root_hash": b64(cp.root_hash), "note": note}


def _locate(
    source: LogSource, hashes: list[bytes], upto: int, verifiers: Sequence[NoteVerifier]
) -> dict[str, Any]:
    """Narrow a root mismatch down to the entries between two signed checkpoints."""
    tree = merkle.CompactRange()
    good = 0
    for size, note in source.signed_notes():
        if size > upto:
            break
        while tree.size < size:
            tree.append(hashes[tree.size])
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
    return {"mismatch_between": [good, upto]}


def verify_log(
    source: LogSource,
    verifiers: Sequence[NoteVerifier],
    previous_note: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
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

    if progress is not None:
        progress(0, cp.size)
    hashes: list[bytes] = []
    stored_mismatch: int | None = None
    expected = 0
    for index, entry_body, stored in source.leaves(cp.size):
        if index != expected:
            what = "missing" if index > expected else "duplicated"
            raise VerificationFailed(
                f"leaf index {min(index, expected)} is {what}",
                {**evidence, "first_mismatching_index": min(index, expected)},
            )
        digest = _sha256(b"\x00" + entry_body).digest()
        if stored is not None and stored != digest and stored_mismatch is None:
            stored_mismatch = index
        hashes.append(digest)
        expected += 1
        if progress is not None and not expected % 10_000:
            progress(10_000, cp.size)
    if progress is not None and expected % 10_000:
        progress(expected % 10_000, cp.size)
    if expected != cp.size:
        raise VerificationFailed(
            f"the log serves {expected} entries but signed {cp.size}",
            {**evidence, "first_mismatching_index": expected},
        )

    root = merkle.root_from_leaf_hashes(hashes)
    if root != cp.root_hash:
        evidence["computed_root"] = b64(root)
        evidence.update(_locate(source, hashes, cp.size, verifiers))
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

    mismatches = source.column_mismatches()
    if mismatches:
        index, columns = mismatches[0]
        more = f" ({len(mismatches)} entries differ in all)" if len(mismatches) > 1 else ""
        raise VerificationFailed(
            f"leaf index {index}: stored column{'s' if len(columns) > 1 else ''} "
            f"{', '.join(columns)} do{'es' if len(columns) == 1 else ''} not match the signed entry; "
            f"the audit search answers from these columns{more}",
            {
                **evidence,
                "first_mismatching_index": index,
                "columns": columns,
                "mismatching_entries": [{"leaf_index": i, "columns": c} for i, c in mismatches[:MAX_LISTED]],
                "mismatching_entry_count": len(mismatches),
            },
        )

    if previous is not None and 0 < previous.size < cp.size:
        proof = source.consistency_proof(previous.size, cp.size, hashes)
        try:
            merkle.verify_consistency(previous.size, cp.size, previous.root_hash, cp.root_hash, proof)
        except merkle.ProofError as exc:
            raise VerificationFailed(
                f"the log forked: checkpoint {cp.size} does not extend {previous.size} ({exc})",
                {**evidence, "consistency_proof": [b64(h) for h in proof]},
            ) from exc
    # A log cut back to an earlier checkpoint (entries and checkpoints deleted together) is a smaller,
    # internally consistent log: only a comparison with a checkpoint verified earlier can show it.
    return VerifyReport(cp, note, previous, warnings=[UNANCHORED] if previous is None else [])


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
