"""Subjects listed by name in Vietnamese alphabetical order

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

`GET /api/v1/subjects?sort=name` orders by `name COLLATE "vi-x-icu"` on PostgreSQL (ICU's Vietnamese
collation: Ă and Â after A, Đ after D, tones then case break ties); this index serves that order (and
the list's pages) without a sort. SQLite sorts with the same order in Python (identifiers.collation) and
needs no index for its embedded sizes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_subject_name_vi ON subject (name COLLATE "vi-x-icu", id)')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_subject_name_vi")
