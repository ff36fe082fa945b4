"""Partner exports: a STIX 2.1 bundle of everything a partner may receive, built by the job queue
(registry/jobs.py) in parts, so that a national-scale export neither holds a web worker nor starts again
from nothing when its worker stops. Each part's objects are kept as they are done; the bundle is
streamed from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, JSONType, created_at, utcnow, uuid_pk
from registry.models.screening import JobStatus

# STIX ids are ordered byte by byte, as Python orders them (the live export's order): PostgreSQL's
# default collation would order "identity--" and "indicator--" by its own rules.
StixId = String(120).with_variant(String(120, collation="C"), "postgresql")


class ExchangeExport(Base):
    """One requested export; visible only to the requesting agency, kept EXPORT_KEPT after it ends."""

    __tablename__ = "exchange_export"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        CheckConstraint("phase IN ('count', 'identifiers', 'cases', 'blocks', 'done')", name="phase"),
    )

    id: Mapped[uuid_pk]
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    caller: Mapped[dict[str, Any]] = mapped_column(
        JSONType, comment="the requesting client as the job sees it: agency, scopes, officer"
    )
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    since: Mapped[datetime | None] = mapped_column(comment="only objects modified after it")
    as_of: Mapped[datetime] = mapped_column(comment="the instant whose blocks in effect are exported")
    phase: Mapped[str] = mapped_column(String(16), default="count")
    cursor: Mapped[str | None] = mapped_column(String(120), comment="the last record done in the phase")
    total: Mapped[int | None] = mapped_column(comment="records to go through, once counted")
    processed: Mapped[int] = mapped_column(default=0)
    objects: Mapped[int] = mapped_column(default=0)
    bundle_id: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None] = mapped_column(
        default=utcnow, onupdate=utcnow, comment="last progress; a job silent too long was interrupted"
    )
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, comment="runs started; a resumed job counts again")


class ExchangeExportObject(Base):
    """One STIX object of an export, serialised as the bundle carries it."""

    __tablename__ = "exchange_export_object"
    __table_args__ = (Index("ix_exchange_export_object_order", "export_id", "modified", "stix_id"),)

    export_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exchange_export.id", ondelete="CASCADE"), primary_key=True
    )
    stix_id: Mapped[str] = mapped_column(StixId, primary_key=True)
    modified: Mapped[datetime] = mapped_column(comment="the bundle's order: modified, then id")
    subject_id: Mapped[uuid.UUID | None] = mapped_column(comment="a seller's identity: the seller")
    body: Mapped[str] = mapped_column(Text)


__all__ = ["ExchangeExport", "ExchangeExportObject"]
