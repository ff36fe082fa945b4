"""Idempotency-Key for submissions: a retried request gets the first answer, never a duplicate record.

The stored answer commits in the same transaction as the record it describes, so either both exist or
neither does. A first attempt claims its key (client, key) before the view runs, by inserting the
record that will hold the answer. A concurrent attempt with the same key then waits on that row: when
the first commits, it replays the first answer; when the first fails (rolled back, nothing stored), it
claims the key and runs as the first. On PostgreSQL the wait is bounded (CLAIM_WAIT_MS): an attempt
whose first is still in flight after it gets a 409 `conflict` saying so, and its retry with the same
key is then a replay.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

from flask import Response, request
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from registry.api.context import audit_detail, caller, db
from registry.errors import Conflict, ValidationFailed
from registry.messages import msg
from registry.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{8,200}$")
CLAIM_WAIT_MS = 10_000  # how long an attempt waits for a concurrent first attempt with its key
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ends the wait


def doc_parameter(required: bool) -> dict[str, Any]:
    """The header as the OpenAPI document describes it."""
    return {
        "in": "header",
        "name": HEADER,
        "required": required,
        "schema": {"type": "string", "minLength": 8, "maxLength": 200},
        "description": "A unique key per submission (e.g. a UUID); a retry with the same key and body "
        "returns the first answer with `Idempotent-Replayed: true`. A retry sent while the first is "
        f"still running waits for it (up to {CLAIM_WAIT_MS // 1000} s, then a 409 saying so)."
        + ("" if required else " Optional here: without it, every request creates a record."),
    }


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def idempotent(view: Callable, *, required: bool = True) -> Callable:
    """Use as `@blp.idempotent` (or `@blp.idempotent_if_keyed` when the header is optional), between
    `@blp.access(...)` and `@blp.arguments(...)`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "")
        if not key and not required:
            return view(*args, **kwargs)
        if not _KEY.match(key):
            raise ValidationFailed(
                msg(
                    "Submissions need an {header} header (8-200 printable characters, e.g. a UUID).",
                    header=HEADER,
                ),
                errors={HEADER: ["missing or invalid"]},
            )
        digest = _request_hash()
        record, claimed = _claim(db(), caller().client_id, key, digest)
        if not claimed:
            if record.request_hash != digest:
                raise Conflict(msg("This {header} was already used for a different request.", header=HEADER))
            audit_detail(idempotent_replay=True)
            replay = Response(record.body, status=record.status_code, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code < 400:
            record.status_code, record.body = response.status_code, response.get_data()
            db().flush()
        else:  # an error answer rolls the claim back with everything else; never store a placeholder
            db().delete(record)
        return response

    return wrapper


def _claim(session: Session, client_id: str, key: str, digest: str) -> tuple[IdempotencyRecord, bool]:
    """The stored answer for the key (False), or a new record claiming it for this request (True).

    The claim is inserted on a savepoint with an empty answer, filled in before the commit: no other
    transaction ever reads it empty. A concurrent first attempt's claim makes this insert wait for that
    transaction; once it commits, the insert fails and its answer is read (read committed)."""
    stored = _stored(session, client_id, key)
    if stored is not None:
        return stored, False
    claim = IdempotencyRecord(client_id=client_id, key=key, request_hash=digest, status_code=0, body=b"")
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        with session.begin_nested():
            if postgres:  # only for this insert: back to the default once it is in
                session.execute(text(f"SET LOCAL lock_timeout = '{CLAIM_WAIT_MS}ms'"))
            session.add(claim)
            session.flush()
            if postgres:
                session.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
    except IntegrityError:
        stored = _stored(session, client_id, key)
        if stored is None:
            raise
        return stored, False
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise Conflict(
            msg(
                "A request with this {header} is still in progress; retry it with the same key to get its "
                "answer.",
                header=HEADER,
            )
        ) from None
    return claim, True


def _stored(session: Session, client_id: str, key: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, (client_id, key), populate_existing=True)
