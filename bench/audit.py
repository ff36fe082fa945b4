"""Audit log figures: appends/s through record()+commit, sequencing throughput, verifying 1,000,000 entries.

    python -m bench.audit [--appends 2000] [--verify-n 1000000] [--pg URL | --no-pg] [--verify-pg]
    python -m bench.audit --verify-memory 200000,1000000 [--since 100000] [--before DIR]
                          [--verify-tiles] [--verify-db sqlite|postgresql ...]

Each database is a throw-away one (a temp SQLite file; on PostgreSQL a database created and dropped).

`--verify-memory` measures `verify_log` itself, on a log generated as it is read (entries of real size,
~340 bytes, signed every 10,000 entries, no database: the source costs what a COPY's rows cost to
receive, not what the database takes to send them): for each size a fresh process runs a full verify,
then an incremental one (`since_previous`, the last `--since` entries), reporting wall and CPU time and
how much its peak RSS grew during the run (and, untimed, tracemalloc's peak of a full verify);
`--verify-tiles` and `--verify-db` do the same with an archive of the generated log and with a database
written by bulk_log (time, CPU and RSS growth: the database's own rows are buffered by chunk, which this
does not change). `--before DIR`: the same in a tree holding another version of
`registry/` (e.g. `git archive <commit> registry | tar -x -C DIR`), run from DIR.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import insert, text

from registry.audit import merkle
from registry.audit.keys import LogKeys
from registry.audit.log import AuditLog
from registry.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf
from registry.audit.note import Checkpoint, sign_note
from registry.audit.recorder import EVENT_COLUMNS, AuditEvent, canonical_body, record
from registry.audit.verify import DatabaseSource, verify_log
from registry.cli.common import alembic_config
from registry.db import make_engine, make_sessionmaker
from registry.fieldcrypt import FieldCipher

ORIGIN = "bench.registry/audit"


def new_log() -> AuditLog:
    return AuditLog(ORIGIN, LogKeys(ORIGIN, FieldCipher(b"d" * 32, b"l" * 32), generate=True))


@contextmanager
def database(kind: str, pg_url: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            command.upgrade(alembic_config(url), "heads")
            yield url
        return
    assert pg_url
    base = pg_url.rsplit("/", 1)[0]
    name = f"bench_audit_{uuid.uuid4().hex[:8]}"
    admin = make_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        command.upgrade(alembic_config(f"{base}/{name}"), "heads")
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_appends(url: str, n: int) -> None:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    log = new_log()
    with sessions() as session, session.begin():
        log.sequence(session)  # creates the key and signs the empty tree
    event = AuditEvent(
        action="identifier:read",
        outcome="allowed",
        agency="MOIT-DMS",
        client_id="bench",
        officer="officer-1",
        resource_type="identifier",
        resource_id="x",
        status_code=200,
    )
    started = time.perf_counter()
    for _ in range(n):
        with sessions() as session, session.begin():
            record(session, event)
    elapsed = time.perf_counter() - started
    print(f"  appends (record + commit, one transaction each): {n / elapsed:,.0f}/s  ({n} in {elapsed:.2f}s)")
    started = time.perf_counter()
    batches = 0
    while True:
        with sessions() as session, session.begin():
            done = log.sequence(session, batch_size=1000)
        if done is None:
            break
        batches += 1
    elapsed = time.perf_counter() - started
    print(
        f"  sequencing (batches of 1000, one signed checkpoint each): {n / elapsed:,.0f} entries/s "
        f"({batches} checkpoints in {elapsed:.2f}s)"
    )
    engine.dispose()


AGENCIES = ("MOF-CUSTOMS", "MOF-TAX", "MOIT-DMS", "MPS-C03", "SBV", "MIC")
ACTIONS = (
    "subject:history",
    "identifier:lookup",
    "subject:search",
    "block_request:read",
    "freeze_order:read",
)


def _synthetic(n: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    """Entries as the registry writes them (about 340 bytes: agency, client, officer, resource, purpose,
    request id), with their search columns: (id, body, leaf hash, occurred_at, *EVENT_COLUMNS)."""
    for i in range(1, n + 1):
        agency = AGENCIES[i % len(AGENCIES)]
        event = AuditEvent(
            action=ACTIONS[i % len(ACTIONS)],
            outcome="allowed",
            agency=agency,
            client_id=f"{agency.lower()}-system",
            officer=f"officer-{i % 997}",
            resource_type="subject",
            resource_id=str(uuid.UUID(int=i, version=4)),
            purpose=f"{i % 9973}/QĐ-CSKT",
            request_id=f"{i:032x}",
            status_code=200,
        )
        occurred_at = now + timedelta(microseconds=i)
        body = canonical_body(event, occurred_at)
        columns = tuple(getattr(event, name) for name in EVENT_COLUMNS)
        yield (i, body, hashlib.sha256(b"\x00" + body).digest(), occurred_at, *columns)


COLUMNS = ("id", "body", "leaf_hash", "occurred_at", *EVENT_COLUMNS)


class _Tracked(merkle.CompactRange):
    """A compact range that keeps a copy of itself when it reaches the size `at`."""

    __slots__ = ("at", "seen")

    def __init__(self, at: int | None) -> None:
        super().__init__()
        self.at, self.seen = at, None

    def append(self, leaf_hash: bytes) -> None:
        super().append(leaf_hash)
        if self.size == self.at:
            self.seen = self.copy()


def bulk_log(url: str, n: int, also_at: int | None = None) -> tuple[str, float]:
    """A signed log of n entries, written in bulk (COPY on PostgreSQL), with a signed checkpoint at n (and
    at `also_at`, for an incremental verify). Returns (verifier key, seconds)."""
    started = time.perf_counter()
    engine = make_engine(url)
    now = datetime.now(UTC)
    tree = _Tracked(also_at)
    if url.startswith("postgresql"):
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(f"COPY audit_entry ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                for row in _synthetic(n, now):
                    cp.write_row(row)
                    tree.append(row[2])
            with cursor.copy("COPY audit_leaf (leaf_index, entry_id, sequenced_at) FROM STDIN") as cp:
                for i in range(1, n + 1):
                    cp.write_row((i - 1, i, now))
            cursor.execute("SELECT setval('audit_entry_id_seq', %s)", (n,))
            raw.commit()
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            chunk: list[dict] = []

            def flush() -> None:
                conn.execute(insert(AuditEntry), chunk)
                leaves = [
                    {"leaf_index": r["id"] - 1, "entry_id": r["id"], "sequenced_at": now} for r in chunk
                ]
                conn.execute(insert(AuditLeaf), leaves)
                chunk.clear()

            for row in _synthetic(n, now):
                tree.append(row[2])
                chunk.append(dict(zip(COLUMNS, row, strict=True)))
                if len(chunk) == 50_000:
                    flush()
            if chunk:
                flush()
    log = new_log()
    with make_sessionmaker(engine)() as session, session.begin():
        signers = log.keys.signers(session)
        for signed in ([tree.seen] if tree.seen is not None else []) + [tree]:
            checkpoint = Checkpoint(ORIGIN, signed.size, signed.root())
            session.add(
                AuditCheckpoint(
                    size=signed.size,
                    root_hash=signed.root(),
                    compact_range=signed.to_bytes(),
                    note=sign_note(checkpoint.body(), signers),
                    created_at=now,
                )
            )
            session.flush()
        key = signers[0].verifier_key
    engine.dispose()
    return key, time.perf_counter() - started


TARGET_VERIFY_S = 5.0  # issue #16: 1,000,000 entries of real size on PostgreSQL


def bench_verify(url: str, n: int) -> None:
    key, built = bulk_log(url, n)
    print(f"  built a signed log of {n:,} entries in {built:.1f}s")
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        from registry.audit.note import Verifier

        started = time.perf_counter()
        report = verify_log(DatabaseSource(session), [Verifier(key)])
        elapsed = time.perf_counter() - started
    engine.dispose()
    assert report.checkpoint.size == n
    target = ""
    if url.startswith("postgresql") and n >= 1_000_000:
        met = "met" if elapsed * 1_000_000 / n <= TARGET_VERIFY_S else "MISSED"
        load = os.getloadavg()[0]
        target = f" (target <= {TARGET_VERIFY_S:.0f} s for 1,000,000: {met}; load average {load:.1f})"
    print(f"  verify --database of {n:,} entries (fetch, rehash, recompute root): {elapsed:.2f}s{target}")


# -- verify_log's own memory and time, on a generated log ------------------------------------------
_ENTRY = (
    b'{"action":"subject:history","agency":"MOF-CUSTOMS","client_id":"mof-customs-system",'
    b'"officer":"officer-%03d","outcome":"allowed","purpose":"%04d/QD-CSKT","request_id":"%032x",'
    b'"resource_id":"%036d","resource_type":"subject","status_code":200,"subjects":null,'
    b'"time":"2026-12-03T10:00:00.%06dZ","v":1}'
)  # ~340 bytes, as the registry's entries


def _entry(i: int) -> bytes:
    return _ENTRY % (i % 997, i % 9973, i, i, i % 1_000_000)


class GeneratedSource:
    """A verify.LogSource whose entries are made as they are read (holding none), signed every `every`
    entries and at `also_at`."""

    def __init__(self, size: int, every: int = 10_000, also_at: int | None = None) -> None:
        from registry.audit.note import Signer, generate_signer

        skey, self.verifier_key = generate_signer(ORIGIN)
        signer = Signer(skey)
        self.notes: dict[int, str] = {}
        self.frontiers: dict[int, merkle.CompactRange] = {}
        tree = merkle.CompactRange()
        for end in sorted({*range(every, size, every), size, *([also_at] if also_at else [])}):
            tree.extend([hashlib.sha256(b"\x00" + _entry(i)).digest() for i in range(tree.size, end)])
            self.notes[tree.size] = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).body(), [signer])
            self.frontiers[tree.size] = tree.copy()
        self.size = size

    def checkpoint_note(self) -> str:
        return self.notes[self.size]

    def leaves(self, size: int, start: int = 0) -> Iterator[tuple[int, bytes, bytes | None]]:
        for i in range(start, size):
            yield i, _entry(i), None

    def consistency_proof(self, first: int, second: int, leaf_hashes: Any = None) -> Any:
        if leaf_hashes is not None:  # the verifier before streaming computed it from its list
            return merkle.consistency_proof(first, second, leaf_hashes, {})
        return None

    def frontier(self, size: int, tree_size: int) -> merkle.CompactRange | None:
        return self.frontiers.get(size)

    def floor(self, verifiers: Any) -> None:
        return None

    def signed_notes(self) -> Iterator[tuple[int, str]]:
        return iter(sorted(self.notes.items()))

    def column_mismatches(self) -> list:
        return []

    def column_mismatch_count(self) -> int:
        return 0

    def column_guard_problems(self) -> list:
        return []


def _maxrss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure_one(size: int, since: int) -> dict[str, Any]:
    """In this process: a full verify of a generated log of `size` against the checkpoint `since` entries
    before its end, then (when this verify_log has it) the incremental one from that checkpoint."""
    import inspect

    from registry.audit.note import Verifier

    source = GeneratedSource(size, also_at=size - since)
    verifiers = [Verifier(source.verifier_key)]
    saved = source.notes[size - since]
    out: dict[str, Any] = {"size": size}
    runs = [("full", {})]
    if "since_previous" in inspect.signature(verify_log).parameters:
        runs.append(("since", {"since_previous": True}))
    for name, extra in runs:
        base = _maxrss_kib()
        wall, cpu = time.perf_counter(), time.process_time()
        report = verify_log(source, verifiers, saved, **extra)  # type: ignore[arg-type]
        out[name] = {
            "wall_s": round(time.perf_counter() - wall, 2),
            "cpu_s": round(time.process_time() - cpu, 2),
            "rss_growth_mib": round((_maxrss_kib() - base) / 1024, 1),
        }
        assert report.checkpoint.size == size
    out["rss_peak_mib"] = round(_maxrss_kib() / 1024, 1)
    import tracemalloc  # once more, untimed: what the full verify itself allocated at its peak

    tracemalloc.start()
    verify_log(source, verifiers, saved)
    out["full"]["traced_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
    tracemalloc.stop()
    return out


def measure_db(url: str, key: str, size: int, since: int) -> dict[str, Any]:
    """In this process: `registry audit verify --database` (DatabaseSource) of the log bulk_log wrote,
    full, then (when this verify_log has it) incremental from its checkpoint `since` entries back."""
    import inspect

    from registry.audit.note import Verifier

    engine = make_engine(url)
    out: dict[str, Any] = {"size": size}
    with make_sessionmaker(engine)() as session:
        saved = session.get(AuditCheckpoint, size - since)
        assert saved is not None
        runs = [("full", {})]
        if "since_previous" in inspect.signature(verify_log).parameters:
            runs.append(("since", {"since_previous": True}))
        for name, extra in runs:
            base = _maxrss_kib()
            wall, cpu = time.perf_counter(), time.process_time()
            report = verify_log(DatabaseSource(session), [Verifier(key)], saved.note, **extra)  # type: ignore[arg-type]
            out[name] = {
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "rss_growth_mib": round((_maxrss_kib() - base) / 1024, 1),
            }
            assert report.checkpoint.size == size
    out["rss_peak_mib"] = round(_maxrss_kib() / 1024, 1)
    engine.dispose()
    return out


def measure_tiles(directory: str, key: str, saved_note: str, size: int) -> dict[str, Any]:
    """In this process: `registry audit verify --tiles DIR` (TilesSource), full then incremental."""
    import inspect

    from registry.audit.note import Verifier
    from registry.audit.tiles import TilesSource

    out: dict[str, Any] = {"size": size}
    runs = [("full", {})]
    if "since_previous" in inspect.signature(verify_log).parameters:
        runs.append(("since", {"since_previous": True}))
    for name, extra in runs:
        base = _maxrss_kib()
        wall, cpu = time.perf_counter(), time.process_time()
        source = TilesSource.directory(directory)
        report = verify_log(source, [Verifier(key)], saved_note, **extra)  # type: ignore[arg-type]
        out[name] = {
            "wall_s": round(time.perf_counter() - wall, 2),
            "cpu_s": round(time.process_time() - cpu, 2),
            "rss_growth_mib": round((_maxrss_kib() - base) / 1024, 1),
        }
        assert report.checkpoint.size == size
    out["rss_peak_mib"] = round(_maxrss_kib() / 1024, 1)
    return out


def _measure_in(code: str, where: str | None, what: str) -> None:
    """Run a measure_* call in a process of its own (in another tree's folder for `before`) and print its
    figures: full, and --since-state when measured."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=where or None, capture_output=True, text=True, check=True
    )
    got = json.loads(done.stdout.strip().splitlines()[-1])
    full = got["full"]
    line = (
        f"  {what}: full {full['wall_s']:.2f}s wall, {full['cpu_s']:.2f}s CPU, "
        f"peak RSS +{full['rss_growth_mib']} MiB"
    )
    if "since" in got:
        step = got["since"]
        line += (
            f"; --since-state {step['wall_s']:.2f}s wall, {step['cpu_s']:.2f}s CPU, "
            f"+{step['rss_growth_mib']} MiB"
        )
    print(line + f" (process peak {got['rss_peak_mib']} MiB; load {os.getloadavg()[0]:.1f})")


