"""The access generation: a value that changes whenever agencies, clients, keys or revocations do

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28

Processes cache what they derive from these rows (verified tokens, verification keys, agency codes)
and read this one row per request to know whether the cache still holds. Triggers, not application
code, change it, so a change made by the CLI, another process or plain SQL counts too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("agency", "oauth_client", "signing_key", "revoked_token")
OPERATIONS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "access_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_generation")),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("INSERT INTO access_generation (id, value) VALUES (1, md5(gen_random_uuid()::text))")
        op.execute(
            "CREATE FUNCTION registry_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE access_generation SET value = md5(gen_random_uuid()::text); RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_access_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION registry_access_changed()"
            )
    else:
        op.execute("INSERT INTO access_generation (id, value) VALUES (1, lower(hex(randomblob(16))))")
        for table in WATCHED:
            for operation in OPERATIONS:
                op.execute(
                    f"CREATE TRIGGER {table}_access_changed_{operation} AFTER {operation.upper()} ON {table} "
                    "BEGIN UPDATE access_generation SET value = lower(hex(randomblob(16))); END"
                )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_access_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS registry_access_changed()")
    else:
        for table in WATCHED:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_access_changed_{operation}")
    op.drop_table("access_generation")
