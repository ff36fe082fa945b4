"""Audit log rows. `body` holds the exact canonical bytes that were hashed into the Merkle tree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_unsequenced", "id", postgresql_where="leaf_index IS NULL"),
        Index("ix_audit_entry_agency_time", "agency", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, unique=True, comment="set by the sequencer")
    body: Mapped[bytes] = mapped_column(LargeBinary, comment="RFC 8785 canonical JSON, as hashed")
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), comment="SHA-256(0x00 || body)")
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    agency: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(64), index=True)
    officer: Mapped[str | None] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    resource_type: Mapped[str | None] = mapped_column(String(50))
    resource_id: Mapped[str | None] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(16), comment="allowed / denied / error")
    status_code: Mapped[int | None]
    purpose: Mapped[str | None] = mapped_column(String(300))
    request_id: Mapped[str | None] = mapped_column(String(64))