def bench_verify_tiles(sizes: list[int], since: int, before: str | None) -> None:
    from registry.audit.tiles import SignedTree, extend_archive

    trees = [("before", before), ("after", None)] if before else [("this tree", None)]
    for size in sizes:
        source = GeneratedSource(size, also_at=size - since)
        final = source.frontiers[size]
        target = SignedTree(size, source.notes[size], final.root(), final)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            extend_archive(Path(tmp), target, lambda n: None, lambda a, b: (_entry(i) for i in range(a, b)))
            took = time.perf_counter() - started
            print(f"  tiles: archived a generated log of {size:,} entries in {took:.0f}s")
            for label, where in trees:
                args = (tmp, source.verifier_key, source.notes[size - since], size)
                code = (
                    "import json; from bench.audit import measure_tiles; "
                    f"print(json.dumps(measure_tiles(*{args!r})))"
                )
                _measure_in(code, where, f"{size:>9,} {label:>9} verify --tiles")


def bench_verify_db(kind: str, pg_url: str | None, sizes: list[int], since: int, before: str | None) -> None:
    trees = [("before", before), ("after", None)] if before else [("this tree", None)]
    for size in sizes:
        with database(kind, pg_url) as url:
            key, built = bulk_log(url, size, also_at=size - since)
            print(f"  {kind}: built a signed log of {size:,} entries in {built:.0f}s")
            for label, where in trees:
                code = (
                    "import json; from bench.audit import measure_db; "
                    f"print(json.dumps(measure_db({url!r}, {key!r}, {size}, {since})))"
                )
                _measure_in(code, where, f"{size:>9,} {label:>9} verify --database ({kind})")


