"""Audit fixtures: PostgreSQL-only skips, committed throw-away databases, an HTTP client over the app."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from registry.audit.keys import LogKeys
from registry.audit.log import AuditLog
from registry.audit.recorder import AuditEvent, record
from registry.db import make_engine, make_sessionmaker
from registry.fieldcrypt import FieldCipher
from tests.conftest import PG_URL, _admin_execute, alembic_config

DATA_KEY, LOOKUP_KEY = b"d" * 32, b"l" * 32
ORIGIN = "registry.test/audit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set REGISTRY_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def new_log(origin: str = ORIGIN) -> AuditLog:
    return AuditLog(
        origin=origin, keys=LogKeys(name=origin, cipher=FieldCipher(DATA_KEY, LOOKUP_KEY), generate=True)
    )


def event(n: int, **overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "action": "identifier:read",
        "outcome": "allowed",
        "agency": "MOIT-DMS",
        "client_id": "c1",
        "officer": f"officer-{n}",
        "resource_type": "identifier",
        "resource_id": str(n),
        "status_code": 200,
    }
    return AuditEvent(**{**fields, **overrides})


@dataclass
class LiveDb:
    """A migrated database whose commits are real (for the sequencer, the CLI and tampering)."""

    url: str
    engine: Engine
    sessions: sessionmaker
    log: AuditLog
    tmp: Path

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def add(self, count: int, *, sequence_each: bool = True) -> None:
        for n in range(count):
            with self.sessions() as session, session.begin():
                record(session, event(n))
            if sequence_each:
                self.sequence()

    def sequence(self) -> Any:
        with self.sessions() as session, session.begin():
            return self.log.sequence(session)

    def verifier_key(self) -> str:
        with self.sessions() as session, session.begin():
            self.log.keys.signers(session)
            return self.log.keys.verifier_keys(session)[0]

    def tamper(self, *statements: str | tuple[str, dict], tables: tuple[str, ...] = ()) -> None:
        """Change the audit tables as a database administrator could (triggers disabled on PostgreSQL)."""
        with self.engine.begin() as conn:
            if self.postgres:
                for table in tables:
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, {})
                conn.execute(text(sql), params)
            if self.postgres:
                for table in tables:
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER ALL"))

    def env(self) -> dict[str, str]:
        return {
            "REGISTRY_ENV": "testing",
            "REGISTRY_DATABASE_URL": self.url,
            "REGISTRY_VAR_DIR": str(self.tmp),
            "REGISTRY_DATA_KEY": base64.b64encode(DATA_KEY).decode(),
            "REGISTRY_LOOKUP_KEY": base64.b64encode(LOOKUP_KEY).decode(),
            "REGISTRY_AUDIT_ORIGIN": ORIGIN,
        }


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveDb]:
    if PG_URL:
        base, _, name = PG_URL.rpartition("/")
        dbname = f"{name}_audit_{uuid.uuid4().hex[:8]}"
        _admin_execute(f"{base}/postgres", f'CREATE DATABASE "{dbname}"')
        url = f"{base}/{dbname}"
    else:
        url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    command.upgrade(alembic_config(url=url), "heads")
    engine = make_engine(url)
    try:
        yield LiveDb(url, engine, make_sessionmaker(engine), new_log(), tmp_path)
    finally:
        engine.dispose()
        if PG_URL:
            _admin_execute(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


class FlaskHttp:
    """A requests-compatible session backed by the Flask test client (for the CLI's --url commands)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str, params: dict | None = None, headers: dict | None = None, **_: Any) -> Any:
        return _Response(self.client.get(urlsplit(url).path, query_string=params, headers=headers))

    def post(self, url: str, json: Any = None, headers: dict | None = None, **_: Any) -> Any:
        return _Response(self.client.post(urlsplit(url).path, json=json, headers=headers))


class _Response:
    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.text = response.get_data(as_text=True)
        self._response = response

    def json(self) -> Any:
        return self._response.get_json()
