"""Blocking as the plan's roles run it: the telecom authority's succession, executors' unblocking
acknowledgements, `technically_infeasible` replies, and how a mirror target rests on its original's decision

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

- Agency MIC (the telecom authority's blocking function) ends on 2025-02-28; its successor is MOST (the
  2025 reorganisation moved the telecom authority into the science ministry). History keeps MIC.
- block_executor: the removal an executor confirms after a request it executed ends.
- block_acknowledgement: `technically_infeasible` with a required note.
- block_target.mirror_coverage: `named` in the original's decision, or only `linked` to its subjects.
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS_BEFORE = "('already_blocked', 'not_our_customer', 'invalid_target')"
REASONS_AFTER = "('already_blocked', 'not_our_customer', 'invalid_target', 'technically_infeasible')"
ACK_BEFORE = f"(outcome = 'executed' AND reason IS NULL) OR (outcome = 'not_executable' AND reason IN {REASONS_BEFORE})"
ACK_AFTER = (
    f"(outcome = 'executed' AND reason IS NULL) OR (outcome = 'not_executable' AND reason IN {REASONS_AFTER} "
    "AND (reason <> 'technically_infeasible' OR note IS NOT NULL))"
)

agency = sa.table(
    "agency",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("valid_to", sa.Date),
    sa.column("successor_id", sa.Integer),
)

MIC_LAST_DAY = date(2025, 2, 28)  # Decree 55/2025/NĐ-CP (MOST's functions) took effect 2025-03-01 (check)


def upgrade() -> None:
    conn = op.get_bind()
    most = conn.scalar(sa.select(agency.c.id).where(agency.c.code == "MOST"))
    conn.execute(
        agency.update()
        .where(agency.c.code == "MIC", agency.c.valid_to.is_(None))
        .values(valid_to=MIC_LAST_DAY, successor_id=most)
    )
    with op.batch_alter_table("block_executor") as batch_op:
        batch_op.add_column(
            sa.Column(
                "unblock_due_at",
                registry.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="set when a request it executed ends (lift, revoke, upheld appeal, expiry): "
                "confirm removal by then",
            )
        )
        batch_op.add_column(
            sa.Column(
                "unblocked_at",
                registry.db.UTCDateTime(timezone=True),
                nullable=True,
                comment="when the executor confirmed the removal",
            )
        )
        batch_op.add_column(
            sa.Column("unblocked_by", sa.String(length=200), nullable=True, comment="officer who confirmed it")
        )
        batch_op.add_column(
            sa.Column(
                "unblock_agency_id",
                sa.Integer(),
                nullable=True,
                comment="agency that recorded it (the deciding agency, for a platform)",
            )
        )
        batch_op.add_column(sa.Column("unblock_client_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("unblock_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_block_executor_unblock_agency_id_agency"), "agency", ["unblock_agency_id"], ["id"]
        )
    with op.batch_alter_table("block_acknowledgement") as batch_op:
        batch_op.drop_constraint(op.f("ck_block_acknowledgement_reason"), type_="check")
        batch_op.create_check_constraint(op.f("ck_block_acknowledgement_reason"), ACK_AFTER)
    with op.batch_alter_table("block_target") as batch_op:
        batch_op.add_column(
            sa.Column(
                "mirror_coverage",
                sa.String(length=16),
                nullable=True,
                comment="a mirror resting on its original's decision: named in it, or only linked to its "
                "subjects (then a decider's confirm_mirror step is needed before approval)",
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_block_target_coverage"),
            "mirror_coverage IS NULL OR mirror_coverage IN ('named', 'linked')",
        )


def downgrade() -> None:
    with op.batch_alter_table("block_target") as batch_op:
        batch_op.drop_constraint(op.f("ck_block_target_coverage"), type_="check")
        batch_op.drop_column("mirror_coverage")
    op.execute("DELETE FROM block_acknowledgement WHERE reason = 'technically_infeasible'")
    with op.batch_alter_table("block_acknowledgement") as batch_op:
        batch_op.drop_constraint(op.f("ck_block_acknowledgement_reason"), type_="check")
        batch_op.create_check_constraint(op.f("ck_block_acknowledgement_reason"), ACK_BEFORE)
    with op.batch_alter_table("block_executor") as batch_op:
        batch_op.drop_constraint(op.f("fk_block_executor_unblock_agency_id_agency"), type_="foreignkey")
        for column in (
            "unblock_note",
            "unblock_client_id",
            "unblock_agency_id",
            "unblocked_by",
            "unblocked_at",
            "unblock_due_at",
        ):
            batch_op.drop_column(column)
    op.get_bind().execute(
        agency.update().where(agency.c.code == "MIC").values(valid_to=None, successor_id=None)
    )
