"""Idempotency-Key for submissions: a retried request gets the first answer, never a duplicate record.

The stored answer commits in the same transaction as the record it describes, so either both exist or
neither does. Two concurrent first attempts with one key collide on the primary key; the loser is
told to retry (and its retry is then a replay).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

from flask import Response, request
from sqlalchemy.exc import IntegrityError

from registry.api.context import audit_detail, caller, db
from registry.errors import Conflict, ValidationFailed
from registry.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{8,200}$")


def doc_parameter(required: bool) -> dict[str, Any]:
    """The header as the OpenAPI document describes it."""
    return {
        "in": "header",
        "name": HEADER,
        "required": required,
        "schema": {"type": "string", "minLength": 8, "maxLength": 200},
        "description": "A unique key per submission (e.g. a UUID); a retry with the same key and body "
        "returns the first answer with `Idempotent-Replayed: true`."
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
                f"Submissions need an {HEADER} header (8-200 printable characters, e.g. a UUID).",
                errors={HEADER: ["missing or invalid"]},
            )
        client_id = caller().client_id
        digest = _request_hash()
        stored = db().get(IdempotencyRecord, (client_id, key))
        if stored is not None:
            if stored.request_hash != digest:
                raise Conflict(f"This {HEADER} was already used for a different request.")
            audit_detail(idempotent_replay=True)
            replay = Response(stored.body, status=stored.status_code, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code < 400:
            try:
                with db().begin_nested():
                    db().add(
                        IdempotencyRecord(
                            client_id=client_id,
                            key=key,
                            request_hash=digest,
                            status_code=response.status_code,
                            body=response.get_data(),
                        )
                    )
            except IntegrityError:
                raise Conflict(f"Another request with this {HEADER} is in progress; retry it.") from None
        return response

    return wrapper
