"""Audit tests: a database whose commits are real, and an HTTP session over the Flask test client."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from registry.audit.log import AuditLog
from registry.audit.recorder import record
from tests.factories import AUDIT_ORIGIN, DATA_KEY, LOOKUP_KEY, audit_event


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
                record(session, audit_event(n))
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
            "REGISTRY_AUDIT_ORIGIN": AUDIT_ORIGIN,
        }


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
