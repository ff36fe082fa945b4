"""Building registry data through the API for the screening, match, graph and search tests."""

from __future__ import annotations

import json
from contextlib import contextmanager

from sqlalchemy import event, select

from registry.audit.models import AuditEntry

SUBJECTS = "/api/v1/subjects"
SCREENINGS = "/api/v1/screenings"
MATCH = "/api/v1/identifiers/match"


def subject(client, headers, name="Công ty TNHH Mỹ phẩm Đức Anh", **fields) -> dict:
    body = {"kind": "organisation", "name": name, **fields}
    response = client.post(SUBJECTS, json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def link(client, headers, subject_id, kind, value, **fields) -> dict:
    body = {"subject_id": subject_id, "source": "inspection", "identifier": {"kind": kind, "value": value}}
    response = client.post("/api/v1/links", json={**body, **fields}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def violation(client, headers, subject_ids, identifier_ids=(), **fields) -> dict:
    body = {
        "subjects": list(subject_ids),
        "identifiers": list(identifier_ids),
        "categories": ["COUNTERFEIT"],
        "goods_groups": ["cosmetics"],
        "summary": "Bán hàng giả",
        "detected_at": "2026-10-01T08:00:00+07:00",
        **fields,
    }
    response = client.post("/api/v1/violations", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


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
