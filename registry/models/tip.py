"""Tips and complaints from the public (issue 18): what a person reported, routed to an agency.

A tip names one identifier (a website, shop, bank account, phone, ...), normalised by the registry's
parsers. Sensitive values (bank accounts, phones, personal IDs) are kept only encrypted with a keyed
hash beside them, like `Identifier`; the reporter's contact is kept only encrypted; the receipt code
only as its keyed hash. Tips about the same identifier share a `group_key` (services/tips.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, UTCDateTime, created_at, uuid_pk


class TipStatus(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    HANDLED = "handled"
    DISMISSED = "dismissed"


TIP_CLOSED = (TipStatus.HANDLED.value, TipStatus.DISMISSED.value)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Tip(Base):
    __tablename__ = "tip"
    __table_args__ = (
        CheckConstraint(_in("status", tuple(s.value for s in TipStatus)), name="status"),
        CheckConstraint("(value IS NULL) <> (value_enc IS NULL)", name="value_once"),
        # The routed agency's list, newest first, and its groups.
        Index("ix_tip_agency_received", "agency_id", "received_at", "id"),
        Index("ix_tip_agency_group", "agency_id", "group_key"),
    )

    id: Mapped[uuid_pk]
    receipt_hash: Mapped[str] = mapped_column(
        String(64), unique=True, comment="keyed hash of the receipt code"
    )
    kind: Mapped[str] = mapped_column(String(32), comment="identifier kind of what was reported")
    value: Mapped[str | None] = mapped_column(String(2048), comment="canonical; NULL for sensitive kinds")
    value_enc: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM of the canonical value")
    value_hash: Mapped[str] = mapped_column(
        String(64), index=True, comment="HMAC-SHA-256 of kind and canonical value (as identifier.value_hash)"
    )
    display: Mapped[str] = mapped_column(String(2048), comment="safe to show; masked for sensitive kinds")
    group_key: Mapped[str] = mapped_column(
        String(64), comment="keyed hash of the identifier the tip is grouped by (a URL's shop or site)"
    )
    group_display: Mapped[str] = mapped_column(String(2048), comment="the group's identifier, safe to show")
    identifier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("identifier.id"), comment="the known identifier it matched at filing"
    )
    category: Mapped[str] = mapped_column(String(32))
    goods_group: Mapped[str | None] = mapped_column(String(32))
    province: Mapped[str | None] = mapped_column(String(64), comment="where the seller operates, if said")
    description: Mapped[str] = mapped_column(Text)
    contact_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="AES-GCM of the reporter's contact (JSON: name, phone, email)"
    )
    status: Mapped[str] = mapped_column(String(16), default=TipStatus.RECEIVED.value)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), comment="the agency it is routed to")
    routed_by: Mapped[str] = mapped_column(
        String(200), comment="`rule:<n>` / `default` of the routing table, or the officer who re-routed"
    )
    received_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    triaged_by: Mapped[str | None] = mapped_column(String(200))
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome_note: Mapped[str | None] = mapped_column(Text, comment="the agency's note on closing")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own declaration

    attachments: Mapped[list[TipAttachment]] = relationship(
        back_populates="tip", order_by="TipAttachment.position"
    )
    links: Mapped[list[TipLink]] = relationship(order_by="TipLink.linked_at")


class TipAttachment(Base):
    """A file the reporter sent with the tip (a PDF, JPEG or PNG, checked by its bytes)."""

    __tablename__ = "tip_attachment"

    id: Mapped[uuid_pk]
    tip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200), comment="as sent, cleaned")
    content_type: Mapped[str] = mapped_column(String(100), comment="from the bytes, not as sent")
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    tip: Mapped[Tip] = relationship(back_populates="attachments")


class TipLink(Base):
    """A routed agency's link from a tip to a subject or a violation it may see."""

    __tablename__ = "tip_link"
    __table_args__ = (
        CheckConstraint("(subject_id IS NULL) <> (violation_id IS NULL)", name="one_target"),
        UniqueConstraint("tip_id", "subject_id"),
        UniqueConstraint("tip_id", "violation_id"),
    )

    id: Mapped[uuid_pk]
    tip_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subject.id"))
    violation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("violation.id"))
    linked_by: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    linked_at: Mapped[created_at]


class TipChallenge(Base):
    """A proof-of-work challenge already spent on a tip: each is good for one filing."""

    __tablename__ = "tip_challenge"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[created_at]


__all__ = ["TIP_CLOSED", "Tip", "TipAttachment", "TipChallenge", "TipLink", "TipStatus"]
