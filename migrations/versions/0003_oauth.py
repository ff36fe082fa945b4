"""OAuth client keys (private_key_jwt, jwt-bearer) and used assertion ids (replay refusal)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import registry.db

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column(
            "public_jwk",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="public part only; never `d`",
        ),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_client.id"],
            name=op.f("fk_client_key_client_id_oauth_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_key")),
        sa.UniqueConstraint("client_id", "kid", name=op.f("uq_client_key_client_id_kid")),
    )
    with op.batch_alter_table("client_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_key_client_id"), ["client_id"], unique=False)

    op.create_table(
        "used_assertion",
        sa.Column("key", sa.String(length=64), nullable=False, comment="SHA-256 of client id and jti"),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_used_assertion")),
    )
    with op.batch_alter_table("used_assertion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_assertion_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("used_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_assertion_expires_at"))
    op.drop_table("used_assertion")
    with op.batch_alter_table("client_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_key_client_id"))
    op.drop_table("client_key")
