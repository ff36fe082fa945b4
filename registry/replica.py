"""Read-only queries on a streaming replica (`REGISTRY_READ_DATABASE_URL`).

Only the requests whose view is marked `api.context.replica_reads` (lists, histories, searches,
the public check and list) may read from the replica, and in them only what `Replica.answers` allows:
a SELECT that names none of the tables in PRIMARY_ONLY, issued outside a flush. Everything else goes to
the primary: the audit entry (a Core insert on `session.connection()`, which has no statement to
route), every INSERT, UPDATE and DELETE, `SELECT ... FOR UPDATE`, text statements (their tables are not
known) and the access checks. The access checks must never lag: a token revoked, a client disabled or
an agency retired a moment ago on the primary would still pass on a replica that has not replayed it.

A replica may be behind. `Replica.status` asks it once a second per process how far (the time since the
last transaction it replayed, when WAL waits to be replayed; 0 when it has replayed all it received)
and which WAL position it has replayed. Reads go to the primary instead when the replica does not
answer, is more than `REGISTRY_READ_MAX_LAG` seconds behind, or has not replayed the position the
caller says it wrote at (`X-Registry-Position`, read-your-writes; see api.context).

No Flask here: the request machinery (api.context) decides which session may use it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CompoundSelect, Engine, Select, Table, text
from sqlalchemy.sql import visitors

from registry.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf, AuditSigningKey, AuditWitness
from registry.db import make_engine
from registry.models import AccessGeneration, Agency, OAuthClient, RevokedToken, SigningKey
from registry.models.auth import ClientKey, UsedAssertion
from registry.models.idempotency import IdempotencyRecord

# Tables a replica never answers for. The access rows (registry.generation.WATCHED and what the token
# checks read besides): a revocation must count at once. The audit log: its reads sequence what is
# committed first, on the primary (api.audit, `writes_on_read`). Idempotency records: a retry must find
# the first attempt's record even a moment after it committed.
PRIMARY_ONLY: frozenset[str] = frozenset(
    model.__tablename__
    for model in (
        Agency,
        OAuthClient,
        SigningKey,
        RevokedToken,
        AccessGeneration,
        ClientKey,
        UsedAssertion,
        IdempotencyRecord,
        AuditEntry,
        AuditLeaf,
        AuditCheckpoint,
        AuditSigningKey,
        AuditWitness,
    )
)
REPLICA_CONNECT_TIMEOUT = 2  # seconds
STATUS_SECONDS = 1.0  # how long one answer of the replica about its lag is reused by a process

# Asked of the replica: whether it is one, the WAL position it has replayed, and how far behind it is.
# Behind: WAL received and not replayed yet (replay paused or slow); then the time since the last
# transaction it replayed. With nothing waiting it is as current as its WAL receiver: 0.
_STATUS = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
    "CASE WHEN pg_last_wal_receive_lsn() IS NULL "
    "  OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0) END"
)


def parse_lsn(value: str) -> int | None:
    """A WAL position as PostgreSQL writes it (`16/B374D848`) as a number; None if it is not one."""
    high, sep, low = value.strip().partition("/")
    if not sep or not 1 <= len(high) <= 8 or not 1 <= len(low) <= 8:
        return None
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def format_lsn(position: int) -> str:
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


@dataclass(frozen=True)
class ReplicaStatus:
    reachable: bool
    lag_seconds: float | None = None  # None: not reachable
    replayed: int | None = None  # the WAL position replayed; None for a server not in recovery


class Replica:
    """The replica's engine (autocommit: every statement its own snapshot) and what it is fit for."""

    def __init__(self, url: str, *, max_lag: float) -> None:
        # Connections are checked as they leave the pool: a replica that went away sends reads to the
        # primary (its status turns unreachable) rather than failing requests.
        # Two seconds to connect (the URL's own `connect_timeout` wins): a replica host that drops
        # packets holds the one request a second that asks its status, not every request.
        engine = make_engine(url, pre_ping=True, connect_args={"connect_timeout": REPLICA_CONNECT_TIMEOUT})
        self.engine: Engine = engine.execution_options(isolation_level="AUTOCOMMIT", postgresql_readonly=True)
        self.max_lag = max_lag
        self._lock = threading.Lock()
        self._status = ReplicaStatus(reachable=False)
        self._checked_at = -1e9

    def status(self) -> ReplicaStatus:
        """How far behind the replica is, asked at most once every STATUS_SECONDS by this process."""
        with self._lock:
            if time.monotonic() - self._checked_at < STATUS_SECONDS:
                return self._status
            self._checked_at = time.monotonic()
        found = self._ask()
        with self._lock:
            self._status = found
        return found

    def _ask(self) -> ReplicaStatus:
        try:
            with self.engine.connect() as connection:
                recovering, replayed, lag = connection.execute(_STATUS).one()
        except Exception as exc:  # whatever failed, reads go to the primary meanwhile
            # The class only: a driver's message may name the host or the user.
            logging.getLogger(__name__).warning("replica: status check failed (%s)", type(exc).__name__)
            return ReplicaStatus(reachable=False)
        if not recovering:  # promoted (or the primary's own URL): as current as it gets
            return ReplicaStatus(reachable=True, lag_seconds=0.0)
        return ReplicaStatus(
            reachable=True,
            lag_seconds=max(0.0, float(lag or 0)),
            replayed=parse_lsn(replayed) if replayed else None,
        )

    def usable(self, after: int | None = None) -> bool:
        """Whether a request may read here: reachable, within REGISTRY_READ_MAX_LAG, and replayed at
        least to `after` (the position the caller's own write committed at)."""
        found = self.status()
        if not found.reachable or found.lag_seconds is None or found.lag_seconds > self.max_lag:
            return False
        return after is None or found.replayed is None or found.replayed >= after

    @staticmethod
    def answers(clause: Any) -> bool:
        """Whether this statement may run on the replica: a SELECT (not FOR UPDATE) of no PRIMARY_ONLY
        table, subqueries included."""
        if not isinstance(clause, Select | CompoundSelect):
            return False
        if isinstance(clause, Select) and clause._for_update_arg is not None:
            return False
        for element in visitors.iterate(clause):
            if isinstance(element, Table) and element.name in PRIMARY_ONLY:
                return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
