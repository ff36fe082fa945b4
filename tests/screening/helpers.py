"""The screening, match, graph and search tests: addresses, SQL counting, audit bodies (their data is
built with the HTTP factories of tests/factories.py)."""

from __future__ import annotations

import json
from contextlib import contextmanager

from sqlalchemy import event, select

from registry.audit.models import AuditEntry

SUBJECTS = "/api/v1/subjects"
SCREENINGS = "/api/v1/screenings"
MATCH = "/api/v1/identifiers/match"


@contextmanager
def counting(engine):
    """Collects the SQL statements run while the block runs."""
    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def audit_entries(db, action: str) -> list[dict]:
    """The audit entries of an action, as the canonical JSON bodies that were hashed into the log."""
    rows = db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    return [json.loads(row.body) for row in rows]
