"""Account-freeze orders, their accounts, and bank-initiated transaction delays

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import registry.db

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _workflow_columns() -> list[sa.Column]:
    return [
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state_due_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="deadline of the current step",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "freeze_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_agency_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=False, comment="the founding decision"),
        sa.Column(
            "current_decision_id",
            sa.Uuid(),
            nullable=False,
            comment="the latest decision in force (amendment, extension, lifting)",
        ),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=True, comment="NULL: the whole balance"),
        sa.Column("whole_balance", sa.Boolean(), nullable=False),
        sa.Column("legal_bases", JSON, nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True, comment="last day in force; NULL: until lifted"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "procuracy_notified_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="criminal path: when the investigation body notified the procuracy",
        ),
        sa.Column("procuracy_reference", sa.String(length=100), nullable=True),
        sa.Column(
            "conversion_kind", sa.String(length=16), nullable=True, comment="deduction or confiscation"
        ),
        sa.Column("converted_amount_vnd", sa.BigInteger(), nullable=True),
        sa.Column("dispatched_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        *_workflow_columns(),
        sa.CheckConstraint(
            "conversion_kind IS NULL OR conversion_kind IN ('deduction', 'confiscation')",
            name=op.f("ck_freeze_order_conversion_kind"),
        ),
        sa.CheckConstraint(
            "(whole_balance AND amount_vnd IS NULL) OR (NOT whole_balance AND amount_vnd > 0)",
            name=op.f("ck_freeze_order_amount"),
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name=op.f("ck_freeze_order_validity")
        ),
        sa.ForeignKeyConstraint(
            ["current_decision_id"],
            ["decision.id"],
            name=op.f("fk_freeze_order_current_decision_id_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_freeze_order_decision_id_decision")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_agency_id"], ["agency.id"], name=op.f("fk_freeze_order_issuer_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze_order")),
    )
    with op.batch_alter_table("freeze_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_freeze_order_issuer_agency_id"), ["issuer_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_freeze_order_state"), ["state"], unique=False)

    op.create_table(
        "freeze_order_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "bank_bin", sa.String(length=8), nullable=False, comment="NAPAS BIN: the bank that executes"
        ),
        sa.Column("identifier_id", sa.Uuid(), nullable=False),
        sa.Column("holder_name", sa.String(length=300), nullable=True, comment="as known to the issuer"),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("amount_frozen_vnd", sa.BigInteger(), nullable=True),
        sa.Column("executed_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("not_executable_reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reported_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        *_workflow_columns(),
        sa.CheckConstraint(
            "not_executable_reason IS NULL OR not_executable_reason IN ('account_not_found', 'account_closed', 'insufficient_balance')",
            name=op.f("ck_freeze_order_account_reason"),
        ),
        sa.CheckConstraint(
            "amount_frozen_vnd IS NULL OR amount_frozen_vnd >= 0", name=op.f("ck_freeze_order_account_amount")
        ),
        sa.ForeignKeyConstraint(
            ["identifier_id"],
            ["identifier.id"],
            name=op.f("fk_freeze_order_account_identifier_id_identifier"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["freeze_order.id"],
            name=op.f("fk_freeze_order_account_order_id_freeze_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subject.id"], name=op.f("fk_freeze_order_account_subject_id_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze_order_account")),
        sa.UniqueConstraint(
            "order_id", "identifier_id", name=op.f("uq_freeze_order_account_order_id_identifier_id")
        ),
    )
    with op.batch_alter_table("freeze_order_account", schema=None) as batch_op:
        for column in ("bank_bin", "identifier_id", "order_id", "state", "subject_id"):
            batch_op.create_index(batch_op.f(f"ix_freeze_order_account_{column}"), [column], unique=False)

    op.create_table(
        "transaction_delay",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bank_agency_id", sa.Integer(), nullable=False),
        sa.Column("bank_bin", sa.String(length=8), nullable=False),
        sa.Column("identifier_id", sa.Uuid(), nullable=False),
        sa.Column("holder_name", sa.String(length=300), nullable=True),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column(
            "delayed_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="when the bank delayed the transaction",
        ),
        sa.Column(
            "ends_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="delayed_at plus the working days the law allows",
        ),
        sa.Column("superseded_by_order_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        *_workflow_columns(),
        sa.CheckConstraint("amount_vnd > 0", name=op.f("ck_transaction_delay_amount")),
        sa.ForeignKeyConstraint(
            ["bank_agency_id"], ["agency.id"], name=op.f("fk_transaction_delay_bank_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["identifier_id"], ["identifier.id"], name=op.f("fk_transaction_delay_identifier_id_identifier")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_order_id"],
            ["freeze_order.id"],
            name=op.f("fk_transaction_delay_superseded_by_order_id_freeze_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_delay")),
    )
    with op.batch_alter_table("transaction_delay", schema=None) as batch_op:
        for column in ("bank_agency_id", "bank_bin", "identifier_id", "state", "superseded_by_order_id"):
            batch_op.create_index(batch_op.f(f"ix_transaction_delay_{column}"), [column], unique=False)

    op.create_table(
        "transaction_delay_notice",
        sa.Column("delay_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_transaction_delay_notice_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["delay_id"],
            ["transaction_delay.id"],
            name=op.f("fk_transaction_delay_notice_delay_id_transaction_delay"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delay_id", "agency_id", name=op.f("pk_transaction_delay_notice")),
    )
    with op.batch_alter_table("transaction_delay_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transaction_delay_notice_agency_id"), ["agency_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("transaction_delay_notice")
    op.drop_table("transaction_delay")
    op.drop_table("freeze_order_account")
    op.drop_table("freeze_order")
