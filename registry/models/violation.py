"""Violations (cases) and the written decisions of competent bodies they and the workflows rest on."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

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

from registry.db import Base, JSONType, created_at, utcnow, uuid_pk, vnd
from registry.models.sharing import SharedRecord
from registry.models.subject import Identifier, Subject

CATEGORIES = (
    "SMUGGLED", "COUNTERFEIT", "IP_INFRINGING", "SUBSTANDARD", "PROHIBITED", "RESTRICTED",
    "CONDITIONAL_NONCOMPLIANT", "EXPIRED", "UNKNOWN_ORIGIN", "MISLEADING_INFO", "TAX_EVASION",
    "UNDECLARED_BUSINESS",
)  # fmt: skip
GOODS_GROUPS = (
    "cosmetics", "supplements", "food", "pharmaceuticals", "medical_devices", "alcohol",
    "tobacco_ecigarettes", "fashion", "electronics_phones", "toys", "auto_parts", "agricultural_inputs",
    "livestock", "fuel", "gold_foreign_currency", "fireworks", "weapons", "wildlife",
    "drugs_precursors", "digital_content", "services", "other",
)  # fmt: skip


class ViolationStatus(enum.StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    SANCTIONED = "sanctioned"
    DISMISSED = "dismissed"


class IssuerConfirmation(enum.StrEnum):
    """Whether the body named as issuer stands behind the record of its decision."""

    OWN = "own"  # recorded by the issuing body itself
    PENDING = "pending"  # recorded on its behalf by another agency; waiting for its confirmation
    CONFIRMED = "confirmed"
    REFUSED = "refused"


class SignatureStatus(enum.StrEnum):
    """What the check of the document's digital signatures (PAdES) found."""

    UNCHECKED = "unchecked"  # no document yet, or stored before the registry checked signatures
    UNSIGNED = "unsigned"  # a scan or a PDF without signatures: allowed, and shown as such
    VERIFIED = "verified"  # every signature intact, valid and chained to the trust list
    FAILED = "failed"  # a signature does not verify: grounds nothing unless a reviewer overrides


class DocumentType(enum.StrEnum):
    DECISION = "decision"  # quyết định
    ORDER = "order"  # lệnh
    REQUEST = "request"  # văn bản yêu cầu


violation_subject = Table(
    "violation_subject",
    Base.metadata,
    Column("violation_id", ForeignKey("violation.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subject.id"), primary_key=True, index=True),
)
violation_identifier = Table(
    "violation_identifier",
    Base.metadata,
    Column("violation_id", ForeignKey("violation.id", ondelete="CASCADE"), primary_key=True),
    Column("identifier_id", ForeignKey("identifier.id"), primary_key=True, index=True),
)


class DecisionDocument(Base):
    """The uploaded document itself, kept out of the decision row so listing decisions stays cheap."""

    __tablename__ = "decision_document"

    id: Mapped[uuid_pk]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created_at]


