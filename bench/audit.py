"""Audit log figures: appends/s through record()+commit, sequencing throughput, verifying 1,000,000 entries.

    python -m bench.audit [--appends 2000] [--verify-n 1000000] [--pg URL | --no-pg] [--verify-pg]

Each database is a throw-away one (a temp SQLite file; on PostgreSQL a database created and dropped).
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


def bulk_log(url: str, n: int) -> tuple[str, float]:
    """A signed log of n entries, written in bulk (COPY on PostgreSQL). Returns (verifier key, seconds)."""
    started = time.perf_counter()
    engine = make_engine(url)
    now = datetime.now(UTC)
    tree = merkle.CompactRange()
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
        checkpoint = Checkpoint(ORIGIN, tree.size, tree.root())
        session.add(
            AuditCheckpoint(
                size=tree.size,
                root_hash=tree.root(),
                compact_range=tree.to_bytes(),
                note=sign_note(checkpoint.body(), signers),
                created_at=now,
            )
        )
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
    args = parser.parse_args()

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
