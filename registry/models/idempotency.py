"""Responses to submissions made with an Idempotency-Key, replayed when the client retries."""

from __future__ import annotations

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, created_at


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), comment="SHA-256 of method, path and body")
    status_code: Mapped[int]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created_at]
