"""Partner agencies: foreign partners and CERT-style platforms that pull the exchange feeds

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

- agency.kind: `partner` joins the kinds (scopes: exchange:read; visibility: public records and those
  shared with it by name, like an association). No partner is seeded: each is added with
  `registry agencies add --kind partner` when an agreement exists (the demo data adds one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = (
    "'state_body', 'province', 'executor_isp', 'executor_bank', 'domain_registry', 'association', 'oversight'"
)
KINDS_AFTER = KINDS_BEFORE + ", 'partner'"


def _kinds(before: str, after: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_agency_kind"), "agency", type_="check")
        op.create_check_constraint(op.f("ck_agency_kind"), "agency", f"kind IN ({after})")
        return
    # SQLite cannot alter a constraint, and batch mode's copy-and-drop of `agency` fails: every table
    # references it and foreign keys are on (and cannot be turned off inside the migration's
    # transaction). The table's text is rewritten instead, SQLite's documented way to change a CHECK
    # constraint (sqlite.org/lang_altertable.html, "making other kinds of table schema changes"); the
    # rows are checked against the new text first, as that procedure leaves to the caller.
    old = f"CONSTRAINT ck_agency_kind CHECK (kind IN ({before}))"
    new = f"CONSTRAINT ck_agency_kind CHECK (kind IN ({after}))"
    sql = bind.scalar(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'agency'"))
    assert sql is not None and sql.count(old) == 1, "agency's kind check is not the one this migration expects"
    outside = bind.scalar(sa.text(f"SELECT count(*) FROM agency WHERE kind NOT IN ({after})"))
    if outside:
        raise RuntimeError("agencies of a kind being removed remain (retire and delete them first)")
    version = bind.scalar(sa.text("PRAGMA schema_version"))
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'agency'"),
        {"sql": sql.replace(old, new)},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    _kinds(KINDS_BEFORE, KINDS_AFTER)


def downgrade() -> None:
    # A partner still registered (with its clients and audit trail) stops the downgrade: the migration
    # does not delete an agency (PostgreSQL refuses the constraint, SQLite the count above).
    _kinds(KINDS_AFTER, KINDS_BEFORE)