class Decision(SharedRecord, Base):
    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint("document_type IN ('decision', 'order', 'request')", name="document_type"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="effective"),
        # The same document registered twice at once by two agencies: the database keeps one.
        UniqueConstraint("issuer_agency_id", "number", "issued_on"),
        CheckConstraint(
            "issuer_confirmation IN ('own', 'pending', 'confirmed', 'refused')", name="issuer_confirmation"
        ),
        CheckConstraint(
            "signature_status IN ('unchecked', 'unsigned', 'verified', 'failed')", name="signature_status"
        ),
    )
    record_type = "decision"

    id: Mapped[uuid_pk]
    document_type: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(
        String(100), index=True, comment="number and symbol, e.g. 123/QĐ-CSKT"
    )
    place: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    issuer_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    issuing_body: Mapped[str] = mapped_column(String(300), comment="the body as named on the document")
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(200))
    signer_capacity: Mapped[str | None] = mapped_column(String(100), comment="e.g. KT. (on behalf of)")
    legal_bases: Mapped[list[str]] = mapped_column(JSONType, default=list)
    targets: Mapped[list[str]] = mapped_column(JSONType, default=list, comment="subjects and targets named")
    reason: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    executing_party: Mapped[str | None] = mapped_column(String(300))
    document_sha256: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decision_document.id"))
    recorded_by: Mapped[str | None] = mapped_column(String(200), comment="officer, else client, recording it")
    # The issuing body's confirmation of a record made on its behalf (services.decisions.confirm).
    issuer_confirmation: Mapped[str] = mapped_column(String(16), default=IssuerConfirmation.OWN)
    issuer_confirmed_by: Mapped[str | None] = mapped_column(String(200), comment="officer of the issuer")
    issuer_confirmed_at: Mapped[datetime | None]
    issuer_confirmation_note: Mapped[str | None] = mapped_column(Text)
    # The document's digital signatures as checked on upload (services.signatures).
    document_uploaded_by: Mapped[str | None] = mapped_column(String(200))
    signature_status: Mapped[str] = mapped_column(String(16), default=SignatureStatus.UNCHECKED)
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, default=list, comment="per signature: signer, certificate, time, findings"
    )
    signature_checked_at: Mapped[datetime | None]
    # A reviewing officer's override of a signature that does not verify (four-eyes, with a reason).
    signature_override_reason: Mapped[str | None] = mapped_column(Text)
    signature_override_by: Mapped[str | None] = mapped_column(String(200))
    signature_override_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    signature_override_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    document: Mapped[DecisionDocument | None] = relationship()


class Violation(SharedRecord, Base):
    __tablename__ = "violation"
    __table_args__ = (
        CheckConstraint("status IN ('suspected', 'confirmed', 'sanctioned', 'dismissed')", name="status"),
        CheckConstraint("fine_vnd >= 0 AND tax_recovered_vnd >= 0 AND goods_value_vnd >= 0", name="amounts"),
        # The list's order, newest first (read backwards; migration 0014).
        Index("ix_violation_detected_at_id", "detected_at", "id"),
    )
    record_type = "violation"

    id: Mapped[uuid_pk]
    summary: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSONType)
    goods_groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    detected_at: Mapped[datetime]
    province: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ViolationStatus.SUSPECTED)
    sanction_decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decision.id"))
    sanction_reference: Mapped[str | None] = mapped_column(String(100))
    fine_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_recovered_vnd: Mapped[vnd]
    goods_value_vnd: Mapped[vnd]
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subjects: Mapped[list[Subject]] = relationship(secondary=violation_subject, order_by=Subject.created_at)
    identifiers: Mapped[list[Identifier]] = relationship(secondary=violation_identifier)


class TaxRecovery(Base):
    """Tax recovered on a case, recorded by a tax authority as an addition of its own: the case (owned by
    the detecting agency) is not changed; its total tax recovered includes every addition."""

    __tablename__ = "violation_tax_recovery"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount"),)

    id: Mapped[uuid_pk]
    violation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("violation.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), comment="the recording tax authority")
    recorded_by: Mapped[str] = mapped_column(String(200), comment="officer sub, or the client id")
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(100), comment="e.g. the tax decision's number")
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[created_at]


class Referral(Base):
    """A case transferred to the police (the plan's referral of signs of crime), on a written decision,
    with its evidence list, and the receiving body's acknowledgement once it confirms receipt."""

    __tablename__ = "violation_referral"
    __table_args__ = (UniqueConstraint("violation_id", "police_agency_id"),)

    id: Mapped[uuid_pk]
    violation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("violation.id"), index=True)
    referring_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    referred_by: Mapped[str] = mapped_column(String(200), comment="officer sub, or the client id")
    police_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), comment="the receiving body")
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decision.id"))
    evidence: Mapped[list[dict]] = mapped_column(JSONType, default=list, comment="[{description, sha256}]")
    note: Mapped[str | None] = mapped_column(Text)
    referred_at: Mapped[created_at]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    police_reference: Mapped[str | None] = mapped_column(String(100), comment="the police's own number")
    received_on: Mapped[date | None] = mapped_column(Date)
