"""Account-freeze orders (per account executed by the banks) and bank-initiated transaction delays."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, JSONType, created_at, utcnow, uuid_pk
from registry.models.workflow import WorkflowRecord

if TYPE_CHECKING:
    from registry.models.subject import Identifier
    from registry.models.violation import Decision

NOT_EXECUTABLE_REASONS = ("account_not_found", "account_closed", "insufficient_balance")
CONVERSION_KINDS = ("deduction", "confiscation")


class OrderState(StrEnum):
    """A freeze order's states (the machine in services/freezing/machines.py moves between them)."""

    SUBMITTED = "submitted"
    RECEIVED = "received"
    CHECKED = "checked"
    RETURNED_FOR_CORRECTION = "returned_for_correction"
    RESUBMITTED = "resubmitted"
    DISPATCHED = "dispatched"
    IN_EFFECT = "in_effect"
    AMENDED = "amended"
    EXTENDED = "extended"
    NOT_EXECUTED = "not_executed"
    LIFTED = "lifted"
    EXPIRED = "expired"
    CONVERTED = "converted"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class AccountState(StrEnum):
    """One account of an order: pending until dispatched, then its bank's answer."""

    PENDING = "pending"
    DISPATCHED = "dispatched"
    EXECUTED = "executed"
    NOT_EXECUTABLE = "not_executable"
    RELEASE_PENDING = "release_pending"
    RELEASED = "released"


class DelayState(StrEnum):
    """A bank-initiated transaction delay."""

    IN_EFFECT = "in_effect"
    RELEASED = "released"
    EXPIRED = "expired"
    SUPERSEDED_BY_ORDER = "superseded_by_order"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FreezeOrder(WorkflowRecord, Base):
    """A competent body's written order to freeze accounts, processed by the State Bank."""

    __tablename__ = "freeze_order"
    __table_args__ = (
        CheckConstraint(
            "(whole_balance AND amount_vnd IS NULL) OR (NOT whole_balance AND amount_vnd > 0)", name="amount"
        ),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity"),
        CheckConstraint(
            f"conversion_kind IS NULL OR {_in('conversion_kind', CONVERSION_KINDS)}", name="conversion_kind"
        ),
        CheckConstraint("frozen_total_vnd >= 0", name="frozen_total"),
    )
    record_type = "freeze_order"

    id: Mapped[uuid_pk]
    issuer_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decision.id"), comment="the founding decision")
    current_decision_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("decision.id"), comment="the latest decision in force (amendment, extension, lifting)"
    )
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger, comment="NULL: the whole balance")
    whole_balance: Mapped[bool] = mapped_column(default=False)
    legal_bases: Mapped[list[str]] = mapped_column(JSONType, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, comment="last day in force; NULL: until lifted")
    reason: Mapped[str] = mapped_column(Text)
    procuracy_notified_at: Mapped[datetime | None] = mapped_column(
        comment="criminal path: when the investigation body notified the procuracy"
    )
    procuracy_reference: Mapped[str | None] = mapped_column(String(100))
    procuracy_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    legal_ground: Mapped[str | None] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(default=False)
    frozen_total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    conversion_kind: Mapped[str | None] = mapped_column(String(16), comment="deduction or confiscation")
    converted_amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    dispatched_at: Mapped[datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    accounts: Mapped[list[FreezeAccount]] = relationship(
        back_populates="order", order_by="FreezeAccount.position", cascade="all, delete-orphan"
    )
    # View-only: loaded with a page of orders (services.freezing.access.ORDER_LOADS) so that the Read
    # schemas find the founding decision and the one in force in the session (they read them by id).
    decision: Mapped[Decision] = relationship(foreign_keys=[decision_id], viewonly=True)
    current_decision: Mapped[Decision] = relationship(foreign_keys=[current_decision_id], viewonly=True)


class FreezeAccount(WorkflowRecord, Base):
    """One account named in an order; the bank holding it executes it or says why it cannot."""

    __tablename__ = "freeze_order_account"
    __table_args__ = (
        UniqueConstraint("order_id", "identifier_id"),
        CheckConstraint("amount_frozen_vnd IS NULL OR amount_frozen_vnd >= 0", name="amount"),
        CheckConstraint(
            f"not_executable_reason IS NULL OR {_in('not_executable_reason', NOT_EXECUTABLE_REASONS)}",
            name="reason",
        ),
    )
    record_type = "freeze_account"

    id: Mapped[uuid_pk]
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("freeze_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    bank_bin: Mapped[str] = mapped_column(String(8), index=True, comment="NAPAS BIN: the bank that executes")
    identifier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identifier.id"), index=True)
    holder_name: Mapped[str | None] = mapped_column(String(300), comment="as known to the issuer")
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subject.id"), index=True)
    amount_frozen_vnd: Mapped[int | None] = mapped_column(BigInteger)
    executed_at: Mapped[datetime | None]
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    not_executable_reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None]
    release_pending_vnd: Mapped[int | None] = mapped_column(BigInteger)
    release_requested_at: Mapped[datetime | None]
    released_vnd: Mapped[int | None] = mapped_column(BigInteger)
    released_at: Mapped[datetime | None]
    release_reference: Mapped[str | None] = mapped_column(String(100))

    order: Mapped[FreezeOrder] = relationship(back_populates="accounts")
    identifier: Mapped[Identifier] = relationship(viewonly=True)  # for the Read schemas


class TransactionDelay(WorkflowRecord, Base):
    """A bank's own delay of a suspicious transaction: at most a few working days unless an order follows."""

    __tablename__ = "transaction_delay"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount"),)
    record_type = "transaction_delay"

    id: Mapped[uuid_pk]
    bank_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    bank_bin: Mapped[str] = mapped_column(String(8), index=True)
    identifier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identifier.id"), index=True)
    holder_name: Mapped[str | None] = mapped_column(String(300))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    delayed_at: Mapped[datetime] = mapped_column(comment="when the bank delayed the transaction")
    ends_at: Mapped[datetime] = mapped_column(comment="delayed_at plus the working days the law allows")
    superseded_by_order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("freeze_order.id"), index=True
    )
    followed_by_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("freeze_order.id"), index=True)
    sbv_reported_at: Mapped[datetime | None]
    sbv_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[created_at]

    identifier: Mapped[Identifier] = relationship(viewonly=True)  # for the Read schemas


class TransactionDelayNotice(Base):
    """The competent authorities a bank reported a delay to: they may see it and follow with an order."""

    __tablename__ = "transaction_delay_notice"

    delay_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transaction_delay.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True, index=True)


class FreezeOrderFlag(Base):
    """A defect of form the State Bank flags to the issuer: it holds nothing back; the issuer answers it."""

    __tablename__ = "freeze_order_flag"

    id: Mapped[uuid_pk]
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("freeze_order.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    officer: Mapped[str] = mapped_column(String(200))
    defect: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    answered_by_officer: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None]
