"""Audit log rows. Every table here is append-only (PostgreSQL triggers refuse UPDATE, DELETE, TRUNCATE).

`AuditEntry.body` holds the exact canonical bytes that were hashed into the Merkle tree; its other
columns copy the body's fields for the audit search, and PostgreSQL holds them to the body (constraint
`ck_audit_entry_signed`, migration 0020). Sequencing, tree state, signing keys, witnesses and
cosignatures are further append-only rows, so the sequencer never updates an entry and the application
role needs no more than INSERT and SELECT.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, created_at

BigId = BigInteger().with_variant(Integer, "sqlite")
# None is SQL NULL, as the body's absent `subjects` is (by default SQLAlchemy would store JSON null).
SubjectIds = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class AuditEntry(Base):
    """One audited request. On PostgreSQL the check constraint `ck_audit_entry_signed` (migration 0020)
    makes every column but id, body, leaf_hash and xact equal to what the body says, on every write.

    On PostgreSQL the table is partitioned by month of `occurred_at` (migration 0027; registry.audit.
    partitions), so its primary key is `(id, occurred_at)`; `id` alone is still unique (one sequence).
    SQLite keeps `id` alone as its key (an INTEGER PRIMARY KEY), which the ORM does not mind."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_agency_time", "agency", "occurred_at"),
        Index(
            "ix_audit_entry_subjects",
            "subjects",
            postgresql_using="gin",
            postgresql_ops={"subjects": "jsonb_path_ops"},
            info={"dialect": "postgresql"},
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    body: Mapped[bytes] = mapped_column(LargeBinary, comment="RFC 8785 canonical JSON, as hashed")
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), comment="SHA-256(0x00 || body)")
    agency: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(64), index=True)
    officer: Mapped[str | None] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    resource_type: Mapped[str | None] = mapped_column(String(50))
    resource_id: Mapped[str | None] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(16), comment="allowed / denied / error")
    status_code: Mapped[int | None]
    purpose: Mapped[str | None] = mapped_column(String(300))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # For `resource=subject:<id>`: the subjects the answer showed besides its resource (a page of search
    # results, a lookup's holders, screening matches, graph nodes, the subjects of cases and links).
    subjects: Mapped[list[str] | None] = mapped_column(
        SubjectIds, comment="the body's `subjects`: the subjects the answer reached besides its resource"
    )
    # FetchedValue: the ORM must omit the column so PostgreSQL's DEFAULT (set in migration 0004) applies.
    xact: Mapped[int | None] = mapped_column(
        BigInteger,
        server_default=FetchedValue(),
        index=True,
        comment="PostgreSQL: id of the inserting transaction (pg_current_xact_id), for the sequencer",
    )


class AuditLeaf(Base):
    """The sequencer's assignment of a contiguous leaf index to an entry, in commit order.

    No foreign key to the entry on PostgreSQL (migration 0027): a partitioned table has no unique `id`
    alone to point at, and a key would forbid dropping an archived month. The verifier checks instead
    that every leaf below the signed size has its entry (from the retention floor on).

    The leaf names its entry by the entry's whole key, `(entry_id, entry_occurred_at)` (migration 0029):
    joined on both (`leaf_entry`), PostgreSQL reads the one monthly partition that holds the entry instead
    of probing every month's for its id."""

    __tablename__ = "audit_leaf"
    __table_args__ = (
        ForeignKeyConstraint(
            ["entry_id"],
            ["audit_entry.id"],
            name="fk_audit_leaf_entry_id_audit_entry",
            info={"dialect": "sqlite"},
        ),
    )

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(BigId, unique=True)
    # NULL only for a leaf sequenced before migration 0029 whose entry was already gone (dropped by
    # retention, below the floor, never read again).
    entry_occurred_at: Mapped[datetime | None] = mapped_column(
        comment="the entry's occurred_at: with entry_id its key in audit_entry (partitioned by it)"
    )
    sequenced_at: Mapped[created_at]


