"""PostgreSQL keeps the audit entries in one partition per month, so that archived months can be dropped

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03

At full load the log grows ~25 GB a day. `audit_entry` becomes `PARTITION BY RANGE (occurred_at)`, one
partition per calendar month (UTC) named `audit_entry_y<YYYY>m<MM>`, plus `audit_entry_default` for
an entry whose month has no partition yet (a safety net: `registry audit partitions` makes the coming
months ahead of time and reports rows found there). Dropping a month's partition (`registry audit
retention`, once the month is in the tlog-tiles archive) is then a catalogue change instead of deleting
billions of rows.

What changes with it:

* The primary key becomes `(id, occurred_at)`: a partitioned table's unique keys must hold the partition
  key. `id` stays drawn from the same sequence `audit_entry_id_seq`, so it stays unique in practice.
* The foreign key `audit_leaf.entry_id -> audit_entry(id)` goes: it needs a unique `id` alone, and it
  would forbid dropping a partition whose entries have leaves. What it guaranteed (every leaf has its
  entry) the verifier checks instead: a leaf without its entry is a missing index or a wrong root.
  `audit_leaf` (unique `entry_id`) and `audit_checkpoint` are not partitioned.
* `ck_audit_entry_signed` (0020), the indexes (with the GIN index on `subjects`) and the row trigger
  `audit_entry_append_only` are declared on the parent, and PostgreSQL gives them to every partition
  (a partition cannot drop an inherited constraint or trigger). A TRUNCATE trigger is a statement
  trigger, which PostgreSQL does not clone: `TRUNCATE audit_entry_y2026m12` would bypass the parent's.
  So every partition gets its own `audit_entry_no_truncate`, made by `audit_entry_add_month(month)`,
  the one function that creates partitions (this migration and `registry audit partitions` call it).
  It is SECURITY DEFINER (it runs as the tables' owner), as is `audit_entry_default_months()` (what the
  DEFAULT partition holds), so the archive's timer may run as the application role: it can add next
  month's partition but not drop, alter or detach one.
  `registry audit verify --database` checks that every partition has the constraint and both triggers.

The existing rows are moved: the old table is renamed, the partitioned one created, a partition made
for each month that has entries (and the current and next two months), the rows copied by
`INSERT ... SELECT` and the old table dropped. The copy passes the constraint again on every row. This
rewrites the whole log once, acceptable while the registry is not in production (a production log would
be moved month by month with `ATTACH PARTITION`).

Every retention drop is recorded in the append-only table `audit_retention` (also on SQLite, where
nothing is ever dropped: SQLite is the development database and has no partitions).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The non-unique indexes of audit_entry, re-created on the partitioned parent under the same names.
INDEXES = (
    ("ix_audit_entry_action", "(action)"),
    ("ix_audit_entry_agency_time", "(agency, occurred_at)"),
    ("ix_audit_entry_client_id", "(client_id)"),
    ("ix_audit_entry_occurred_at", "(occurred_at)"),
    ("ix_audit_entry_officer", "(officer)"),
    ("ix_audit_entry_resource_id", "(resource_id)"),
    ("ix_audit_entry_xact", "(xact)"),
    ("ix_audit_entry_subjects", "USING gin (subjects jsonb_path_ops)"),
)

# Creates the partition of the month holding `month` (any timestamp in it) unless it exists, with its
# TRUNCATE trigger. Returns 'created' or 'exists'. Refuses (an exception naming the month) when the
# DEFAULT partition holds entries of that month: PostgreSQL could not attach the range over them.
ADD_MONTH = r"""
CREATE FUNCTION audit_entry_add_month(month timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    low timestamptz := date_trunc('month', month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    high timestamptz := (date_trunc('month', month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    name text := 'audit_entry_' || to_char(month AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN 'exists';
    END IF;
    IF to_regclass('audit_entry_default') IS NOT NULL
       AND EXISTS (SELECT 1 FROM audit_entry_default WHERE occurred_at >= low AND occurred_at < high) THEN
        RAISE EXCEPTION 'audit_entry_default holds entries of %: partition % cannot be created', name, name
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF audit_entry FOR VALUES FROM (%L) TO (%L)', name, low, high);
    EXECUTE format('CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()', name);
    RETURN 'created';
END
$$
"""

# What the DEFAULT partition holds, by month (UTC): for `registry audit partitions`, which may run as the
# application role (that role reads entries through audit_entry, not the partitions themselves).
DEFAULT_MONTHS = """
CREATE FUNCTION audit_entry_default_months() RETURNS TABLE (month date, entries bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, count(*)
    FROM audit_entry_default GROUP BY 1 ORDER BY 1
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_retention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition", sa.String(length=63), nullable=False, comment="the dropped partition"),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the month whose entries went"),
        sa.Column("entries", sa.BigInteger(), nullable=False, comment="entries dropped with it"),
        sa.Column("last_leaf_index", sa.BigInteger(), nullable=True, comment="highest leaf index dropped"),
        sa.Column(
            "floor",
            sa.BigInteger(),
            nullable=False,
            comment="size of the signed checkpoint the database's log now starts from",
        ),
        sa.Column(
            "archive_size", sa.BigInteger(), nullable=False, comment="the tiles archive's checkpoint size"
        ),
        sa.Column("archive_root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("dropped_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_retention")),
        sa.UniqueConstraint("partition", name=op.f("uq_audit_retention_partition")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TRIGGER audit_retention_append_only BEFORE UPDATE OR DELETE ON audit_retention "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_retention_no_truncate BEFORE TRUNCATE ON audit_retention "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
    )

    op.execute("ALTER TABLE audit_leaf DROP CONSTRAINT fk_audit_leaf_entry_id_audit_entry")
    op.execute("ALTER TABLE audit_entry RENAME TO audit_entry_unpartitioned")
    op.execute("ALTER TABLE audit_entry_unpartitioned RENAME CONSTRAINT pk_audit_entry TO pk_audit_entry_old")
    for name, _ in INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.execute("ALTER SEQUENCE audit_entry_id_seq OWNED BY NONE")  # kept when the old table goes
    # LIKE copies the columns, their defaults (nextval of the same sequence; xact's pg_current_xact_id),
    # comments and ck_audit_entry_signed, defined as before.
    op.execute(
        "CREATE TABLE audit_entry (LIKE audit_entry_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING COMMENTS INCLUDING STORAGE, CONSTRAINT pk_audit_entry PRIMARY KEY (id, occurred_at)) "
        "PARTITION BY RANGE (occurred_at)"
    )
    op.execute("ALTER SEQUENCE audit_entry_id_seq OWNED BY audit_entry.id")
    for name, columns in INDEXES:
        op.execute(f"CREATE INDEX {name} ON audit_entry {columns}")
    op.execute(
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
    )
    op.execute("CREATE TABLE audit_entry_default PARTITION OF audit_entry DEFAULT")
    op.execute(
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry_default "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
    )
    op.execute(ADD_MONTH)
    op.execute(DEFAULT_MONTHS)
    op.execute(
        "SELECT audit_entry_add_month(month) FROM (SELECT DISTINCT "
        "date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month "
        "FROM audit_entry_unpartitioned UNION SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') "
        "+ n * interval '1 month') AT TIME ZONE 'UTC' "
        "FROM generate_series(0, 2) AS n) AS months"
    )
    op.execute("INSERT INTO audit_entry SELECT * FROM audit_entry_unpartitioned")
    op.execute("DROP TABLE audit_entry_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        if op.get_bind().exec_driver_sql("SELECT count(*) FROM audit_retention").scalar():
            raise RuntimeError(
                "audit entries were dropped by retention: the unpartitioned table cannot hold the log again"
            )
        op.execute("ALTER TABLE audit_entry RENAME TO audit_entry_partitioned")
        op.execute(
            "ALTER TABLE audit_entry_partitioned RENAME CONSTRAINT pk_audit_entry TO pk_audit_entry_old"
        )
        for name, _ in INDEXES:
            op.execute(f"DROP INDEX {name}")
        op.execute("ALTER SEQUENCE audit_entry_id_seq OWNED BY NONE")
        op.execute(
            "CREATE TABLE audit_entry (LIKE audit_entry_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING COMMENTS INCLUDING STORAGE, CONSTRAINT pk_audit_entry PRIMARY KEY (id))"
        )
        op.execute("ALTER SEQUENCE audit_entry_id_seq OWNED BY audit_entry.id")
        for name, columns in INDEXES:
            op.execute(f"CREATE INDEX {name} ON audit_entry {columns}")
        op.execute(
            "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
        op.execute("INSERT INTO audit_entry SELECT * FROM audit_entry_partitioned")
        op.execute("DROP TABLE audit_entry_partitioned")  # with its partitions
        op.execute("DROP FUNCTION audit_entry_add_month(timestamptz)")
        op.execute("DROP FUNCTION audit_entry_default_months()")
        op.execute(
            "ALTER TABLE audit_leaf ADD CONSTRAINT fk_audit_leaf_entry_id_audit_entry "
            "FOREIGN KEY (entry_id) REFERENCES audit_entry (id)"
        )
        op.execute("DROP TRIGGER audit_retention_append_only ON audit_retention")
        op.execute("DROP TRIGGER audit_retention_no_truncate ON audit_retention")
    op.drop_table("audit_retention")
