"""Freezing as the criminal procedure code expects: the frozen total, releases, urgent orders, flags,
the procuracy notified, the legal ground, and the delay's link to the order that follows it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

- freeze_order.frozen_total_vnd: what the banks hold frozen now, the sum the cap is checked against
  under a row lock (filled from the executed accounts); urgent; procuracy_agency_id (the procuracy
  notified reads the order); legal_ground (the ground cited, checked against the issuer's grounds).
- freeze_order_account: the release instruction each bank confirms (pending amount, confirmed amount,
  times and the bank's reference).
- freeze_order_flag: a defect of form the State Bank flags to the issuer, and the issuer's answer.
- transaction_delay: the order that follows it (it ends when that order is executed at the bank) and
  the bank's report of the delay to the State Bank (time and reference).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DT = registry.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("freeze_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("procuracy_agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("legal_ground", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("frozen_total_vnd", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_freeze_order_procuracy_agency_id_agency"),
            "agency",
            ["procuracy_agency_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_freeze_order_procuracy_agency_id"), ["procuracy_agency_id"])
        batch_op.create_check_constraint(batch_op.f("ck_freeze_order_frozen_total"), "frozen_total_vnd >= 0")
    op.execute(
        "UPDATE freeze_order SET frozen_total_vnd = COALESCE((SELECT SUM(a.amount_frozen_vnd) "
        "FROM freeze_order_account a WHERE a.order_id = freeze_order.id AND a.state = 'executed'), 0)"
    )
    with op.batch_alter_table("freeze_order", schema=None) as batch_op:
        batch_op.alter_column("urgent", server_default=None)
        batch_op.alter_column("frozen_total_vnd", server_default=None)

    with op.batch_alter_table("freeze_order_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("release_pending_vnd", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("release_requested_at", DT, nullable=True))
        batch_op.add_column(sa.Column("released_vnd", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("released_at", DT, nullable=True))
        batch_op.add_column(sa.Column("release_reference", sa.String(length=100), nullable=True))

    op.create_table(
        "freeze_order_flag",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("defect", sa.Text(), nullable=False),
        sa.Column("raised_at", DT, nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_agency_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_officer", sa.String(length=200), nullable=True),
        sa.Column("answered_at", DT, nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_freeze_order_flag_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_agency_id"],
            ["agency.id"],
            name=op.f("fk_freeze_order_flag_answered_by_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["freeze_order.id"],
            name=op.f("fk_freeze_order_flag_order_id_freeze_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze_order_flag")),
    )
    op.create_index(op.f("ix_freeze_order_flag_order_id"), "freeze_order_flag", ["order_id"])

    with op.batch_alter_table("transaction_delay", schema=None) as batch_op:
        batch_op.add_column(sa.Column("followed_by_order_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("sbv_reported_at", DT, nullable=True))
        batch_op.add_column(sa.Column("sbv_reference", sa.String(length=100), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_transaction_delay_followed_by_order_id_freeze_order"),
            "freeze_order",
            ["followed_by_order_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_transaction_delay_followed_by_order_id"), ["followed_by_order_id"]
        )
    # Delays already linked to an order were linked at its submission.
    op.execute(
        "UPDATE transaction_delay SET followed_by_order_id = superseded_by_order_id "
        "WHERE superseded_by_order_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("transaction_delay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transaction_delay_followed_by_order_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_transaction_delay_followed_by_order_id_freeze_order"), type_="foreignkey"
        )
        batch_op.drop_column("sbv_reference")
        batch_op.drop_column("sbv_reported_at")
        batch_op.drop_column("followed_by_order_id")
    op.drop_index(op.f("ix_freeze_order_flag_order_id"), table_name="freeze_order_flag")
    op.drop_table("freeze_order_flag")
    with op.batch_alter_table("freeze_order_account", schema=None) as batch_op:
        for column in ("release_reference", "released_at", "released_vnd", "release_requested_at"):
            batch_op.drop_column(column)
        batch_op.drop_column("release_pending_vnd")
    with op.batch_alter_table("freeze_order", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_freeze_order_frozen_total"), type_="check")
        batch_op.drop_index(batch_op.f("ix_freeze_order_procuracy_agency_id"))
        batch_op.drop_constraint(batch_op.f("fk_freeze_order_procuracy_agency_id_agency"), type_="foreignkey")
        for column in ("frozen_total_vnd", "urgent", "legal_ground", "procuracy_agency_id"):
            batch_op.drop_column(column)
