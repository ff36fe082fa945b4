"""The audit log's reads across PostgreSQL's monthly partitions (migration 0027), timed and explained.

    python -m bench.partitions [--months 36] [--per-month 60000] [--reload] [--repeat 5]

Fills its own database (`registry_partitions_bench` by default, migrated to heads) with `--months`
monthly partitions of `audit_entry` ending with the current month, `--per-month` entries in each, by
`INSERT ... SELECT generate_series` month by month: each row is what `recorder.record` writes (an RFC
8785 body, its leaf hash, the search columns the constraint `ck_audit_entry_signed` holds to it, the
`subjects` of a search), every entry sequenced (`audit_leaf`) and the tree signed, plus a few hundred
entries written by `record()` and left for the sequencer. The load is kept when the database already
holds the same shape (`--reload` to force).

Then every path that reads `audit_entry` is timed through the code that serves it, and each SQL statement
it ran is explained (EXPLAIN ANALYZE, BUFFERS): how many of the partitions it touched (an index probed
or a table scanned), how many scans of partitions ran, and the buffers it read. Figures are medians of
`--repeat` runs; the reads from leaves to entries are also timed as a bare query given the entries' time
span ("pruned"), with the ratio. Results: bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from bench.audit import ORIGIN, new_log
from registry.audit import merkle
from registry.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf
from registry.audit.note import Checkpoint, sign_note
from registry.audit.recorder import AuditEvent, record
from registry.cli.common import alembic_config
from registry.db import make_engine, make_sessionmaker

DEFAULT_URL = "postgresql://postgres@localhost/registry_partitions_bench"
PENDING = 300  # entries recorded after the signed checkpoint, for the sequencer
SUBJECTS = 200_000  # the pool of subject ids the entries reach
AGENCIES = ("MOF-CUSTOMS", "MOF-TAX", "MOIT-DMS", "MPS-C03", "SBV", "MIC")


def subject_id(k: int) -> str:
    """The id of subject `k` of the pool, as the SQL below makes it (md5('s' || k)::uuid)."""
    return str(uuid.UUID(hashlib.md5(f"s{k}".encode(), usedforsecurity=False).hexdigest()))


# One month of entries: ids first+1 .. first+n, spread evenly over [low, high). Four in five read a
# subject (resource subject:<id>); the fifth is a search whose answer reached two subjects (`subjects`).
# The body is built in the canonical form (keys sorted, no spaces, absent keys left out) that
# recorder.canonical_body gives, so the leaf hash is the one the registry would compute.
MONTH_SQL = """
INSERT INTO audit_entry (id, occurred_at, body, leaf_hash, agency, client_id, officer, action,
    resource_type, resource_id, outcome, status_code, purpose, request_id, subjects)
SELECT id, occurred_at, body, sha256('\\x00'::bytea || body), agency, client_id, officer, action,
       resource_type, resource_id, outcome, status_code, purpose, request_id, subjects_json::jsonb
