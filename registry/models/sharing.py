"""Visibility of shared records: fixed at creation, changed only by the owner, every change recorded."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from registry.db import Base, JSONType, created_at


class Visibility(enum.StrEnum):
    OWNER = "owner"  # the owner agency only
    NAMED = "named"  # the owner and the agencies named in `record_share`
    STATE = "state"  # every state agency
    PUBLIC = "public"  # everyone, associations included


class SharedRecord:
    """Mixin for records that carry an owner agency and a visibility."""

    record_type: str  # set by each model; the key used in record_share and visibility_change

    @declared_attr
    def owner_agency_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("agency.id"), index=True)

    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.STATE)


class RecordShare(Base):
    """The agencies a NAMED record is shared with."""

    __tablename__ = "record_share"

    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True, index=True)


class VisibilityChange(Base):
    __tablename__ = "visibility_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    changed_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    changed_by: Mapped[str] = mapped_column(String(200), comment="officer sub, or the client id")
    old_visibility: Mapped[str] = mapped_column(String(16))
    new_visibility: Mapped[str] = mapped_column(String(16))
    old_shared_with: Mapped[list[str]] = mapped_column(JSONType, default=list)
    new_shared_with: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(String(1000))
    changed_at: Mapped[created_at]


__all__ = ["RecordShare", "SharedRecord", "Visibility", "VisibilityChange"]
