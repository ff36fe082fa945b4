"""Replay refusal for client assertions (private_key_jwt, jwt-bearer): each `jti` is accepted once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.models.auth import UsedAssertion


def consume(session: Session, *, client_id: str, jti: str, expires_at: int) -> bool:
    """Record the assertion id; False if the client has used it before."""
    key = hashlib.sha256(f"{client_id}\x00{jti}".encode()).hexdigest()
    if session.scalar(select(UsedAssertion.key).where(UsedAssertion.key == key)) is not None:
        return False
    try:
        with session.begin_nested():  # a concurrent request with the same jti loses on the primary key
            session.add(
                UsedAssertion(
                    key=key, client_id=client_id, expires_at=datetime.fromtimestamp(expires_at, UTC)
                )
            )
    except IntegrityError:
        return False
    return True


def purge_expired(session: Session) -> int:
    """Forget assertion ids that have expired: their assertions are refused on `exp` anyway."""
    result = session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
