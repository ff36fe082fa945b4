"""Screening jobs: lists too long to answer in one request, screened in the background by the job queue
(registry/jobs.py). A job keeps its list (encrypted) and each part's answer as it is done, so that a
worker stopped halfway is followed by one that goes on from the last part done."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, JSONType, created_at, utcnow, uuid_pk


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
    items_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="AES-GCM of the zlib-compressed JSON list; kept until the job ends"
    )
    caller: Mapped[dict[str, Any] | None] = mapped_column(
        JSONType, comment="the submitting client as the job sees it: agency, scopes, officer"
    )
    attempts: Mapped[int] = mapped_column(default=0, comment="runs started; a resumed job counts again")


class ScreeningJobPart(Base):
    """One part of a job's answer (MAX_ITEMS items from `start`), kept until the job ends."""

    __tablename__ = "screening_job_part"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("screening_job.id", ondelete="CASCADE"), primary_key=True
    )
    start: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int]
    matches: Mapped[int]
    sealed: Mapped[bytes] = mapped_column(
        LargeBinary, comment="AES-GCM of the zlib-compressed JSON results and list elements"
    )


__all__ = ["JobStatus", "ScreeningJob", "ScreeningJobPart"]
