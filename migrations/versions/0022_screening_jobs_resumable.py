"""Screening jobs resumable by the job queue: the list kept encrypted, each part's answer as it is done

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03

A job ran in a thread of the web process and was lost with it. It now runs in a worker of the job queue
(registry/jobs.py); the list (`items_enc`) and the submitting caller (`caller`) are kept with the job, and
each part's answer in `screening_job_part`, so that another worker goes on where a stopped one left off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("screening_job") as batch:
        batch.add_column(
            sa.Column(
                "items_enc",
                sa.LargeBinary(),
                nullable=True,
                comment="AES-GCM of the zlib-compressed JSON list; kept until the job ends",
            )
        )
        batch.add_column(
            sa.Column(
                "caller",
                JSON,
                nullable=True,
                comment="the submitting client as the job sees it: agency, scopes, officer",
            )
        )
        batch.add_column(
            sa.Column(
                "attempts",
                sa.Integer(),
                nullable=False,
                server_default="0",
                comment="runs started; a resumed job counts again",
            )
        )
    op.create_table(
        "screening_job_part",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("start", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column(
            "sealed",
            sa.LargeBinary(),
            nullable=False,
            comment="AES-GCM of the zlib-compressed JSON results and list elements",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["screening_job.id"],
            name=op.f("fk_screening_job_part_job_id_screening_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "start", name=op.f("pk_screening_job_part")),
    )


def downgrade() -> None:
    op.drop_table("screening_job_part")
    with op.batch_alter_table("screening_job") as batch:
        batch.drop_column("attempts")
        batch.drop_column("caller")
        batch.drop_column("items_enc")