FROM (
  SELECT f.*, convert_to(
    '{"action":' || to_json(action)::text
    || ',"agency":' || to_json(agency)::text
    || ',"client_id":' || to_json(client_id)::text
    || ',"method":"GET","officer":' || to_json(officer)::text
    || ',"outcome":"allowed","path":' || to_json(path)::text
    || ',"purpose":' || to_json(purpose)::text
    || ',"request_id":' || to_json(request_id)::text
    || coalesce(',"resource_id":' || to_json(resource_id)::text, '')
    || coalesce(',"resource_type":' || to_json(resource_type)::text, '')
    || ',"status_code":' || status_code
    || coalesce(',"subjects":' || subjects_json, '')
    || ',"time":"' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24\\:MI\\:SS.US"Z"')
    || '","v"\\:1}',
    'UTF8') AS body
  FROM (
    SELECT :first + g AS id,
      CAST(:low AS timestamptz) + (g - 1) * ((CAST(:high AS timestamptz) - CAST(:low AS timestamptz)) / :n)
        + interval '1 microsecond' AS occurred_at,
      agencies[1 + g % 6] AS agency,
      lower(agencies[1 + g % 6]) || '-system' AS client_id,
      'officer-' || (g % 997) AS officer,
      CASE WHEN g % 5 = 0 THEN 'subject:search' ELSE 'subject:read' END AS action,
      CASE WHEN g % 5 = 0 THEN NULL ELSE 'subject' END AS resource_type,
      CASE WHEN g % 5 = 0 THEN NULL ELSE md5('s' || ((:first + g) * 7919 % :subjects))::uuid::text END
        AS resource_id,
      CASE WHEN g % 5 = 0 THEN '/api/v1/subjects' ELSE '/api/v1/subjects/' || g END AS path,
      'allowed' AS outcome,
      200 AS status_code,
      (g % 9973) || '/QĐ-CSKT' AS purpose,
      lpad(to_hex(:first + g), 32, '0') AS request_id,
      CASE WHEN g % 5 = 0 THEN '["' || least(a, b) || '","' || greatest(a, b) || '"]' END AS subjects_json
    FROM generate_series(CAST(1 AS bigint), :n) AS g,
      LATERAL (SELECT md5('s' || ((:first + g) * 31 % :subjects))::uuid::text AS a,
                      md5('s' || ((:first + g) * 37 % :subjects))::uuid::text AS b) AS reached,
      (SELECT ARRAY['MOF-CUSTOMS', 'MOF-TAX', 'MOIT-DMS', 'MPS-C03', 'SBV', 'MIC'] AS agencies) AS names
  ) f
) s
"""


def month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def months_ending_now(count: int, now: datetime) -> list[tuple[datetime, datetime]]:
    """[low, high) of the `count` months up to the current one (the current one's high: a minute ago)."""
    spans = []
    for back in range(count - 1, -1, -1):
        low = month_start(now.year, now.month - back)
        high = month_start(now.year, now.month - back + 1)
        if back == 0:
            high = max(now - timedelta(minutes=1), low + timedelta(minutes=1))
        spans.append((low, high))
    return spans


@dataclass(frozen=True)
class Shape:
    months: int
    per_month: int

    @property
    def entries(self) -> int:
        return self.months * self.per_month


def _admin(url: str) -> Engine:
    return make_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


def held(url: str) -> Shape | None:
    """What the database holds (months with entries, entries per month), None if absent or empty."""
    admin = _admin(url)
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.rsplit("/", 1)[1]}
        ).scalar()
    admin.dispose()
    if not exists:
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT count(*), min(n), max(n) FROM (SELECT count(*) AS n FROM audit_entry"
                    " WHERE id <= (SELECT max(entry_id) FROM audit_leaf)"
                    " GROUP BY date_trunc('month', occurred_at AT TIME ZONE 'UTC')) m"
                )
            ).one()
    except Exception:
        return None
    finally:
        engine.dispose()
    if not row[0] or row[1] != row[2]:
        return None
    return Shape(int(row[0]), int(row[1]))


