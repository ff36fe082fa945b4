"""Subjects an audited request reached (for the auditors' `subject:<id>` search); cases' tax additions
and criminal referrals

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

`audit_subject` lists, per entry, the subjects its answer showed besides its resource (search results,
a lookup's holders, screening matches, graph nodes, the subjects of cases and links, lists filtered on a
subject). The entry's signed body lists the same ids under `subjects`. Like every audit table it is
append-only: on PostgreSQL UPDATE, DELETE and TRUNCATE are refused by the triggers of migration 0004's
`audit_append_only()`; the application role needs only SELECT and INSERT on it.

`violation_tax_recovery`: tax recovered on a case, added by a tax authority (not the case's owner).
`violation_referral`: a case transferred to the police on a decision, with its evidence list and the
receiving body's acknowledgement.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "violation_tax_recovery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("violation_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False, comment="the recording tax authority"),
        sa.Column(
            "recorded_by", sa.String(length=200), nullable=False, comment="officer sub, or the client id"
        ),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column(
            "reference", sa.String(length=100), nullable=True, comment="e.g. the tax decision's number"
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_vnd > 0", name=op.f("ck_violation_tax_recovery_amount")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_violation_tax_recovery_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["violation_id"], ["violation.id"], name=op.f("fk_violation_tax_recovery_violation_id_violation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_tax_recovery")),
    )
    op.create_index(
        op.f("ix_violation_tax_recovery_violation_id"),
        "violation_tax_recovery",
        ["violation_id"],
        unique=False,
    )
    op.create_table(
        "violation_referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("violation_id", sa.Uuid(), nullable=False),
        sa.Column("referring_agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "referred_by", sa.String(length=200), nullable=False, comment="officer sub, or the client id"
        ),
        sa.Column("police_agency_id", sa.Integer(), nullable=False, comment="the receiving body"),
        sa.Column("decision_id", sa.Uuid(), nullable=False),
        sa.Column("evidence", registry.db.JSONType, nullable=False, comment="[{description, sha256}]"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("referred_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column(
            "police_reference", sa.String(length=100), nullable=True, comment="the police's own number"
        ),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_violation_referral_decision_id_decision")
        ),
        sa.ForeignKeyConstraint(
            ["police_agency_id"], ["agency.id"], name=op.f("fk_violation_referral_police_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["referring_agency_id"],
            ["agency.id"],
            name=op.f("fk_violation_referral_referring_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["violation_id"], ["violation.id"], name=op.f("fk_violation_referral_violation_id_violation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_referral")),
        sa.UniqueConstraint(
            "violation_id",
            "police_agency_id",
            name=op.f("uq_violation_referral_violation_id_police_agency_id"),
        ),
    )
    op.create_index(
        op.f("ix_violation_referral_violation_id"), "violation_referral", ["violation_id"], unique=False
    )
    op.create_table(
        "audit_subject",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["audit_entry.id"], name=op.f("fk_audit_subject_entry_id_audit_entry")
        ),
        sa.PrimaryKeyConstraint("subject_id", "entry_id", name=op.f("pk_audit_subject")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_subject_append_only BEFORE UPDATE OR DELETE ON audit_subject "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_subject_no_truncate BEFORE TRUNCATE ON audit_subject "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_subject_append_only ON audit_subject")
        op.execute("DROP TRIGGER IF EXISTS audit_subject_no_truncate ON audit_subject")
    op.drop_table("audit_subject")
    op.drop_index(op.f("ix_violation_referral_violation_id"), table_name="violation_referral")
    op.drop_table("violation_referral")
    op.drop_index(op.f("ix_violation_tax_recovery_violation_id"), table_name="violation_tax_recovery")
    op.drop_table("violation_tax_recovery")
