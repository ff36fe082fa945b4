"""Screening jobs; trigram index on the folded subject name (PostgreSQL)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screening_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=True),
        sa.Column(
            "list_sha256", sa.String(length=64), nullable=False, comment="SHA-256 of the keyed-hash list"
        ),
        sa.Column(
            "result_enc",
            sa.LargeBinary(),
            nullable=True,
            comment="AES-GCM of the zlib-compressed JSON answer",
        ),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_screening_job_status")
        ),
        sa.CheckConstraint("processed >= 0 AND processed <= total", name=op.f("ck_screening_job_progress")),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_screening_job_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_job")),
    )
    op.create_index(op.f("ix_screening_job_agency_id"), "screening_job", ["agency_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # The folded column is already accent-free (fold_name, the same on both databases), so trigrams
        # on it need no unaccent(). pg_trgm is a trusted extension: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_subject_name_folded_trgm ON subject USING gin (name_folded gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_subject_name_folded_trgm")
    op.drop_index(op.f("ix_screening_job_agency_id"), table_name="screening_job")
    op.drop_table("screening_job")
