"""The over-blocking guard's published ranges (CDNs, clouds) and the site owner's complaints (issue 15)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

shared_infrastructure gets the provider whose published list an entry came from (`local` for the CSV
and the CLI: a provider's load replaces only its own entries, so one CIDR may be listed by several),
and its first and last address as sortable bytes (`range_start`, `range_end`) so the guard finds the
ranges around and inside a target with index lookups (services/protected.Guard). Seeds the published
ranges shipped in registry/data/ranges/ (sources.json gives each file's source and date), and the
entries of protected-domains.csv and shared-infrastructure.csv that carry their own source and date
(added or updated; 0007 gave every row of those files the files' 2026-11-28). Adds block_complaint.
"""

import csv
import ipaddress
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import registry.db
from registry.services import ranges

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).resolve().parents[2] / "registry" / "data"
BATCH = 1000

shared = sa.table(
    "shared_infrastructure",
    sa.column("id", sa.Integer), sa.column("provider", sa.String), sa.column("cidr", sa.String),
    sa.column("range_start", sa.LargeBinary), sa.column("range_end", sa.LargeBinary),
    sa.column("operator", sa.String), sa.column("kind", sa.String), sa.column("source", sa.String),
    sa.column("listed_on", sa.Date), sa.column("created_at", registry.db.UTCDateTime(timezone=True)),
)  # fmt: skip
protected = sa.table(
    "protected_domain",
    sa.column("domain", sa.String), sa.column("category", sa.String), sa.column("note", sa.String),
    sa.column("source", sa.String), sa.column("listed_on", sa.Date),
    sa.column("created_at", registry.db.UTCDateTime(timezone=True)),
)  # fmt: skip


def _keys(cidr: str) -> dict[str, bytes]:
    network = ipaddress.ip_network(cidr)
    return {
        "range_start": ranges.range_key(network.network_address),
        "range_end": ranges.range_key(network.broadcast_address),
    }


def _dated_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if (row.get("listed_on") or "").strip()]


def _seed(now: datetime) -> None:
    bind = op.get_bind()
    for entry in ranges.shipped():
        parsed = entry.provider.parse(entry.file.read_text(encoding="utf-8"))
        source = ranges.source_text(entry.provider, entry.published)
        values = [
            {"provider": entry.provider.name, "cidr": row.cidr, "operator": row.operator, "kind": row.kind,
             "source": source, "listed_on": entry.published, "created_at": now, **_keys(row.cidr)}
            for row in parsed.rows
        ]  # fmt: skip
        for start in range(0, len(values), BATCH):
            op.bulk_insert(shared, values[start : start + BATCH])
    for row in _dated_rows("shared-infrastructure.csv"):
        cidr = str(ipaddress.ip_network(row["cidr"].strip(), strict=False))
        bind.execute(shared.delete().where(shared.c.provider == "local", shared.c.cidr == cidr))
        op.bulk_insert(shared, [{
            "provider": "local", "cidr": cidr, "operator": row["operator"].strip(), "kind": row["kind"].strip(),
            "source": row["source"].strip(), "listed_on": date.fromisoformat(row["listed_on"].strip()),
            "created_at": now, **_keys(cidr),
        }])  # fmt: skip
    for row in _dated_rows("protected-domains.csv"):
        domain = row["domain"].strip().rstrip(".").lower()
        bind.execute(protected.delete().where(protected.c.domain == domain))
        op.bulk_insert(protected, [{
            "domain": domain, "category": row["category"].strip(), "note": row["operator"].strip() or None,
            "source": row["source"].strip(), "listed_on": date.fromisoformat(row["listed_on"].strip()),
            "created_at": now,
        }])  # fmt: skip


