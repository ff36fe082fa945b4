"""The cases in figures, for the reports (issue 18)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03

`case_summary` holds, per Vietnamese day of detection and per month, the number of cases (and of those
handled) and their amounts by owner, visibility and province, and their number under each category and
goods group; a report adds up its rows (services.reports.summary). `case_summary_change` marks the days changed since they were
counted; the next report counts them again. The mark inserted here (no day: every day) makes the first
report count the cases already there.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("span", sa.String(length=8), nullable=False, comment="day or month"),
        sa.Column(
            "day",
            sa.Date(),
            nullable=False,
            comment="the Vietnamese date of detection, or its month's first",
        ),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False, comment="the detecting agency"),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=True),
        sa.Column(
            "dim", sa.String(length=16), nullable=False, comment="empty: the cases; category or goods_group"
        ),
        sa.Column(
            "value", sa.String(length=64), nullable=False, comment="the category or goods group; empty"
        ),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False, comment="of which sanctioned"),
        sa.Column("fines_vnd", sa.BigInteger(), nullable=False),
        sa.Column("tax_recovered_vnd", sa.BigInteger(), nullable=False, comment="with the tax additions"),
        sa.Column("goods_value_vnd", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_summary")),
    )
    op.create_index("ix_case_summary_span_day", "case_summary", ["span", "day", "dim"])
    changes = op.create_table(
        "case_summary_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_summary_change")),
    )
    op.bulk_insert(changes, [{"day": None, "at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("case_summary_change")
    op.drop_index("ix_case_summary_span_day", table_name="case_summary")
    op.drop_table("case_summary")
