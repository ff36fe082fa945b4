"""Screening jobs: the time of their last progress, so a job its process abandoned can be told apart

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28

A job runs in a thread of the API process that accepted it; if that process stops, the job stays
"running" for ever. With the time of the last progress, reading such a job reports it failed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("screening_job") as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                registry.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="last progress; a job silent too long was interrupted",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("screening_job") as batch_op:
        batch_op.drop_column("updated_at")
