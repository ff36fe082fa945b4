"""Block requests (domain/IP/URL/shop), their targets, executors and replies, appeals, and the guard lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, created_at, utcnow, uuid_pk
from registry.models.subject import Subject
from registry.models.violation import Decision, Violation
from registry.models.workflow import WorkflowRecord

BLOCK_ACTIONS = ("block_at_isp", "suspend_domain", "remove_listing")
TARGET_KINDS = ("domain", "ip", "ip_range", "url", "marketplace_shop")
NOT_EXECUTABLE_REASONS = ("already_blocked", "not_our_customer", "invalid_target", "technically_infeasible")
INFEASIBLE = (
    "technically_infeasible"  # the executor cannot do it (an ISP and an HTTPS URL path): the decider acts
)
MIRROR_COVERAGE = ("named", "linked")


class BlockState(StrEnum):
    """A block request's states (the machine in services/blocking/machine.py moves between them)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    IN_EFFECT = "in_effect"
    LIFTED = "lifted"
    EXPIRED = "expired"
    REVOKED = "revoked"


class AckOutcome(StrEnum):
    """An executor's reply for one target."""

    EXECUTED = "executed"
    NOT_EXECUTABLE = "not_executable"


class AppealStatus(StrEnum):
    """An appeal: pending until decided; upheld lifts the block, dismissed leaves it in effect."""

    PENDING = "pending"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


block_request_violation = Table(
    "block_request_violation",
    Base.metadata,
    Column("request_id", ForeignKey("block_request.id", ondelete="CASCADE"), primary_key=True),
    Column("violation_id", ForeignKey("violation.id"), primary_key=True, index=True),
)
block_request_subject = Table(
    "block_request_subject",
    Base.metadata,
    Column("request_id", ForeignKey("block_request.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subject.id"), primary_key=True, index=True),
)


class BlockRequest(WorkflowRecord, Base):
    """A request to block, suspend or remove; its life is in workflow_transition rows."""

    __tablename__ = "block_request"
    __table_args__ = (
        CheckConstraint(_in("action", BLOCK_ACTIONS), name="action"),
        CheckConstraint("measure IS NULL OR measure IN ('suspend', 'revoke')", name="measure"),
        CheckConstraint("valid_until > valid_from", name="validity"),
    )
    record_type = "block_request"

    id: Mapped[uuid_pk]
    action: Mapped[str] = mapped_column(String(32))
    measure: Mapped[str | None] = mapped_column(String(16), comment="suspend_domain only: suspend | revoke")
    owner_agency_id: Mapped[int] = mapped_column(
        ForeignKey("agency.id"), index=True, comment="the submitting agency"
    )
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decision.id"), index=True)
    mirror_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("block_request.id"), index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str | None] = mapped_column(String(200), comment="officer who (last) submitted")
    approved_by: Mapped[str | None] = mapped_column(String(200), comment="officer who approved")
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    targets: Mapped[list[BlockTarget]] = relationship(
        back_populates="request", order_by="BlockTarget.position", cascade="all, delete-orphan"
    )
    executors: Mapped[list[BlockExecutor]] = relationship(
        back_populates="request", order_by="BlockExecutor.id", cascade="all, delete-orphan"
    )
    violations: Mapped[list[Violation]] = relationship(secondary=block_request_violation)
    subjects: Mapped[list[Subject]] = relationship(secondary=block_request_subject)
    appeals: Mapped[list[BlockAppeal]] = relationship(
        back_populates="request", order_by="BlockAppeal.filed_at", cascade="all, delete-orphan"
    )
    decision: Mapped[Decision | None] = relationship(viewonly=True)