def load(url: str, shape: Shape, say: Callable[[str], None] = print) -> float:
    """Drop, create and fill the database; returns seconds taken."""
    started = time.perf_counter()
    name = url.rsplit("/", 1)[1]
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    command.upgrade(alembic_config(url), "heads")
    engine = make_engine(url)
    now = datetime.now(UTC)
    spans = months_ending_now(shape.months, now)
    with engine.begin() as conn:
        for low, _ in spans:
            conn.execute(text("SELECT audit_entry_add_month(:m)"), {"m": low})
    say(f"  {len(spans)} monthly partitions; loading {shape.entries:,} entries by INSERT ... SELECT")
    for number, (low, high) in enumerate(spans):
        first = number * shape.per_month
        month_started = time.perf_counter()
        with engine.begin() as conn:
            params = {"first": first, "n": shape.per_month, "low": low, "high": high, "subjects": SUBJECTS}
            conn.execute(text(MONTH_SQL), params)
            conn.execute(
                text(
                    "INSERT INTO audit_leaf (leaf_index, entry_id, entry_occurred_at, sequenced_at)"
                    " SELECT id - 1, id, occurred_at, occurred_at + interval '2 seconds' FROM audit_entry"
                    " WHERE occurred_at >= :low AND occurred_at < :high ORDER BY id"
                ),
                {"low": low, "high": high},
            )
        elapsed = time.perf_counter() - month_started
        left = (len(spans) - number - 1) * elapsed
        say(f"  month {low:%Y-%m}: {shape.per_month:,} entries in {elapsed:.1f} s (about {left:.0f} s left)")
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('audit_entry_id_seq', :n)"), {"n": shape.entries})
    tree = merkle.CompactRange()
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(
            "COPY (SELECT leaf_hash FROM audit_entry ORDER BY id) TO STDOUT (FORMAT BINARY)"
        ) as cp:
            cp.set_types(["bytea"])
            for (leaf_hash,) in cp.rows():
                tree.append(bytes(leaf_hash))
        raw.commit()
    finally:
        raw.close()
    log = new_log()
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        signers = log.keys.signers(session)
        checkpoint = Checkpoint(ORIGIN, tree.size, tree.root())
        horizon = session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
        session.add(
            AuditCheckpoint(
                size=tree.size,
                root_hash=tree.root(),
                compact_range=tree.to_bytes(),
                note=sign_note(checkpoint.body(), signers),
                xact_floor=horizon,
                created_at=now,
            )
        )
    say(f"  signed the tree of {tree.size:,} leaves; recording {PENDING} entries for the sequencer")
    for i in range(PENDING):
        with sessions() as session, session.begin():
            record(
                session,
                AuditEvent(
                    action="subject:read",
                    outcome="allowed",
                    agency=AGENCIES[i % len(AGENCIES)],
                    client_id="bench",
                    officer=f"officer-{i}",
                    resource_type="subject",
                    resource_id=subject_id(i),
                    status_code=200,
                    method="GET",
                    path=f"/api/v1/subjects/{subject_id(i)}",
                ),
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE audit_entry"))
        conn.execute(text("VACUUM ANALYZE audit_leaf"))
    engine.dispose()
    return time.perf_counter() - started


# -- measuring --------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What EXPLAIN (ANALYZE, BUFFERS) says of the statements one path ran, added up."""

    statements: int = 0
    touched: int = 0  # distinct partitions of audit_entry the executor scanned (an index or the table)
    probes: int = 0  # scans of a partition executed (a nested loop's inner scan counts once per loop)
    buffers: int = 0  # shared buffers hit or read
    ms: float = 0.0  # execution time, as EXPLAIN ANALYZE measured it


def _walk(node: dict[str, Any], plan: Plan, touched: set[str]) -> None:
    relation = node.get("Relation Name", "")
    if relation.startswith("audit_entry_") and node.get("Actual Loops", 0) > 0:
        touched.add(relation)
        plan.probes += int(node["Actual Loops"])
    for child in node.get("Plans", ()):
        _walk(child, plan, touched)


def explain(engine: Engine, statements: list[tuple[str, Any]]) -> Plan:
    """EXPLAIN ANALYZE each statement again, with its parameters, in a transaction rolled back."""
    plan = Plan()
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT") or "pg_try_advisory" in statement:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters or None)
            (result,) = cursor.fetchone()
            top = result[0]
            touched: set[str] = set()
            _walk(top["Plan"], plan, touched)
            plan.statements += 1
            plan.touched = max(plan.touched, len(touched))
            shared = top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0)
            plan.buffers += shared + sum(
                p.get("Shared Hit Blocks", 0) + p.get("Shared Read Blocks", 0)
                for p in top.get("Triggers", ())
            )
            plan.ms += float(top["Execution Time"])
    finally:
        raw.rollback()
        raw.close()
    return plan


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) run on `engine` inside the block."""
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


@dataclass(frozen=True)
class Path:
    name: str
    run: Callable[[Session], Any]
    reference: Callable[[Session], Any] | None = None  # the same rows read with the partition key given
    repeat: int | None = None  # runs (default: --repeat)
    # explained instead of the captured statements (the verifier's COPY on its raw connection is not seen)
    sql: Callable[[Session], list[tuple[str, Any]]] | None = None


@dataclass
class Timed:
    path: Path
    seconds: float
    plan: Plan
    reference: float | None = None
    reference_plan: Plan | None = None


def timed(engine: Engine, run: Callable[[Session], Any], repeat: int) -> tuple[float, list[tuple[str, Any]]]:
    sessions = make_sessionmaker(engine)
    times = []
    statements: list[tuple[str, Any]] = []
    for number in range(repeat):
        with sessions() as session, captured(engine) as seen:
            started = time.perf_counter()
            run(session)
            times.append(time.perf_counter() - started)
            session.rollback()
        if number == 0:
            statements = list(seen)
    return statistics.median(times), statements


def measure_path(engine: Engine, path: Path, repeat: int) -> Timed:
    seconds, statements = timed(engine, path.run, path.repeat or repeat)
    if path.sql is not None:
        with make_sessionmaker(engine)() as session:
            statements = path.sql(session)
    result = Timed(path, seconds, explain(engine, statements))
    if path.reference is not None:
        result.reference, ref_statements = timed(engine, path.reference, path.repeat or repeat)
        result.reference_plan = explain(engine, ref_statements)
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def row(result: Timed, partitions: int) -> str:
    plan = result.plan
    line = (
        f"  {result.path.name:<58} {_ms(result.seconds):>11}  partitions {plan.touched:>2}/{partitions}"
        f"  scans {plan.probes:>7,}  buffers {plan.buffers:>9,}"
    )
    if result.reference is not None and result.reference_plan is not None:
        ref = result.reference_plan
        line += (
            f"\n  {'  pruned (partition key given)':<58} {_ms(result.reference):>11}  partitions "
            f"{ref.touched:>2}/{partitions}  scans {ref.probes:>7,}  buffers {ref.buffers:>9,}"
            f"  -> {result.seconds / result.reference:,.1f}x"
        )
    return line


BLOCK = 4096  # registry.audit.log._BLOCK: the leaf hashes a proof fetches at a time
PRUNED_SQL = (
    "SELECT l.leaf_index, e.body, e.leaf_hash FROM audit_leaf l JOIN audit_entry e ON e.id = l.entry_id"
    " AND e.occurred_at >= :low AND e.occurred_at <= :high"
    " WHERE l.leaf_index >= :start AND l.leaf_index < :end ORDER BY l.leaf_index"
)


def _pruned(start: int, end: int, low: datetime, high: datetime) -> Callable[[Session], Any]:
    """The leaves [start, end) with their entries, the entries' time span given (so PostgreSQL prunes)."""

    def run(session: Session) -> Any:
        params = {"start": start, "end": end, "low": low, "high": high}
        return session.execute(text(PRUNED_SQL), params).all()

    return run


