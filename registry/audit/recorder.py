"""Writing audit entries, in the caller's transaction so an entry commits or rolls back with its work."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from sqlalchemy.orm import Session

from registry.audit.models import AuditEntry
from registry.db import utcnow

OUTCOMES = ("allowed", "denied", "error")


@dataclass(frozen=True)
class AuditEvent:
    action: str  # e.g. "subject:read", "token:issue", "block_request:approve"
    outcome: str
    agency: str | None = None
    client_id: str | None = None
    officer: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    purpose: str | None = None
    request_id: str | None = None
    status_code: int | None = None
    change_hash: str | None = None
    detail: dict[str, Any] | None = None  # extra facts; never secrets or sensitive values in clear
    method: str | None = None  # the HTTP method and path (never the query string: it may hold values)
    path: str | None = None
    # Subjects the answer reached besides the resource (search results, holders, matches, graph nodes);
    # sorted ids. `record` copies them to audit_entry.subjects for `resource=subject:<id>`.
    subjects: tuple[str, ...] | None = None
    revealed: bool | None = None  # True: the answer showed sensitive values in full (?sensitive=true)


# The searchable columns of `audit_entry` copied from the event (so from the signed body) by `record`.
# `GET /audit/search` answers from them, so each must be what the body says: PostgreSQL's constraint
# `ck_audit_entry_signed` holds them (with `subjects`) to it; on SQLite the verifier compares every row.
EVENT_COLUMNS = (
    "agency",
    "client_id",
    "officer",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "status_code",
    "purpose",
    "request_id",
)
SIGNED_COLUMNS = ("occurred_at", *EVENT_COLUMNS)  # occurred_at is the body's "time"


def body_time(occurred_at: datetime) -> str:
    return occurred_at.isoformat().replace("+00:00", "Z")


_BODY_KEYS = ("time", *EVENT_COLUMNS)  # the body's key for each of SIGNED_COLUMNS, in order


def signed_columns(body: bytes) -> tuple[Any, ...]:
    """What SIGNED_COLUMNS must hold, in order, for an entry of this body (occurred_at as `body_time`)."""
    return tuple(map(json.loads(body).get, _BODY_KEYS))


def canonical_body(event: AuditEvent, occurred_at: datetime) -> bytes:
    # vars(), not asdict(): asdict deep-copies every value, and this runs on every request.
    fields = {key: value for key, value in vars(event).items() if value is not None}
    if event.subjects is not None:
        fields["subjects"] = list(event.subjects)
    fields["v"] = 1
    fields["time"] = body_time(occurred_at)
    return rfc8785.dumps(fields)


def change_hash(payload: Any) -> str:
    """A hash of what a write changed, so the log commits to it without holding the data itself."""
    return hashlib.sha256(rfc8785.dumps(payload)).hexdigest()


_INSERT = AuditEntry.__table__.insert()  # type: ignore[attr-defined]  # a Table, typed as FromClause


def record(session: Session, event: AuditEvent) -> int:
    """Insert the entry in the session's transaction and return its id.

    A Core insert on the session's connection: no unit of work and no ORM execution layer, which cost a
    fifth of this function on every request. Pending ORM changes are flushed by the commit, in the
    same transaction. One statement with the subjects the answer reached, so it commits whole even
    where the session runs in autocommit (reads on PostgreSQL: api.context.db)."""
    if event.outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {event.outcome!r}")
    occurred_at = utcnow()
    body = canonical_body(event, occurred_at)
    result = session.connection().execute(
        _INSERT,
        {
            "body": body,
            "leaf_hash": hashlib.sha256(b"\x00" + body).digest(),
            "occurred_at": occurred_at,
            "agency": event.agency,
            "client_id": event.client_id,
            "officer": event.officer,
            "action": event.action,
            "resource_type": event.resource_type,
            "resource_id": event.resource_id,
            "outcome": event.outcome,
            "status_code": event.status_code,
            "purpose": event.purpose,
            "request_id": event.request_id,
            "subjects": list(event.subjects) if event.subjects is not None else None,
        },
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
