"""Subjects an audited request reached, indexed for the auditors' `subject:<id>` search

Revision ID: 0019
Revises: 0014
Create Date: 2026-12-03

`audit_subject` lists, per entry, the subjects its answer showed besides its resource (search results,
a lookup's holders, screening matches, graph nodes, the subjects of cases and links, lists filtered on a
subject). The entry's signed body lists the same ids under `subjects`. Like every audit table it is
append-only: on PostgreSQL UPDATE, DELETE and TRUNCATE are refused by the triggers of migration 0004's
`audit_append_only()`; the application role needs only SELECT and INSERT on it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
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