def bench_verify_memory(sizes: list[int], since: int, before: str | None) -> None:
    import json
    import subprocess
    import sys

    trees = [("before", before), ("after", None)] if before else [("this tree", None)]
    load = os.getloadavg()[0]
    print(f"verify_log, generated log (incremental: the last {since:,} entries); load average {load:.1f}")
    for size in sizes:
        for label, where in trees:
            code = (
                "import json; from bench.audit import measure_one; "
                f"print(json.dumps(measure_one({size}, {since})))"
            )
            done = subprocess.run(
                [sys.executable, "-c", code], cwd=where or None, capture_output=True, text=True, check=True
            )
            got = json.loads(done.stdout.strip().splitlines()[-1])
            full = got["full"]
            line = (
                f"  {size:>9,} {label:>9}: full {full['wall_s']:.2f}s wall, {full['cpu_s']:.2f}s CPU, "
                f"peak RSS +{full['rss_growth_mib']} MiB, traced peak {full['traced_peak_mib']} MiB"
            )
            if "since" in got:
                step = got["since"]
                line += f"; --since-state {step['wall_s']:.2f}s, +{step['rss_growth_mib']} MiB"
            print(line + f" (process peak {got['rss_peak_mib']} MiB; load {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--appends", type=int, default=2000, help="entries for the append/sequence figures")
    parser.add_argument(
        "--verify-n", type=int, default=1_000_000, help="log size for the verification figure"
    )
    parser.add_argument(
        "--pg", default="postgresql://postgres@localhost/postgres", help="PostgreSQL server URL"
    )
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--verify-pg", action="store_true", help="also time verification on PostgreSQL")
    parser.add_argument(
        "--verify-memory", help="sizes (e.g. 200000,1000000): verify_log's memory and time, nothing else"
    )
    parser.add_argument("--since", type=int, default=100_000, help="entries an incremental verify reads")
    parser.add_argument("--before", help="a tree with another registry/ to compare (--verify-memory)")
    parser.add_argument(
        "--verify-tiles", action="store_true", help="with --verify-memory: also verify --tiles of an archive"
    )
    parser.add_argument(
        "--verify-db",
        choices=("sqlite", "postgresql"),
        action="append",
        help="with --verify-memory: also verify --database of a bulk-written log of each size (repeatable)",
    )
    args = parser.parse_args()
    if args.verify_memory:
        sizes = [int(n) for n in args.verify_memory.split(",")]
        bench_verify_memory(sizes, args.since, args.before)
        if args.verify_tiles:
            bench_verify_tiles(sizes, args.since, args.before)
        for kind in args.verify_db or ():
            bench_verify_db(kind, args.pg, sizes, args.since, args.before)
        return

    kinds = ["sqlite"]
    if not args.no_pg:
        try:
            probe = make_engine(args.pg)
            with probe.connect():
                pass
            probe.dispose()
            kinds.append("postgresql")
        except Exception as exc:
            print(f"PostgreSQL not reachable ({type(exc).__name__}); SQLite only")
    for kind in kinds:
        print(f"{kind}:")
        with database(kind, args.pg) as url:
            bench_appends(url, args.appends)
        if kind == "sqlite" or args.verify_pg:
            with database(kind, args.pg) as url:
                bench_verify(url, args.verify_n)


if __name__ == "__main__":
    main()
