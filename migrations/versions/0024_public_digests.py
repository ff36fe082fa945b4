"""Digests of the flagged bank accounts and phone numbers, for the public range query

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03

`public_digest` holds the SHA-256 of the canonical value of every bank account and phone linked to a
published violation (public, confirmed or sanctioned), as 5 + 59 hex characters: the public range query
(`GET /api/v1/public/ranges/{kind}/{prefix}`) reads it by (kind, prefix). `public_digest_change` marks
the violations changed since it was brought up to date; the next range query brings the digests of the
values they name up to date (bank accounts are encrypted at rest, so only the application, which holds
the key, can compute their digests). The mark inserted here (no violation: everything) makes the first
range query fill the table from the data already there.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_digest",
        sa.Column("identifier_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "prefix", sa.String(length=5), nullable=False, comment="first 5 hex characters of the SHA-256"
        ),
        sa.Column("suffix", sa.String(length=59), nullable=False, comment="the other 59"),
        sa.ForeignKeyConstraint(
            ["identifier_id"],
            ["identifier.id"],
            name=op.f("fk_public_digest_identifier_id_identifier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("identifier_id", name=op.f("pk_public_digest")),
    )
    op.create_index("ix_public_digest_kind_prefix", "public_digest", ["kind", "prefix"])
    changes = op.create_table(
        "public_digest_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Uuid(), nullable=True, comment="no foreign key: it may be deleted"),
        sa.Column("identifier_id", sa.Uuid(), nullable=True, comment="taken off the violation"),
        sa.Column("at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_digest_change")),
    )
    op.bulk_insert(changes, [{"violation_id": None, "identifier_id": None, "at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("public_digest_change")
    op.drop_index("ix_public_digest_kind_prefix", table_name="public_digest")
    op.drop_table("public_digest")
