"""Declarative base, column types shared by every model, and engine/session construction."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Engine, MetaData, String, Uuid, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from registry.identifiers import collation

# Stable constraint names, so Alembic autogenerate and downgrades name the same objects on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both databases (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")

uuid_pk = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True, default=uuid.uuid4)]
created_at = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
vnd = Annotated[int, mapped_column(BigInteger, nullable=False, default=0)]
code = Annotated[str, mapped_column(String(64))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        uuid.UUID: Uuid,
    }


CONNECT_TIMEOUT = 5  # seconds to connect to PostgreSQL (`?connect_timeout=` in the URL overrides it)


def make_engine(url: str, *, pre_ping: bool = True, **kwargs: Any) -> Engine:
    """An engine whose transactions behave the same on SQLite as on PostgreSQL.

    `pre_ping` checks each PostgreSQL connection with a round trip when it leaves the pool. The API
    turns it off (one round trip less on every request): a connection that died (a restarted server)
    fails its request with a 503 instead, and the pool drops every connection as old as it
    (api.problems.from_database_error)."""
    # An error's text (a log line, a command's error message) names the statement, never its values:
    # they may be a personal ID, an account number or a secret.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; take it over.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # Vietnamese alphabetical order (PostgreSQL has ICU's): identifiers.collation.by_name.
            dbapi_connection.create_collation(collation.SQLITE, collation.compare)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if "connect_timeout=" not in url:
        # libpq waits for ever by default: a database host that drops packets would hold a request past
        # gunicorn's timeout, and /readyz past its load balancer's. The URL's own value wins.
        connect_args = dict(kwargs.pop("connect_args", None) or {})
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT)
        kwargs["connect_args"] = connect_args
    return create_engine(url, pool_pre_ping=pre_ping, **kwargs)


class WriteInRead(RuntimeError):
    """A read request (GET) tried to write: reads do not write, and on PostgreSQL they autocommit."""


_READ_ONLY = "registry.read_only"


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise WriteInRead("a read request may write nothing but its audit entry")


def forbid_writes(session: Session) -> None:
    """Refuse any ORM write in this session (the audit entry is a Core insert, not a flush)."""
    session.info[_READ_ONLY] = True


_REPLICA = "registry.replica"


class RoutingSession(Session):
    """A session that may send some SELECTs to a streaming replica (SQLAlchemy's "custom vertical
    partitioning": a Session subclass overriding get_bind).

    Only when `read_from_replica` gave it one (api.context does for a read request whose view is
    marked `replica_reads`); then each statement the replica `answers` (registry.replica: a SELECT of
    no access or audit table) goes there, outside a flush. Everything else, and every statement of a
    session never given a replica, goes to the session's own bind, the primary: without
    `REGISTRY_READ_DATABASE_URL` this is a plain Session."""

    def get_bind(self, mapper: Any = None, *, clause: Any = None, **kw: Any) -> Any:
        replica = self.info.get(_REPLICA)
        if replica is not None and clause is not None and not self._flushing and replica.answers(clause):
            return replica.engine
        return super().get_bind(mapper, clause=clause, **kw)


def read_from_replica(session: Session, replica: Any) -> None:
    """Let `session` send what `replica.answers` to `replica.engine` (registry.replica.Replica)."""
    session.info[_REPLICA] = replica


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, class_=RoutingSession, expire_on_commit=False, autoflush=True)


# Indexes on an expression (e.g. a collation), by name: checked by their definition in the catalogue.
EXPRESSION_INDEXES = {"ix_subject_name_vi"}


# Tables the models do not declare one by one: audit_entry's monthly partitions on PostgreSQL (and its
# DEFAULT one), made by migration 0027 and `registry audit partitions` (registry.audit.partitions).
UNMODELLED_TABLES = re.compile(r"audit_entry_(y\d{4}m\d{2}|default)")


def for_dialect(dialect_name: str) -> Any:
    """Alembic `include_object`: leave out schema objects meant for another database (info["dialect"])."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and reflected and name and UNMODELLED_TABLES.fullmatch(name):
            return False
        if type_ == "index" and name in EXPRESSION_INDEXES:
            return False  # alembic cannot compare an index on an expression; tests/test_migrations.py does
        wanted = (getattr(obj, "info", None) or {}).get("dialect")
        return wanted is None or wanted == dialect_name

    return include