def _span(session: Session, start: int, end: int) -> tuple[datetime, datetime]:
    """The time span of the entries of leaves [start, end), looked up once (not timed)."""
    low, high = session.execute(
        select(func.min(AuditEntry.occurred_at), func.max(AuditEntry.occurred_at)).where(
            AuditEntry.id.in_(
                select(AuditLeaf.entry_id).where(AuditLeaf.leaf_index >= start, AuditLeaf.leaf_index < end)
            )
        )
    ).one()
    return low, high


def verify_statements(size: int) -> Callable[[Session], list[tuple[str, Any]]]:
    """The SELECT inside each of the verifier's COPY statements, with its parameters."""
    from registry.audit.verify import _LEAVES_COPY, _LEAVES_SPAN, DatabaseSource

    def statements(session: Session) -> list[tuple[str, Any]]:
        select_sql = _LEAVES_COPY.removeprefix("COPY (").split(") TO STDOUT")[0]
        chunk = DatabaseSource(session).chunk
        found = []
        for start in range(0, size, chunk):
            params = {"start": start, "end": min(start + chunk, size)}
            low, high = session.connection().exec_driver_sql(_LEAVES_SPAN, params).one()
            found.append((select_sql, {**params, "low": low, "high": high}))
        return found

    return statements


def paths(engine: Engine) -> list[Path]:
    from registry.audit.log import AuditLog, LeafHashes
    from registry.audit.search import Filters, access_rows, search
    from registry.audit.sequencer import latest_checkpoint
    from registry.audit.tiles import database_bodies
    from registry.audit.verify import DatabaseSource
    from registry.health import sequencer_backlog

    with make_sessionmaker(engine)() as session:
        latest = latest_checkpoint(session)
        assert latest is not None
        size = latest.size
        block = size // 2 // BLOCK * BLOCK  # a block in the middle of the log
        spans = {n: _span(session, block, block + n) for n in (1000, BLOCK, 10_000)}
        newest = session.scalar(select(func.max(AuditEntry.occurred_at)))
    assert newest is not None
    log: AuditLog = new_log()
    subject = subject_id(12_345)
    month = month_start(newest.year, newest.month - 1)  # last month, whole
    day = month_start(newest.year, newest.month - 12).replace(day=15)
    every = list
    return [
        Path(
            f"proof: one block of {BLOCK:,} leaf hashes",
            lambda s: LeafHashes(s, size)[block],
            _pruned(block, block + BLOCK, *spans[BLOCK]),
        ),
        Path(
            "entries: 1,000 by leaf index (GET /audit/entries)",
            lambda s: log.entries(s, block, block + 1000),
            _pruned(block, block + 1000, *spans[1000]),
        ),
        Path(
            "entries: 1,000 by leaf index, one agency's",
            lambda s: log.entries(s, block, block + 1000, agency="SBV"),
        ),
        Path(
            "tiles archive: 10,000 bodies (one read of the writer)",
            lambda s: every(database_bodies(s)(block, block + 10_000)),
            _pruned(block, block + 10_000, *spans[10_000]),
        ),
        Path(
            f"verify --database: all {size:,} leaves (COPY)",
            lambda s: sum(1 for _ in DatabaseSource(s).leaves(size)),
            repeat=1,
            sql=verify_statements(size),
        ),
        Path(
            "search: one agency, all time, page 1",
            lambda s: search(s, Filters(agency="SBV"), page=1, per_page=50),
        ),
        Path(
            "search: one agency, last month, page 1",
            lambda s: search(
                s,
                Filters(agency="SBV", since=month, until=month_start(month.year, month.month + 1)),
                page=1,
                per_page=50,
            ),
        ),
        Path(
            "search: one day, page 1",
            lambda s: search(s, Filters(since=day, until=day + timedelta(days=1)), page=1, per_page=50),
        ),
        Path(
            "search: resource=subject:<id>, all time",
            lambda s: search(s, Filters(resource=f"subject:{subject}"), page=1, per_page=50),
        ),
        Path("subject accesses CSV: one subject, all time", lambda s: every(access_rows(s, subject))),
        Path(f"sequencer: one batch of the {PENDING} pending entries", lambda s: log.sequence(s)),
        Path("health: the sequencer's backlog", sequencer_backlog),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--per-month", type=int, default=80_000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shape = Shape(args.months, args.per_month)
    print(f"# audit_entry by month, {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    if args.reload or held(args.url) != shape:
        print(f"loaded in {load(args.url, shape):.0f} s", flush=True)
    else:
        print(f"{args.url} holds {shape.entries:,} entries in {shape.months} months; not reloaded")
    engine = make_engine(args.url)
    with engine.connect() as conn:
        partitions = int(
            conn.execute(
                text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_entry'::regclass")
            ).scalar()
            or 0
        )
    print(
        f"{partitions} partitions of audit_entry (with the DEFAULT one); median of {args.repeat} runs;"
        f" load average {os.getloadavg()[0]:.1f} at the start",
        flush=True,
    )
    for path in paths(engine):
        print(row(measure_path(engine, path, args.repeat), partitions), flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    engine.dispose()


if __name__ == "__main__":
    main()
