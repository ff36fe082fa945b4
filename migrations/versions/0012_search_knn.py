"""Name search read nearest-first: GiST trigram index instead of GIN; exact names by (name, created_at, id)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28

services/search.py reads the names containing a query nearest-first by word similarity
(`q <<-> name_folded`) and stops after the page it answers. Only a GiST trigram index can return rows
in that order; a GIN one can only hand over every match (and must intersect the posting lists of
trigrams most names share: ~70 ms for a company name at 1M subjects). Exact names are read oldest first
from a b-tree on (name_folded, created_at, id), which replaces the one on name_folded alone.

On PostgreSQL the indexes are built and dropped CONCURRENTLY, outside the migration's transaction
(Alembic's autocommit block), so the registry keeps writing subjects while they build (10-20 s at 1M
subjects; a plain CREATE INDEX would block those writes). A concurrent build that fails leaves an
INVALID index behind; running the upgrade again drops it and builds it anew. An index built by hand
beforehand is kept (IF NOT EXISTS).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create(name: str, definition: str) -> None:
    if not _postgresql():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
        return
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


def _drop(name: str) -> None:
    if not _postgresql():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def upgrade() -> None:
    _create("ix_subject_name_folded_created_at", "subject (name_folded, created_at, id)")
    _drop("ix_subject_name_folded")
    if _postgresql():
        # 32-byte signatures (default 12): a rare trigram then rules out most of the tree, so a name that
        # is not there is answered in ~3 ms instead of up to 60 (bench/README.md, "Name search").
        _create("ix_subject_name_folded_gist", "subject USING gist (name_folded gist_trgm_ops(siglen=32))")
        _drop("ix_subject_name_folded_trgm")


def downgrade() -> None:
    if _postgresql():
        _create("ix_subject_name_folded_trgm", "subject USING gin (name_folded gin_trgm_ops)")
        _drop("ix_subject_name_folded_gist")
    _create("ix_subject_name_folded", "subject (name_folded)")
    _drop("ix_subject_name_folded_created_at")
