"""The digests the public range query answers from (services.public.ranges), and the marks that say
they must be brought up to date."""

from __future__ import annotations

import uuid
from itertools import chain
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from registry.db import Base, created_at, utcnow
from registry.models.violation import Violation

_MARKED = "registry.public_digest_marked"  # violation ids marked in this transaction


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
    """A mark that a violation changed: the next range query brings public_digest up to date for the
    bank accounts and phones it names (or named: `identifier_id`, one taken off it), then deletes the
    marks it has seen; both NULL (a violation deleted, or the table just created) means everything.
    Appended, never updated, so that writers of violations never wait on each other for it."""

    __tablename__ = "public_digest_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[uuid.UUID | None] = mapped_column(comment="no foreign key: it may be deleted")
    identifier_id: Mapped[uuid.UUID | None] = mapped_column(comment="taken off the violation")
    at: Mapped[created_at]


@event.listens_for(Session, "after_flush")
def _mark_violation_changes(session: Session, _flush: UOWTransaction) -> None:
    """A flush that changes violations (status, visibility, identifiers) marks them for the range query's
    digests, in its transaction, so the marks commit or roll back with the change. Here, beside the
    models, so that every process that can change a violation has the listener."""
    marked: set[Any] = session.info.setdefault(_MARKED, set())
    rows: list[dict[str, Any]] = []
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, Violation):
            continue
        if obj in session.deleted:
            rows.append({"violation_id": None, "identifier_id": None})
            continue
        if obj.id not in marked:
            marked.add(obj.id)
            rows.append({"violation_id": obj.id, "identifier_id": None})
        removed = inspect(obj).attrs.identifiers.history.deleted or ()
        rows += [{"violation_id": None, "identifier_id": identifier.id} for identifier in removed]
    if rows:
        now = utcnow()
        session.connection().execute(insert(PublicDigestChange), [{**row, "at": now} for row in rows])


@event.listens_for(Session, "after_transaction_end")
def _forget_marks(session: Session, _transaction: Any) -> None:
    session.info.pop(_MARKED, None)  # a savepoint rolled back may have taken the marks with it
