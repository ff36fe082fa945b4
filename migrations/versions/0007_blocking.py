"""Block requests: requests, targets, executors and replies, appeals; the over-blocking guard's lists

Seeds protected_domain and shared_infrastructure from registry/data/protected-domains.csv and
shared-infrastructure.csv (dated 2026-11-28, see registry/data/README.md); `registry blocking ...`
updates them afterwards.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import csv
import ipaddress
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).resolve().parents[2] / "registry" / "data"
LISTED_ON = date(2026, 11, 28)

protected_domain = sa.table(
    "protected_domain",
    sa.column("domain", sa.String), sa.column("category", sa.String), sa.column("note", sa.String),
    sa.column("source", sa.String), sa.column("listed_on", sa.Date),
    sa.column("created_at", registry.db.UTCDateTime(timezone=True)),
)  # fmt: skip
shared_infrastructure = sa.table(
    "shared_infrastructure",
    sa.column("cidr", sa.String), sa.column("operator", sa.String), sa.column("kind", sa.String),
    sa.column("source", sa.String), sa.column("listed_on", sa.Date),
    sa.column("created_at", registry.db.UTCDateTime(timezone=True)),
)  # fmt: skip


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _seed() -> None:
    now = datetime.now(UTC)
    op.bulk_insert(protected_domain, [
        {"domain": row["domain"].strip().rstrip(".").lower(), "category": row["category"].strip(),
         "note": row["operator"].strip() or None, "source": "registry/data/protected-domains.csv",
         "listed_on": LISTED_ON, "created_at": now}
        for row in _rows("protected-domains.csv")
    ])  # fmt: skip
    op.bulk_insert(shared_infrastructure, [
        {"cidr": str(ipaddress.ip_network(row["cidr"].strip(), strict=False)), "operator": row["operator"].strip(),
         "kind": row["kind"].strip(), "source": "registry/data/shared-infrastructure.csv",
         "listed_on": LISTED_ON, "created_at": now}
        for row in _rows("shared-infrastructure.csv")
    ])  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "protected_domain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False, comment="A-label, lower case"),
        sa.Column(
            "category", sa.String(length=32), nullable=False, comment="platform, government, bank, ..."
        ),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False, comment="file or person it came from"),
        sa.Column("listed_on", sa.Date(), nullable=False, comment="date of the list it came from"),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protected_domain")),
        sa.UniqueConstraint("domain", name=op.f("uq_protected_domain_domain")),
    )
    op.create_table(
        "shared_infrastructure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column(
            "kind", sa.String(length=32), nullable=False, comment="cdn, shared_hosting, cloud_files, ..."
        ),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_infrastructure")),
        sa.UniqueConstraint("cidr", name=op.f("uq_shared_infrastructure_cidr")),
    )
    op.create_table(
        "blocklist_serial",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("changed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_blocklist_serial_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_blocklist_serial")),
    )
    op.create_table(
        "block_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column(
            "measure", sa.String(length=16), nullable=True, comment="suspend_domain only: suspend | revoke"
        ),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False, comment="the submitting agency"),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("mirror_of_id", sa.Uuid(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("valid_from", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "submitted_by", sa.String(length=200), nullable=True, comment="officer who (last) submitted"
        ),
        sa.Column("approved_by", sa.String(length=200), nullable=True, comment="officer who approved"),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state_due_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="deadline of the current step",
        ),
        sa.CheckConstraint(
            "action IN ('block_at_isp', 'suspend_domain', 'remove_listing')",
            name=op.f("ck_block_request_action"),
        ),
        sa.CheckConstraint(
            "measure IS NULL OR measure IN ('suspend', 'revoke')", name=op.f("ck_block_request_measure")
        ),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_block_request_validity")),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_block_request_decision_id_decision")
        ),
        sa.ForeignKeyConstraint(
            ["mirror_of_id"], ["block_request.id"], name=op.f("fk_block_request_mirror_of_id_block_request")
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agency.id"], name=op.f("fk_block_request_owner_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_request")),
    )
    op.create_index(op.f("ix_block_request_decision_id"), "block_request", ["decision_id"], unique=False)
    op.create_index(op.f("ix_block_request_mirror_of_id"), "block_request", ["mirror_of_id"], unique=False)
    op.create_index(
        op.f("ix_block_request_owner_agency_id"), "block_request", ["owner_agency_id"], unique=False
    )
    op.create_index(op.f("ix_block_request_state"), "block_request", ["state"], unique=False)
    op.create_index(op.f("ix_block_request_valid_until"), "block_request", ["valid_until"], unique=False)
    op.create_table(
        "block_appeal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("appellant", sa.String(length=300), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("filed_by_agency_id", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("filed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'upheld', 'dismissed')", name=op.f("ck_block_appeal_status")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_block_appeal_decision_id_decision")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_agency_id"], ["agency.id"], name=op.f("fk_block_appeal_filed_by_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["block_request.id"],
            name=op.f("fk_block_appeal_request_id_block_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_appeal")),
    )
    op.create_index(op.f("ix_block_appeal_request_id"), "block_appeal", ["request_id"], unique=False)
    op.create_table(
        "block_executor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column(
            "platform",
            sa.String(length=32),
            nullable=True,
            comment="a platform without a registry account (shopee, lazada, ...)",
        ),
        sa.Column("dispatched_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "due_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="acknowledgement deadline",
        ),
        sa.CheckConstraint(
            "(agency_id IS NULL) <> (platform IS NULL)", name=op.f("ck_block_executor_agency_or_platform")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_block_executor_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["block_request.id"],
            name=op.f("fk_block_executor_request_id_block_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_executor")),
        sa.UniqueConstraint("request_id", "agency_id", name=op.f("uq_block_executor_request_id_agency_id")),
        sa.UniqueConstraint("request_id", "platform", name=op.f("uq_block_executor_request_id_platform")),
    )
    op.create_index(
        "ix_block_executor_agency_dispatched", "block_executor", ["agency_id", "dispatched_at"], unique=False
    )
    op.create_table(
        "block_request_subject",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["block_request.id"],
            name=op.f("fk_block_request_subject_request_id_block_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_block_request_subject_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("request_id", "subject_id", name=op.f("pk_block_request_subject")),
    )
    op.create_index(
        op.f("ix_block_request_subject_subject_id"), "block_request_subject", ["subject_id"], unique=False
    )
    op.create_table(
        "block_request_violation",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("violation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["block_request.id"],
            name=op.f("fk_block_request_violation_request_id_block_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["violation_id"], ["violation.id"], name=op.f("fk_block_request_violation_violation_id_violation")
        ),
        sa.PrimaryKeyConstraint("request_id", "violation_id", name=op.f("pk_block_request_violation")),
    )
    op.create_index(
        op.f("ix_block_request_violation_violation_id"),
        "block_request_violation",
        ["violation_id"],
        unique=False,
    )
    op.create_table(
        "block_target",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "value", sa.String(length=2048), nullable=False, comment="canonical, from registry.identifiers"
        ),
        sa.Column("display", sa.String(length=2048), nullable=False),
        sa.Column("identifier_id", sa.Uuid(), nullable=False),
        sa.Column(
            "platform", sa.String(length=32), nullable=True, comment="remove_listing: the hosting platform"
        ),
        sa.Column(
            "protection",
            sa.String(length=500),
            nullable=True,
            comment="why blocking it whole would over-block (protected domain, shared range)",
        ),
        sa.Column("override_requested", sa.Boolean(), nullable=False),
        sa.Column("override_justification", sa.Text(), nullable=True, comment="the submitter's case"),
        sa.Column("override_by", sa.String(length=200), nullable=True, comment="reviewing officer"),
        sa.Column("override_agency_id", sa.Integer(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True, comment="the reviewer's justification"),
        sa.Column("override_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('domain', 'ip', 'ip_range', 'url', 'marketplace_shop')",
            name=op.f("ck_block_target_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["identifier_id"], ["identifier.id"], name=op.f("fk_block_target_identifier_id_identifier")
        ),
        sa.ForeignKeyConstraint(
            ["override_agency_id"], ["agency.id"], name=op.f("fk_block_target_override_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["block_request.id"],
            name=op.f("fk_block_target_request_id_block_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_target")),
        sa.UniqueConstraint(
            "request_id", "kind", "value", name=op.f("uq_block_target_request_id_kind_value")
        ),
    )
    op.create_index(op.f("ix_block_target_identifier_id"), "block_target", ["identifier_id"], unique=False)
    op.create_table(
        "block_acknowledgement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("executor_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False, comment="agency that recorded it"),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("officer", sa.String(length=200), nullable=True),
        sa.Column("at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(outcome = 'executed' AND reason IS NULL) OR (outcome = 'not_executable' AND reason IN ('already_blocked', 'not_our_customer', 'invalid_target'))",
            name=op.f("ck_block_acknowledgement_reason"),
        ),
        sa.CheckConstraint(
            "outcome IN ('executed', 'not_executable')", name=op.f("ck_block_acknowledgement_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_block_acknowledgement_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["executor_id"],
            ["block_executor.id"],
            name=op.f("fk_block_acknowledgement_executor_id_block_executor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["block_target.id"],
            name=op.f("fk_block_acknowledgement_target_id_block_target"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_acknowledgement")),
        sa.UniqueConstraint(
            "executor_id", "target_id", name=op.f("uq_block_acknowledgement_executor_id_target_id")
        ),
    )
    op.create_index(
        op.f("ix_block_acknowledgement_executor_id"), "block_acknowledgement", ["executor_id"], unique=False
    )
    _seed()


def downgrade() -> None:
    for table in ("block_acknowledgement", "block_target", "block_request_violation", "block_request_subject",
                  "block_executor", "block_appeal", "block_request", "blocklist_serial",
                  "shared_infrastructure", "protected_domain"):  # fmt: skip
        op.drop_table(table)
