"""What every workflow record shares: a state, a version for optimistic locking, and its transitions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from registry.db import Base, created_at


class WorkflowRecord:
    """Mixin: `state`, and `version` which SQLAlchemy checks on every UPDATE (a stale write fails)."""

    state: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(default=1)
    state_due_at: Mapped[datetime | None] = mapped_column(comment="deadline of the current step")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class WorkflowTransition(Base):
    """One row per transition of any workflow record: who, when, why, and the document if any."""

    __tablename__ = "workflow_transition"
    __table_args__ = (Index("ix_workflow_transition_record", "record_type", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    client_id: Mapped[str | None] = mapped_column(String(64))
    officer: Mapped[str | None] = mapped_column(String(200), comment="sub of the officer who acted")
    reason: Mapped[str | None] = mapped_column(Text)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decision.id"))
    detail: Mapped[str | None] = mapped_column(Text, comment="JSON facts of the step, e.g. executor reply")
    at: Mapped[created_at]
