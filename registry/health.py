"""What `/readyz` and the start-up check look at: the schema's revision, the database, the audit
sequencer's backlog and the rate limits' Redis. Plain functions over an engine or a session (no Flask).

The schema: alembic's current revision of the database must be the migrations' head. The head is read
from migrations/ once per process (`script_heads`); the database's revision is one SELECT on
`alembic_version`.

The sequencer has no heartbeat or lease of its own: it signs a checkpoint only when entries arrive
(registry/audit/sequencer.py), so an idle log's last checkpoint may be old and all is well. What shows
that it is alive is the backlog: committed entries with no leaf yet. Each sequencer pass (every second,
deploy/registry-audit-sequencer.service) takes all of them, so the oldest one waiting longer than
`Settings.sequencer_max_lag` seconds means no sequencer is working (stopped, or refusing to sign).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, and_, exists, func, inspect, select, text
from sqlalchemy.orm import Session

from registry.audit.models import AuditEntry, AuditLeaf
from registry.audit.sequencer import latest_checkpoint
from registry.config import ConfigError, Settings
from registry.db import utcnow

ROOT = Path(__file__).resolve().parent.parent
STATEMENT_TIMEOUT_MS = 2000  # PostgreSQL: the longest a readiness statement may run
UPGRADE_COMMAND = "registry db upgrade"

log = logging.getLogger(__name__)


def alembic_config(database_url: str | None = None) -> Config:
    """The migrations' alembic configuration (the CLI's `registry db ...` and the checks here)."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


@functools.cache
def script_heads() -> tuple[str, ...]:
    """The head revision(s) of migrations/, read once per process (the scripts do not change under it)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def database_heads(connection: Connection) -> tuple[str, ...]:
    """The database's current revision(s) per alembic_version; () for a database never migrated.
    (What alembic's MigrationContext.get_current_heads reads, without its log lines on every poll.)"""
    if not inspect(connection).has_table("alembic_version"):
        return ()
    return tuple(sorted(connection.scalars(text("SELECT version_num FROM alembic_version"))))


def _named(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) if revisions else "none (never migrated)"


def schema_mismatch(current: tuple[str, ...], heads: tuple[str, ...]) -> str | None:
    """Why the schema is not the one this code was written for; None when it is."""
    if set(current) == set(heads):
        return None
    return (
        f"the database schema is at revision {_named(current)}, but this registry's migrations end at "
        f"{_named(heads)}; run `{UPGRADE_COMMAND}` (as the schema's owner role) before starting the registry"
    )


def _sqlite_file_missing(url: str) -> bool:
    """A SQLite database file that does not exist yet (connecting would create an empty one)."""
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return False
    return not Path(url.removeprefix("sqlite:///").split("?", 1)[0]).exists()


def _sqlite_heads(engine: Engine) -> tuple[str, ...]:
    """database_heads on SQLite without a transaction: the engine begins each one IMMEDIATE (db.py),
    which would wait for, and then fail on, a writer holding the database."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        if cursor.fetchone() is None:
            return ()
        cursor.execute("SELECT version_num FROM alembic_version")
        return tuple(sorted(row[0] for row in cursor.fetchall()))
    finally:
        raw.close()


def check_schema_at_start(settings: Settings, engine: Engine) -> None:
    """Production refuses to run on a schema that is not at the migrations' head (ConfigError naming
    both revisions and `registry db upgrade`); development and testing say so in the log and go on."""
    heads = script_heads()
    try:
        if _sqlite_file_missing(settings.database_url):
            current: tuple[str, ...] = ()
        elif engine.dialect.name == "sqlite":
            current = _sqlite_heads(engine)
        else:
            with engine.connect() as connection:
                current = database_heads(connection)
    except Exception as exc:
        problem = (
            f"the database schema could not be checked ({type(exc).__name__}): does the database answer "
            "at REGISTRY_DATABASE_URL?"
        )
        if settings.production:
            refused = f"{problem} Production does not start unchecked."
            raise ConfigError(refused[0].upper() + refused[1:]) from exc
        log.warning("%s", problem)
        return
    mismatch = schema_mismatch(current, heads)
    if mismatch is None:
        return
    if settings.production:
        raise ConfigError(mismatch[0].upper() + mismatch[1:])
    log.warning("%s", mismatch)


@dataclass(frozen=True)
class Backlog:
    oldest: datetime | None  # when the oldest entry still waiting for its leaf was recorded
    waiting: int  # how many wait, counted up to BACKLOG_COUNT_LIMIT


BACKLOG_COUNT_LIMIT = 10_000


def sequencer_backlog(session: Session) -> Backlog:
    """The audit entries committed but not yet sequenced, looked for as the sequencer looks for them
    (PostgreSQL: from the last checkpoint's transaction horizon on; SQLite: after the last sequenced id)."""
    waiting = ~exists().where(AuditLeaf.entry_id == AuditEntry.id)
    if session.get_bind().dialect.name == "postgresql":
        previous = latest_checkpoint(session)
        floor = previous.xact_floor if previous is not None else None
        condition = waiting if floor is None else and_(AuditEntry.xact >= floor, waiting)
    else:
        last = session.scalar(select(func.max(AuditLeaf.entry_id)))
        condition = waiting if last is None else and_(AuditEntry.id > last, waiting)
    pending = select(AuditEntry.id, AuditEntry.occurred_at).where(condition)
    oldest = session.execute(pending.order_by(AuditEntry.id).limit(1)).first()
    if oldest is None:
        return Backlog(None, 0)
    count = session.scalar(select(func.count()).select_from(pending.limit(BACKLOG_COUNT_LIMIT).subquery()))
    return Backlog(oldest.occurred_at, int(count or 0))


def bound_statements(session: Session) -> None:
    """PostgreSQL: no statement of this transaction runs longer than STATEMENT_TIMEOUT_MS."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))


def lag_seconds(backlog: Backlog) -> float:
    return 0.0 if backlog.oldest is None else max(0.0, (utcnow() - backlog.oldest).total_seconds())
