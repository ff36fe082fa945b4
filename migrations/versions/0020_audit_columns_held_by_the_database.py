"""PostgreSQL holds the audit search columns to the signed body itself; the subjects an entry reached
become a column of the entry

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

`GET /audit/search` answers from `audit_entry`'s columns (time, agency, client, officer, action,
resource, outcome, status code, purpose, request id) and `resource=subject:<id>` from the subjects an
entry's answer reached. Until now `registry audit verify --database` compared every row's columns with
its signed body, O(entries) of JSON parsing (10 s for a million entries on PostgreSQL).

On PostgreSQL the check constraint `ck_audit_entry_signed` now states that each of those columns is
what the entry's body says (`IS NOT DISTINCT FROM` the body's key, absent keys as NULL). The database
evaluates it on every INSERT and UPDATE, whoever writes, with triggers disabled or not, so a column can
no longer differ from its body unless the constraint is dropped. It cannot be switched off: to edit a
column one must drop it, and adding it back either checks every row again (and fails) or leaves it
NOT VALID. So the verifier reads the catalogue instead of every row: the constraint is there,
validated, and defined exactly as here (`registry.audit.verify`). Only built-in functions appear in it,
so there is no function of ours whose definition could be swapped while a row is rewritten and then
restored. `json` rather than `jsonb`: each column's check scans the body text, cheaper than building a
jsonb value each time (bench/README.md, seventh session, has what the check costs an insert).

`audit_subject` (one row per subject reached, migration 0019) becomes `audit_entry.subjects`, the
body's `subjects` list (jsonb on PostgreSQL, with a GIN index for `subjects @> '["<id>"]'`), held by
the same constraint; a separate table could not be (a check constraint sees one row). It is filled
from the signed bodies, not from the old index rows.

SQLite has no constraint here: its file's owner can set `PRAGMA ignore_check_constraints` and leave no
trace, so the verifier keeps comparing every row there (SQLite is the development database).

Adding the constraint reads and checks every existing entry, and filling `subjects` rewrites the
entries that have any: acceptable while the registry is not in production. A log whose columns were
already altered cannot be upgraded (the constraint refuses it): the verifier would have failed it too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BODY = "convert_from(body, 'UTF8')::json"
# (column, what the signed body says it is); frozen here, `registry.audit.verify` expects its rendering.
SIGNED = (
    ("occurred_at", f"({BODY} ->> 'time')::timestamptz"),
    *(
        (column, f"({BODY} ->> '{column}')")
        for column in ("agency", "client_id", "officer", "action", "resource_type", "resource_id", "outcome")
    ),
    ("status_code", f"({BODY} ->> 'status_code')::integer"),
    ("purpose", f"({BODY} ->> 'purpose')"),
    ("request_id", f"({BODY} ->> 'request_id')"),
    ("subjects", f"({BODY} -> 'subjects')::jsonb"),
)
CHECK = " AND ".join(f"{column} IS NOT DISTINCT FROM {signed}" for column, signed in SIGNED)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "audit_entry",
        sa.Column(
            "subjects",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
            comment="the body's `subjects`: the subjects the answer reached besides its resource",
        ),
    )
    if postgres:
        op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
        op.execute(
            f"UPDATE audit_entry SET subjects = ({BODY} -> 'subjects')::jsonb "
            "WHERE convert_from(body, 'UTF8')::jsonb ? 'subjects'"
        )
        op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only")
        op.execute(f"ALTER TABLE audit_entry ADD CONSTRAINT ck_audit_entry_signed CHECK ({CHECK})")
        op.execute("CREATE INDEX ix_audit_entry_subjects ON audit_entry USING gin (subjects jsonb_path_ops)")
        op.execute("DROP TRIGGER IF EXISTS audit_subject_append_only ON audit_subject")
        op.execute("DROP TRIGGER IF EXISTS audit_subject_no_truncate ON audit_subject")
    else:  # CAST: SQLite 3.45+ would read a BLOB as its binary JSONB
        op.execute(
            "UPDATE audit_entry SET subjects = json_extract(CAST(body AS TEXT), '$.subjects') "
            "WHERE json_type(CAST(body AS TEXT), '$.subjects') IS NOT NULL"
        )
    op.drop_table("audit_subject")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "audit_subject",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["audit_entry.id"], name=op.f("fk_audit_subject_entry_id_audit_entry")
        ),
        sa.PrimaryKeyConstraint("subject_id", "entry_id", name=op.f("pk_audit_subject")),
    )
    if postgres:
        op.execute(
            "INSERT INTO audit_subject (subject_id, entry_id) SELECT DISTINCT s, id "
            "FROM audit_entry, jsonb_array_elements_text(subjects) AS s WHERE jsonb_typeof(subjects) = 'array'"
        )
        op.execute(
            "CREATE TRIGGER audit_subject_append_only BEFORE UPDATE OR DELETE ON audit_subject "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_subject_no_truncate BEFORE TRUNCATE ON audit_subject "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
        op.execute("DROP INDEX ix_audit_entry_subjects")
        op.execute("ALTER TABLE audit_entry DROP CONSTRAINT ck_audit_entry_signed")
    else:
        op.execute(
            "INSERT INTO audit_subject (subject_id, entry_id) SELECT DISTINCT s.value, e.id "
            "FROM audit_entry AS e, json_each(e.subjects) AS s WHERE json_type(e.subjects) = 'array'"
        )
    op.drop_column("audit_entry", "subjects")
