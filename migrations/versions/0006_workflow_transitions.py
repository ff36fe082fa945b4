"""Workflow transitions shared by block requests and freeze orders

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("officer", sa.String(length=200), nullable=True, comment="sub of the officer who acted"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True, comment="JSON facts of the step, e.g. executor reply"),
        sa.Column("at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_workflow_transition_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_workflow_transition_decision_id_decision")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_transition")),
    )
    op.create_index(
        "ix_workflow_transition_record", "workflow_transition", ["record_type", "record_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_workflow_transition_record", table_name="workflow_transition")
    op.drop_table("workflow_transition")
