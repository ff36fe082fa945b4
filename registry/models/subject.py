"""Subjects (violators), the identifiers known about them, and the links between the two."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, JSONType, created_at, utcnow, uuid_pk
from registry.models.sharing import SharedRecord


class SubjectKind(enum.StrEnum):
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


class LinkSource(enum.StrEnum):
    DECISION = "decision"
    INSPECTION = "inspection"
    TIP = "tip"
    PLATFORM_DATA = "platform_data"


class Subject(SharedRecord, Base):
    __tablename__ = "subject"
    __table_args__ = (
        CheckConstraint("kind IN ('organisation', 'individual')", name="kind"),
        # Name search (services/search.py, migration 0012): exact names oldest first; on PostgreSQL names
        # containing the query nearest first (KNN on the trigram GiST index); SQLite scans the column.
        Index("ix_subject_name_folded_created_at", "name_folded", "created_at", "id"),
        Index(
            "ix_subject_name_folded_gist",
            "name_folded",
            postgresql_using="gist",
            postgresql_ops={"name_folded": "gist_trgm_ops(siglen=32)"},
            info={"dialect": "postgresql"},
        ).ddl_if(dialect="postgresql"),
        Index("ix_subject_created_at_id", "created_at", "id"),  # the list's order (migration 0014)
        # The list by name in Vietnamese order (identifiers.collation, migration 0021); SQLite sorts.
        Index(
            "ix_subject_name_vi",
            text('name COLLATE "vi-x-icu"'),
            "id",
            info={"dialect": "postgresql"},
        ).ddl_if(dialect="postgresql"),
    )
    record_type = "subject"

    id: Mapped[uuid_pk]
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(500), comment="NFC")
    name_folded: Mapped[str] = mapped_column(String(500), comment="search key: no marks, đ->d")
    tax_code: Mapped[str | None] = mapped_column(String(14), index=True)
    personal_id_enc: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM")
    personal_id_hash: Mapped[str | None] = mapped_column(String(64), index=True, comment="HMAC-SHA-256")
    business_registration: Mapped[str | None] = mapped_column(String(64))
    addresses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    province: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    links: Mapped[list[Link]] = relationship(back_populates="subject", order_by="Link.first_seen")


class Identifier(Base):
    """A canonical identifier; shared fact, deduplicated on (kind, keyed hash of the canonical value)."""

    __tablename__ = "identifier"
    __table_args__ = (
        UniqueConstraint("kind", "value_hash"),
        Index("ix_identifier_created_at_id", "created_at", "id"),  # the list's order (migration 0014)
    )

    id: Mapped[uuid_pk]
    kind: Mapped[str] = mapped_column(String(32))
    value_hash: Mapped[str] = mapped_column(String(64), comment="HMAC-SHA-256 of kind and canonical value")
    value: Mapped[str | None] = mapped_column(String(2048), comment="canonical; NULL for sensitive kinds")
    value_enc: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM of the canonical value")
    display: Mapped[str] = mapped_column(String(2048), comment="safe to show; masked for sensitive kinds")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    created_at: Mapped[created_at]

    links: Mapped[list[Link]] = relationship(back_populates="identifier")


class Link(SharedRecord, Base):
    """An agency's assertion that a subject uses an identifier."""

    __tablename__ = "link"
    __table_args__ = (
        UniqueConstraint("subject_id", "identifier_id", "owner_agency_id"),
        CheckConstraint("confidence BETWEEN 0 AND 100", name="confidence"),
        CheckConstraint("last_seen >= first_seen", name="seen_order"),
        Index("ix_link_identifier_subject", "identifier_id", "subject_id"),
        Index("ix_link_created_at_id", "created_at", "id"),  # the list's order (migration 0014)
    )
    record_type = "link"

    id: Mapped[uuid_pk]
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject.id"), index=True)
    identifier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identifier.id"))
    confidence: Mapped[int] = mapped_column(default=80, comment="0-100")
    source: Mapped[str] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[created_at]

    subject: Mapped[Subject] = relationship(back_populates="links")
    identifier: Mapped[Identifier] = relationship(back_populates="links")
