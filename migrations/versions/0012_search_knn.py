"""Name search read nearest-first: GiST trigram index instead of GIN; exact names by (name, created_at, id)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28

services/search.py reads the names containing a query nearest-first by word similarity
(`q <<-> name_folded`) and stops after the page it answers. Only a GiST trigram index can return rows
in that order; a GIN one can only hand over every match (and must intersect the posting lists of
trigrams most names share: ~70 ms for a company name at 1M subjects). Exact names are read oldest first
from a b-tree on (name_folded, created_at, id), which replaces the one on name_folded alone.

The statements are idempotent (IF [NOT] EXISTS) so that an index built by hand beforehand on a large
database (e.g. CREATE INDEX CONCURRENTLY, which cannot run in a migration's transaction) is kept.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_subject_name_folded_created_at ON subject (name_folded, created_at, id)"
    )
    op.execute("DROP INDEX IF EXISTS ix_subject_name_folded")
    if op.get_bind().dialect.name == "postgresql":
        # 32-byte signatures (default 12): a rare trigram then rules out most of the tree, so a name that
        # is not there is answered in ~3 ms instead of up to 60 (bench/README.md, "Name search").
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_subject_name_folded_gist ON subject "
            "USING gist (name_folded gist_trgm_ops(siglen=32))"
        )
        op.execute("DROP INDEX IF EXISTS ix_subject_name_folded_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_subject_name_folded_trgm ON subject USING gin (name_folded gin_trgm_ops)"
        )
        op.execute("DROP INDEX IF EXISTS ix_subject_name_folded_gist")
    op.execute("CREATE INDEX IF NOT EXISTS ix_subject_name_folded ON subject (name_folded)")
    op.execute("DROP INDEX IF EXISTS ix_subject_name_folded_created_at")