def upgrade() -> None:
    now = datetime.now(UTC)
    with op.batch_alter_table("shared_infrastructure") as batch:
        batch.add_column(
            sa.Column(
                "provider", sa.String(length=40), nullable=False, server_default="local",
                comment="whose published list it came from (services.ranges), or local (CSV, CLI)",
            )
        )  # fmt: skip
        batch.add_column(
            sa.Column(
                "range_start", sa.LargeBinary(length=17), nullable=True,
                comment="first address as ranges.range_key: version byte, 16 bytes",
            )
        )  # fmt: skip
        batch.add_column(
            sa.Column(
                "range_end", sa.LargeBinary(length=17), nullable=True, comment="last address, as range_start"
            )
        )
        batch.drop_constraint("uq_shared_infrastructure_cidr", type_="unique")
        batch.alter_column(
            "kind", existing_type=sa.String(length=32), existing_nullable=False,
            comment="cdn, cloud, platform, dns_resolver, shared_hosting",
            existing_comment="cdn, shared_hosting, cloud_files, ...",
        )  # fmt: skip
    bind = op.get_bind()
    for row_id, cidr in bind.execute(sa.select(shared.c.id, shared.c.cidr)).all():
        bind.execute(shared.update().where(shared.c.id == row_id).values(**_keys(cidr)))
    with op.batch_alter_table("shared_infrastructure") as batch:
        batch.alter_column("provider", server_default=None, existing_type=sa.String(length=40))
        batch.alter_column("range_start", nullable=False, existing_type=sa.LargeBinary(length=17))
        batch.alter_column("range_end", nullable=False, existing_type=sa.LargeBinary(length=17))
        batch.create_unique_constraint("uq_shared_infrastructure_provider_cidr", ["provider", "cidr"])
        batch.create_index("ix_shared_infrastructure_cidr", ["cidr"])
        batch.create_index("ix_shared_infrastructure_range_start", ["range_start"])
    _seed(now)
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE shared_infrastructure")  # the guard's lookups use the new indexes at once

    op.create_table(
        "block_complaint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "receipt_hash", sa.String(length=64), nullable=False, comment="keyed hash of the receipt code"
        ),
        sa.Column("target_kind", sa.String(length=8), nullable=False),
        sa.Column(
            "target", sa.String(length=2048), nullable=False, comment="the blocked domain or URL, canonical"
        ),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False, comment="AES-GCM: the complainant's name"),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True, comment="AES-GCM"),
        sa.Column("email_enc", sa.LargeBinary(), nullable=True, comment="AES-GCM"),
        sa.Column("filed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True, comment="the block complained of"),
        sa.Column(
            "linked_by", sa.String(length=200), nullable=True, comment="officer who linked it, or system"
        ),
        sa.Column("linked_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "answer", sa.Text(), nullable=True, comment="the deciding agency's answer, shown to the owner"
        ),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("answered_agency_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("appeal_id", sa.Uuid(), nullable=True, comment="the appeal it was turned into"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('received', 'under_review', 'answered', 'upheld', 'dismissed')",
            name=op.f("ck_block_complaint_status"),
        ),
        sa.CheckConstraint("target_kind IN ('domain', 'url')", name=op.f("ck_block_complaint_target_kind")),
        sa.ForeignKeyConstraint(
            ["answered_agency_id"], ["agency.id"], name=op.f("fk_block_complaint_answered_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["block_appeal.id"],
            name=op.f("fk_block_complaint_appeal_id_block_appeal"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["block_request.id"],
            name=op.f("fk_block_complaint_request_id_block_request"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_complaint")),
        sa.UniqueConstraint("receipt_hash", name=op.f("uq_block_complaint_receipt_hash")),
    )
    op.create_index(op.f("ix_block_complaint_request_id"), "block_complaint", ["request_id"])
    op.create_index(op.f("ix_block_complaint_target"), "block_complaint", ["target"])


def downgrade() -> None:
    op.drop_table("block_complaint")
    bind = op.get_bind()
    bind.execute(shared.delete().where(shared.c.provider != "local"))
    with op.batch_alter_table("shared_infrastructure") as batch:
        batch.drop_index("ix_shared_infrastructure_range_start")
        batch.drop_index("ix_shared_infrastructure_cidr")
        batch.drop_constraint("uq_shared_infrastructure_provider_cidr", type_="unique")
        batch.drop_column("range_end")
        batch.drop_column("range_start")
        batch.drop_column("provider")
        batch.create_unique_constraint("uq_shared_infrastructure_cidr", ["cidr"])
        batch.alter_column(
            "kind", existing_type=sa.String(length=32), existing_nullable=False,
            comment="cdn, shared_hosting, cloud_files, ...",
            existing_comment="cdn, cloud, platform, dns_resolver, shared_hosting",
        )  # fmt: skip
