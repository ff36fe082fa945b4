"""One decision per issuer, number and date, enforced by the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

The API already answers 409 for a duplicate it can see; this closes the race of two agencies
registering the same document at the same moment.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision") as batch_op:
        batch_op.create_unique_constraint(
            op.f("uq_decision_issuer_agency_id_number_issued_on"), ["issuer_agency_id", "number", "issued_on"]
        )


def downgrade() -> None:
    with op.batch_alter_table("decision") as batch_op:
        batch_op.drop_constraint(op.f("uq_decision_issuer_agency_id_number_issued_on"), type_="unique")
