"""The digests the public range query answers from (services.public.ranges), and the marks that say
they must be brought up to date."""

from __future__ import annotations

import uuid
from itertools import chain
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event, insert
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from registry.db import Base, created_at, utcnow
from registry.models.violation import Violation

_MARKED = "registry.public_digest_marked"


class PublicDigest(Base):
    """The SHA-256 of the canonical value of a flagged bank account or phone number (one linked to a
    published violation), split as the range query asks for it. Only flagged values are here: the range
    query publishes these digests anyway, while an unkeyed digest of any other value would let whoever
    reads the database brute-force the (low-entropy) number the encryption at rest protects."""

    __tablename__ = "public_digest"
    __table_args__ = (Index("ix_public_digest_kind_prefix", "kind", "prefix"),)

    identifier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identifier.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(5), comment="first 5 hex characters of the SHA-256")
    suffix: Mapped[str] = mapped_column(String(59), comment="the other 59")


class PublicDigestChange(Base):
    """A mark that violations changed (one per transaction that changed any): the next range query
    brings public_digest up to date and deletes the marks it has seen. Appended, never updated, so that
    writers of violations never wait on each other for it."""

    __tablename__ = "public_digest_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[created_at]


@event.listens_for(Session, "after_flush")
def _mark_violation_changes(session: Session, _flush: UOWTransaction) -> None:
    """A transaction that changes a violation (status, visibility, identifiers) marks the digests as due
    for an update: once per transaction, in it, so the mark commits or rolls back with the change. Here,
    beside the models, so that every process that can change a violation has the listener."""
    if session.info.get(_MARKED):
        return
    if any(isinstance(obj, Violation) for obj in chain(session.new, session.dirty, session.deleted)):
        session.connection().execute(insert(PublicDigestChange).values(at=utcnow()))
        session.info[_MARKED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_mark(session: Session, _transaction: Any) -> None:
    session.info.pop(_MARKED, None)  # a savepoint rolled back may have taken the mark with it
