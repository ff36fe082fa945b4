"""A blocked site's owner's complaint against a block, filed without an account (issue 15)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, created_at, uuid_pk
from registry.models.blocking import BlockAppeal, BlockRequest


class ComplaintStatus(StrEnum):
    """Stored states; `upheld`/`dismissed` also follow from the appeal a complaint was turned into."""

    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    ANSWERED = "answered"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


CLOSED = (ComplaintStatus.ANSWERED, ComplaintStatus.UPHELD, ComplaintStatus.DISMISSED)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class BlockComplaint(Base):
    """What the owner named, said and how to reach them (encrypted), and the deciding agency's answer.

    The receipt code is shown once at filing; only its keyed hash is kept (`receipt_hash`)."""

    __tablename__ = "block_complaint"
    __table_args__ = (
        CheckConstraint(_in("status", tuple(s.value for s in ComplaintStatus)), name="status"),
        CheckConstraint(_in("target_kind", ("domain", "url")), name="target_kind"),
    )

    id: Mapped[uuid_pk]
    receipt_hash: Mapped[str] = mapped_column(
        String(64), unique=True, comment="keyed hash of the receipt code"
    )
    target_kind: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(
        String(2048), index=True, comment="the blocked domain or URL, canonical"
    )
    statement: Mapped[str] = mapped_column(Text)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM: the complainant's name")
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM")
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary, comment="AES-GCM")
    filed_at: Mapped[created_at]
    status: Mapped[str] = mapped_column(String(16), default=ComplaintStatus.RECEIVED.value)
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("block_request.id", ondelete="SET NULL"), index=True, comment="the block complained of"
    )
    linked_by: Mapped[str | None] = mapped_column(String(200), comment="officer who linked it, or system")
    linked_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(
        Text, comment="the deciding agency's answer, shown to the owner"
    )
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    answered_at: Mapped[datetime | None]
    appeal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("block_appeal.id", ondelete="SET NULL"), comment="the appeal it was turned into"
    )
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own declaration

    block_request: Mapped[BlockRequest | None] = relationship()
    appeal: Mapped[BlockAppeal | None] = relationship()

    @property
    def shown_status(self) -> str:
        """An appeal's outcome is the complaint's once decided."""
        if self.appeal is not None and self.appeal.status in (
            ComplaintStatus.UPHELD,
            ComplaintStatus.DISMISSED,
        ):
            return self.appeal.status
        return self.status

    @property
    def shown_answer(self) -> str | None:
        if self.appeal is not None and self.appeal.decision_reason and self.shown_status != self.status:
            return self.appeal.decision_reason
        return self.answer

    @property
    def shown_answered_at(self) -> datetime | None:
        if self.appeal is not None and self.shown_status != self.status:
            return self.appeal.decided_at
        return self.answered_at
