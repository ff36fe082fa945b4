"""Partner exports on the job queue (issue 19)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03

`exchange_export` is one requested STIX export, built by the job queue's workers in parts
(services.exchange.export); `exchange_export_object` keeps each part's objects, once each, in the
bundle's order (modified, then the STIX id byte by byte: collation "C" on PostgreSQL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import registry.db

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_export",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column(
            "caller",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="the requesting client as the job sees it: agency, scopes, officer",
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "since",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="only objects modified after it",
        ),
        sa.Column(
            "as_of",
            registry.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="the instant whose blocks in effect are exported",
        ),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column(
            "cursor", sa.String(length=120), nullable=True, comment="the last record done in the phase"
        ),
        sa.Column("total", sa.Integer(), nullable=True, comment="records to go through, once counted"),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.String(length=120), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="last progress; a job silent too long was interrupted",
        ),
        sa.Column("finished_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "attempts", sa.Integer(), nullable=False, comment="runs started; a resumed job counts again"
        ),
        sa.CheckConstraint(
            "phase IN ('count', 'identifiers', 'cases', 'blocks', 'done')",
            name=op.f("ck_exchange_export_phase"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_exchange_export_status")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_exchange_export_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_export")),
    )
    with op.batch_alter_table("exchange_export", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_export_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "exchange_export_object",
        sa.Column("export_id", sa.Uuid(), nullable=False),
        sa.Column(
            "stix_id",
            sa.String(length=120).with_variant(sa.String(length=120, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "modified",
            registry.db.UTCDateTime(timezone=True),
            nullable=False,
            comment="the bundle's order: modified, then id",
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=True, comment="a seller's identity: the seller"),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["exchange_export.id"],
            name=op.f("fk_exchange_export_object_export_id_exchange_export"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("export_id", "stix_id", name=op.f("pk_exchange_export_object")),
    )
    with op.batch_alter_table("exchange_export_object", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_export_object_order", ["export_id", "modified", "stix_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_export_object", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_export_object_order")

    op.drop_table("exchange_export_object")
    with op.batch_alter_table("exchange_export", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_export_agency_id"))

    op.drop_table("exchange_export")
