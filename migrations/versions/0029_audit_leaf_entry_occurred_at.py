"""Each leaf carries its entry's `occurred_at`, so reading a leaf's entry reads one monthly partition

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03

Since migration 0027 the key of `audit_entry` on PostgreSQL is `(id, occurred_at)`, partitioned by month of
`occurred_at`. A leaf named its entry by `id` alone, so every read from leaves to entries (a proof's block
of leaf hashes, `GET /audit/entries`, the tiles archive writer, `registry audit verify --database`,
`registry audit export`) probed the `id` index of every month's partition for each leaf, or hashed every
partition whole (bench.partitions: 36 months, bench/README.md). `audit_leaf.entry_occurred_at` is the
rest of the entry's key: the sequencer writes it with the leaf, from the entry it read, and the reads join
on both columns, so PostgreSQL prunes to the entry's partition.

Existing leaves get it from their entry. The table is append-only (trigger `audit_leaf_append_only`),
so the trigger is off for that one UPDATE, in this migration's transaction, run by the tables' owner.
A leaf whose entry is gone (its month dropped by `registry audit retention`, below the retention floor,
never read again) keeps NULL, as does any leaf without its entry: the verifier reports it as before.
This rewrites `audit_leaf` once, acceptable while the registry is not in production.

SQLite (no partitions) gets the same column, so the same code runs on both.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_leaf",
        sa.Column(
            "entry_occurred_at",
            registry.db.UTCDateTime(timezone=True),
            nullable=True,
            comment="the entry's occurred_at: with entry_id its key in audit_entry (partitioned by it)",
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_leaf DISABLE TRIGGER audit_leaf_append_only")
        op.execute(
            "UPDATE audit_leaf l SET entry_occurred_at = e.occurred_at FROM audit_entry e WHERE e.id = l.entry_id"
        )
        op.execute("ALTER TABLE audit_leaf ENABLE TRIGGER audit_leaf_append_only")
    else:
        op.execute(
            "UPDATE audit_leaf SET entry_occurred_at = "
            "(SELECT e.occurred_at FROM audit_entry e WHERE e.id = audit_leaf.entry_id)"
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_leaf") as batch:
        batch.drop_column("entry_occurred_at")