class BlockTarget(Base):
    """One normalised target, linked to its registry identifier; protected ones need a reviewer's override."""

    __tablename__ = "block_target"
    __table_args__ = (
        UniqueConstraint("request_id", "kind", "value"),
        CheckConstraint(_in("kind", TARGET_KINDS), name="kind"),
        CheckConstraint(
            f"mirror_coverage IS NULL OR {_in('mirror_coverage', MIRROR_COVERAGE)}", name="coverage"
        ),
    )

    id: Mapped[uuid_pk]
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("block_request.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(2048), comment="canonical, from registry.identifiers")
    display: Mapped[str] = mapped_column(String(2048))
    identifier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identifier.id"), index=True)
    platform: Mapped[str | None] = mapped_column(String(32), comment="remove_listing: the hosting platform")
    protection: Mapped[str | None] = mapped_column(
        String(500), comment="why blocking it whole would over-block (protected domain, shared range)"
    )
    override_requested: Mapped[bool] = mapped_column(default=False)
    override_justification: Mapped[str | None] = mapped_column(Text, comment="the submitter's case")
    override_by: Mapped[str | None] = mapped_column(String(200), comment="reviewing officer")
    override_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    override_reason: Mapped[str | None] = mapped_column(Text, comment="the reviewer's justification")
    override_at: Mapped[datetime | None]
    mirror_coverage: Mapped[str | None] = mapped_column(
        String(16),
        comment="a mirror resting on its original's decision: named in it, or only linked to its subjects "
        "(then a decider's confirm_mirror step is needed before approval)",
    )

    request: Mapped[BlockRequest] = relationship(back_populates="targets")


class BlockExecutor(Base):
    """A party the request is addressed to: an executor agency (ISP, .vn registry) or a platform by name."""

    __tablename__ = "block_executor"
    __table_args__ = (
        UniqueConstraint("request_id", "agency_id"),
        UniqueConstraint("request_id", "platform"),
        CheckConstraint("(agency_id IS NULL) <> (platform IS NULL)", name="agency_or_platform"),
        Index("ix_block_executor_agency_dispatched", "agency_id", "dispatched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("block_request.id", ondelete="CASCADE"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    platform: Mapped[str | None] = mapped_column(
        String(32), comment="a platform without a registry account (shopee, lazada, ...)"
    )
    dispatched_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(comment="acknowledgement deadline")
    unblock_due_at: Mapped[datetime | None] = mapped_column(
        comment="set when a request it executed ends (lift, revoke, upheld appeal, expiry): "
        "confirm removal by then"
    )
    unblocked_at: Mapped[datetime | None] = mapped_column(comment="when the executor confirmed the removal")
    unblocked_by: Mapped[str | None] = mapped_column(String(200), comment="officer who confirmed it")
    unblock_agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id"), comment="agency that recorded it (the deciding agency, for a platform)"
    )
    unblock_client_id: Mapped[str | None] = mapped_column(String(64))
    unblock_note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[BlockRequest] = relationship(back_populates="executors")
    acknowledgements: Mapped[list[BlockAcknowledgement]] = relationship(
        back_populates="executor", order_by="BlockAcknowledgement.id", cascade="all, delete-orphan"
    )


class BlockAcknowledgement(Base):
    """An executor's reply for one target: executed, or not executable with a reason."""

    __tablename__ = "block_acknowledgement"
    __table_args__ = (
        UniqueConstraint("executor_id", "target_id"),
        CheckConstraint(_in("outcome", tuple(o.value for o in AckOutcome)), name="outcome"),
        CheckConstraint(
            f"(outcome = '{AckOutcome.EXECUTED}' AND reason IS NULL) OR "
            f"(outcome = '{AckOutcome.NOT_EXECUTABLE}' AND {_in('reason', NOT_EXECUTABLE_REASONS)} "
            f"AND (reason <> '{INFEASIBLE}' OR note IS NOT NULL))",
            name="reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    executor_id: Mapped[int] = mapped_column(ForeignKey("block_executor.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("block_target.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), comment="agency that recorded it")
    client_id: Mapped[str | None] = mapped_column(String(64))
    officer: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[created_at]

    executor: Mapped[BlockExecutor] = relationship(back_populates="acknowledgements")


class BlockAppeal(Base):
    """A complaint against a request in effect; upheld lifts the block, dismissed leaves it in effect."""

    __tablename__ = "block_appeal"
    __table_args__ = (CheckConstraint(_in("status", tuple(s.value for s in AppealStatus)), name="status"),)

    id: Mapped[uuid_pk]
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("block_request.id", ondelete="CASCADE"), index=True
    )
    appellant: Mapped[str] = mapped_column(String(300))
    grounds: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    filed_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    filed_by: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[created_at]
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.PENDING.value)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decision.id"))

    request: Mapped[BlockRequest] = relationship(back_populates="appeals")


class ProtectedDomain(Base):
    """A domain never blocked whole without a reviewed override; covers its subdomains too."""

    __tablename__ = "protected_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True, comment="A-label, lower case")
    category: Mapped[str] = mapped_column(String(32), comment="platform, government, bank, ...")
    note: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(300), comment="file or person it came from")
    listed_on: Mapped[date] = mapped_column(Date, comment="date of the list it came from")
    created_at: Mapped[created_at]


class SharedInfrastructure(Base):
    """An address range serving many unrelated sites (CDN, shared hosting): never blocked whole."""

    __tablename__ = "shared_infrastructure"
    __table_args__ = (UniqueConstraint("provider", "cidr"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(
        String(40), comment="whose published list it came from (services.ranges), or local (CSV, CLI)"
    )
    cidr: Mapped[str] = mapped_column(String(64), index=True)
    range_start: Mapped[bytes] = mapped_column(
        LargeBinary(17), index=True, comment="first address as ranges.range_key: version byte, 16 bytes"
    )
    range_end: Mapped[bytes] = mapped_column(LargeBinary(17), comment="last address, as range_start")
    operator: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(
        String(32), comment="cdn, cloud, platform, dns_resolver, shared_hosting"
    )
    source: Mapped[str] = mapped_column(String(300))
    listed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[created_at]


class BlocklistSerial(Base):
    """The serial of an executor's feed: bumped whenever the set of entries it serves changes."""

    __tablename__ = "blocklist_serial"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    serial: Mapped[int] = mapped_column(BigInteger)
    content_sha256: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime]
