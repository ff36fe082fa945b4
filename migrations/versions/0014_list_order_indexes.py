"""Lists read in the order of an index: subjects, identifiers and links oldest first, violations newest

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28

A list page (services.pagination.paginate) reads its rows in the list's order and stops after the
page. Without an index in that order PostgreSQL sorted every visible row for each page: 0.9 s for a
page of subjects, 4 s of violations and 15 s of links at national scale (1M subjects, 3M identifiers
and links, 5M violations).

On PostgreSQL the indexes are built CONCURRENTLY, outside the migration's transaction, so writes go on
while they build; an INVALID index left by a failed build is dropped and built anew (as in 0012).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_subject_created_at_id": "subject (created_at, id)",
    "ix_identifier_created_at_id": "identifier (created_at, id)",
    "ix_link_created_at_id": "link (created_at, id)",
    "ix_violation_detected_at_id": "violation (detected_at, id)",
}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for name, definition in INDEXES.items():
        if not _postgresql():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
            continue
        with op.get_context().autocommit_block():
            invalid = op.get_bind().execute(
                sa.text(
                    "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
                    "WHERE pg_class.relname = :name AND NOT pg_index.indisvalid"
                ),
                {"name": name},
            )
            if invalid.first() is not None:  # left by a concurrent build that failed
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def downgrade() -> None:
    for name in INDEXES:
        if not _postgresql():
            op.execute(f"DROP INDEX IF EXISTS {name}")
            continue
        with op.get_context().autocommit_block():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
