"""Screening jobs: lists too long to answer in one request, screened in the background."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, created_at, utcnow, uuid_pk


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ScreeningJob(Base):
    """One submitted list; visible only to the submitting agency. The answer is kept encrypted."""

    __tablename__ = "screening_job"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("processed >= 0 AND processed <= total", name="progress"),
    )

    id: Mapped[uuid_pk]
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    officer: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    total: Mapped[int]
    processed: Mapped[int] = mapped_column(default=0)
    matches: Mapped[int | None]
    list_sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the keyed-hash list")
    result_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="AES-GCM of the zlib-compressed JSON answer"
    )
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None] = mapped_column(
        default=utcnow, onupdate=utcnow, comment="last progress; a job silent too long was interrupted"
    )
    finished_at: Mapped[datetime | None]


__all__ = ["JobStatus", "ScreeningJob"]
