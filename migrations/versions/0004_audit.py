"""Append-only, sequenced, signed audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

`audit_entry.leaf_index` goes: the sequencer would have had to UPDATE entries. Instead it appends
`audit_leaf` rows (leaf index -> entry) and an `audit_checkpoint` row per signed tree head, which also
carries the Merkle frontier (CompactRange) it extends next. On PostgreSQL `audit_entry.xact` records
the inserting transaction's id, so the sequencer can tell which entries are surely committed.

On PostgreSQL every audit table refuses UPDATE, DELETE and TRUNCATE by trigger, and the application
role needs only INSERT and SELECT on them (plus USAGE on their id sequences), e.g.:

    GRANT SELECT, INSERT ON audit_entry, audit_leaf, audit_checkpoint, audit_signing_key,
        audit_witness, audit_cosignature TO registry_app;
    GRANT USAGE ON SEQUENCE audit_entry_id_seq, audit_signing_key_id_seq, audit_witness_id_seq,
        audit_cosignature_id_seq TO registry_app;

Only a table owner or superuser can `ALTER TABLE ... DISABLE TRIGGER`; that is what the verifier
(`registry audit verify`) is for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("audit_entry", "audit_leaf", "audit_checkpoint", "audit_signing_key", "audit_witness", "audit_cosignature")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_unsequenced", postgresql_where="leaf_index IS NULL")
        batch_op.drop_constraint("uq_audit_entry_leaf_index", type_="unique")
        batch_op.drop_column("leaf_index")
        batch_op.add_column(sa.Column(
            "xact", sa.BigInteger(), nullable=True,
            server_default=sa.text("(pg_current_xact_id()::text::bigint)") if postgres else None,
            comment="PostgreSQL: id of the inserting transaction (pg_current_xact_id), for the sequencer",
        ))  # fmt: skip
        batch_op.create_index(batch_op.f("ix_audit_entry_xact"), ["xact"], unique=False)

    op.create_table(
        "audit_leaf",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.Column("sequenced_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["audit_entry.id"], name=op.f("fk_audit_leaf_entry_id_audit_entry")),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_audit_leaf")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_audit_leaf_entry_id")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("compact_range", sa.LargeBinary(), nullable=False, comment="merkle.CompactRange.to_bytes()"),
        sa.Column("note", sa.Text(), nullable=False, comment="C2SP signed note of the tlog-checkpoint body"),
        sa.Column("xact_floor", sa.BigInteger(), nullable=True,
                  comment="PostgreSQL: every entry of a transaction below this id is sequenced"),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_audit_checkpoint")),
    )
    op.create_table(
        "audit_signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("signer_enc", sa.LargeBinary(), nullable=False, comment="PRIVATE+KEY text, AES-GCM encrypted"),
        sa.Column("overlap_seconds", sa.Integer(), nullable=False, comment="how long the previous key keeps signing"),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_signing_key")),
        sa.UniqueConstraint("verifier_key", name=op.f("uq_audit_signing_key_verifier_key")),
    )
    op.create_table(
        "audit_witness",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_witness")),
        sa.UniqueConstraint("verifier_key", name=op.f("uq_audit_witness_verifier_key")),
    )
    op.create_table(
        "audit_cosignature",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False, comment="the cosignature line, as appended to the note"),
        sa.Column("timestamp", sa.BigInteger(), nullable=False, comment="the witness's cosignature/v1 time"),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkpoint_size"], ["audit_checkpoint.size"],
                                name=op.f("fk_audit_cosignature_checkpoint_size_audit_checkpoint")),
        sa.ForeignKeyConstraint(["witness_id"], ["audit_witness.id"],
                                name=op.f("fk_audit_cosignature_witness_id_audit_witness")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_cosignature")),
    )
    op.create_index("ix_audit_cosignature_size_witness", "audit_cosignature", ["checkpoint_size", "witness_id"],
                    unique=True)  # fmt: skip

    if postgres:
        op.execute(
            """
            CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    op.drop_index("ix_audit_cosignature_size_witness", table_name="audit_cosignature")
    op.drop_table("audit_cosignature")
    op.drop_table("audit_witness")
    op.drop_table("audit_signing_key")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_leaf")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_xact"))
        batch_op.drop_column("xact")
        batch_op.add_column(sa.Column("leaf_index", sa.BigInteger(), nullable=True, comment="set by the sequencer"))
        batch_op.create_unique_constraint("uq_audit_entry_leaf_index", ["leaf_index"])
        batch_op.create_index("ix_audit_entry_unsequenced", ["id"], unique=False,
                              postgresql_where=sa.text("leaf_index IS NULL"))  # fmt: skip