def leaf_entry(span: tuple[datetime, datetime] | None = None) -> ColumnElement[bool]:
    """The join of a leaf to its entry on the entry's whole key; with `span`, the earliest and latest
    `entry_occurred_at` of the leaves read (registry.audit.log.leaf_span), also bounded by it.

    On PostgreSQL the partition key in the join lets a nested loop look each entry up in its own month's
    partition. The span, given as values, lets the planner leave out every month outside it before
    planning (a span found by a subquery in the same statement would prune only when it runs, after
    planning an index scan of every partition, which cost more than the read itself at 39 partitions)."""
    condition = and_(
        AuditEntry.id == AuditLeaf.entry_id, AuditEntry.occurred_at == AuditLeaf.entry_occurred_at
    )
    if span is None:
        return condition
    low, high = span
    return and_(condition, AuditEntry.occurred_at >= low, AuditEntry.occurred_at <= high)


class AuditCheckpoint(Base):
    """A signed tree head, with the frontier the sequencer extends next (the latest row is the state)."""

    __tablename__ = "audit_checkpoint"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    compact_range: Mapped[bytes] = mapped_column(LargeBinary, comment="merkle.CompactRange.to_bytes()")
    note: Mapped[str] = mapped_column(Text, comment="C2SP signed note of the tlog-checkpoint body")
    xact_floor: Mapped[int | None] = mapped_column(
        BigInteger, comment="PostgreSQL: every entry of a transaction below this id is sequenced"
    )
    created_at: Mapped[created_at]


class AuditSigningKey(Base):
    """An Ed25519 log key. The newest signs; an older one co-signs for its successor's `overlap_seconds`."""

    __tablename__ = "audit_signing_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    verifier_key: Mapped[str] = mapped_column(Text, unique=True)
    signer_enc: Mapped[bytes] = mapped_column(LargeBinary, comment="PRIVATE+KEY text, AES-GCM encrypted")
    overlap_seconds: Mapped[int] = mapped_column(default=0, comment="how long the previous key keeps signing")
    created_at: Mapped[created_at]


class AuditWitness(Base):
    """A witness whose cosignatures the log accepts (cosignature/v1 verifier key)."""

    __tablename__ = "audit_witness"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    verifier_key: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[created_at]


class AuditCosignature(Base):
    __tablename__ = "audit_cosignature"
    __table_args__ = (
        Index("ix_audit_cosignature_size_witness", "checkpoint_size", "witness_id", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    checkpoint_size: Mapped[int] = mapped_column(BigInteger, ForeignKey("audit_checkpoint.size"))
    witness_id: Mapped[int] = mapped_column(ForeignKey("audit_witness.id"))
    line: Mapped[str] = mapped_column(Text, comment="the cosignature line, as appended to the note")
    timestamp: Mapped[int] = mapped_column(BigInteger, comment="the witness's cosignature/v1 time")
    created_at: Mapped[created_at]


class AuditRetention(Base):
    """A month of entries dropped by `registry audit retention` once the tlog-tiles archive held them.

    The database's log then starts at `floor`, the size of a stored signed checkpoint at or above every
    dropped leaf: `registry audit verify --database` starts from that checkpoint's frontier."""

    __tablename__ = "audit_retention"
    __table_args__ = (UniqueConstraint("partition", name="uq_audit_retention_partition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partition: Mapped[str] = mapped_column(String(63), comment="the dropped partition")
    month: Mapped[date] = mapped_column(comment="first day of the month whose entries went")
    entries: Mapped[int] = mapped_column(BigInteger, comment="entries dropped with it")
    last_leaf_index: Mapped[int | None] = mapped_column(BigInteger, comment="highest leaf index dropped")
    floor: Mapped[int] = mapped_column(
        BigInteger, comment="size of the signed checkpoint the database's log now starts from"
    )
    archive_size: Mapped[int] = mapped_column(BigInteger, comment="the tiles archive's checkpoint size")
    archive_root: Mapped[bytes] = mapped_column(LargeBinary(32))
    dropped_at: Mapped[created_at]


AUDIT_TABLES = (
    "audit_entry",
    "audit_leaf",
    "audit_checkpoint",
    "audit_signing_key",
    "audit_witness",
    "audit_cosignature",
)  # the tables the application writes; audit_retention (append-only too) is written by the owner
