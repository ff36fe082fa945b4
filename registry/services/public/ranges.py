"""The k-anonymity range query of bank accounts and phone numbers (Have I Been Pwned's range API).

A client sends the first 5 hex characters of the SHA-256 of the normalised value (docs/public-lookup.md
publishes the rules) and gets back the other 59 of every flagged value with that prefix: the registry
never learns which value was checked, only one of 1,048,576 buckets.

Flagged: a bank account or phone number named in a published violation (services.public.published).

The digests are kept in `public_digest`, flagged values only. Bank accounts are encrypted at rest
(fieldcrypt), so their digests can be computed only with the data key, which the database does not
hold: every transaction that changes a violation appends a mark (public_digest_change, by the session
listener in models/public.py), and the next range query brings the table up to date (decrypting only
the values that became flagged) before it answers. A range query without pending marks reads one index
range. The answer re-checks each digest's violations as they are now, so a violation unpublished a
moment ago is not answered even before the table catches up.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registry.fieldcrypt import FieldCipher
from registry.models import (
    Decision,
    Identifier,
    PublicDigest,
    PublicDigestChange,
    Violation,
    violation_identifier,
)
from registry.services.public import decision_facts, published

RANGE_KINDS = ("bank_account", "phone")
PREFIX = re.compile(r"^[0-9a-fA-F]{5}$")


def digest(canonical: str) -> str:
    """The SHA-256 (hex, lower case) of a canonical value's UTF-8 bytes, as clients compute it."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _flagged_ids() -> Any:
    return (
        select(violation_identifier.c.identifier_id)
        .join(Violation, Violation.id == violation_identifier.c.violation_id)
        .join(Identifier, Identifier.id == violation_identifier.c.identifier_id)
        .where(published(), Identifier.kind.in_(RANGE_KINDS))
    )


def bring_up_to_date(session: Session, cipher: FieldCipher) -> bool:
    """Bring public_digest up to date for what the pending marks name (everything for a mark naming
    nothing), if there are any; True if there were. The marks read first are deleted last, by id: a
    change committed meanwhile keeps its mark for the next query (read committed: each statement sees
    what was committed before it)."""
    marks = session.execute(
        select(PublicDigestChange.id, PublicDigestChange.violation_id, PublicDigestChange.identifier_id)
    ).all()
    if not marks:
        return False
    if any(violation_id is None and identifier_id is None for _, violation_id, identifier_id in marks):
        _refresh_everything(session, cipher)
    else:
        violation_ids = sorted({violation_id for _, violation_id, _ in marks if violation_id is not None})
        named = set()
        for chunk in _chunks(violation_ids):
            named |= set(
                session.scalars(
                    select(violation_identifier.c.identifier_id).where(
                        violation_identifier.c.violation_id.in_(chunk)
                    )
                )
            )
        named |= {identifier_id for _, _, identifier_id in marks if identifier_id is not None}
        for chunk in _chunks(sorted(named)):
            _refresh(session, cipher, chunk)
    for chunk in _chunks([mark_id for mark_id, _, _ in marks]):
        session.execute(delete(PublicDigestChange).where(PublicDigestChange.id.in_(chunk)))
    session.flush()
    return True


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _refresh_everything(session: Session, cipher: FieldCipher) -> None:
    """The table made to hold exactly the flagged values' digests (the first build; after a deletion)."""
    flagged = _flagged_ids()
    session.execute(delete(PublicDigest).where(PublicDigest.identifier_id.not_in(flagged)))
    missing = session.execute(
        select(Identifier.id, Identifier.kind, Identifier.value, Identifier.value_enc)
        .where(Identifier.id.in_(flagged))
        .where(~exists().where(PublicDigest.identifier_id == Identifier.id))
    ).all()
    _insert(session, (_row(cipher, *found) for found in missing))


def _refresh(session: Session, cipher: FieldCipher, identifier_ids: list[uuid.UUID]) -> None:
    """The digests of these identifiers: kept if flagged (computed if new), deleted if not."""
    flagged = set(session.scalars(_flagged_ids().where(Identifier.id.in_(identifier_ids))))
    gone = [identifier_id for identifier_id in identifier_ids if identifier_id not in flagged]
    if gone:
        session.execute(delete(PublicDigest).where(PublicDigest.identifier_id.in_(gone)))
    kept = set(
        session.scalars(select(PublicDigest.identifier_id).where(PublicDigest.identifier_id.in_(flagged)))
    )
    new = [identifier_id for identifier_id in flagged if identifier_id not in kept]
    if new:
        found = session.execute(
            select(Identifier.id, Identifier.kind, Identifier.value, Identifier.value_enc).where(
                Identifier.id.in_(new)
            )
        ).all()
        _insert(session, (_row(cipher, *row) for row in found))


def _row(
    cipher: FieldCipher, identifier_id: uuid.UUID, kind: str, value: str | None, enc: bytes | None
) -> dict:
    canonical = value if value is not None else cipher.decrypt(enc or b"", f"identifier:{kind}")
    hexdigest = digest(canonical)
    return {"identifier_id": identifier_id, "kind": kind, "prefix": hexdigest[:5], "suffix": hexdigest[5:]}


def _insert(session: Session, rows: Iterable[dict]) -> None:
    """Insert digests; one a concurrent range query inserted first is left as it is."""
    values = list(rows)
    if not values:
        return
    dialect = session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(PublicDigest)
    session.execute(statement.on_conflict_do_nothing(index_elements=["identifier_id"]), values)


def answer(session: Session, *, cipher: FieldCipher, kind: str, prefix: str) -> list[dict[str, Any]]:
    """The flagged values of `kind` whose digest starts with `prefix`: per suffix (sorted), how many
    published violations name it, their categories and their decisions (number, date, issuing body)."""
    bring_up_to_date(session, cipher)
    rows = session.execute(
        select(PublicDigest.suffix, Violation, Decision)
        .join(violation_identifier, violation_identifier.c.identifier_id == PublicDigest.identifier_id)
        .join(Violation, Violation.id == violation_identifier.c.violation_id)
        .outerjoin(Decision, Decision.id == Violation.sanction_decision_id)
        .where(PublicDigest.kind == kind, PublicDigest.prefix == prefix.lower(), published())
        .order_by(PublicDigest.suffix, Violation.detected_at, Violation.id)
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for suffix, violation, decision in rows:
        entry = found.setdefault(
            suffix, {"suffix": suffix, "violations": 0, "categories": [], "decisions": []}
        )
        entry["violations"] += 1
        entry["categories"] = sorted(set(entry["categories"]) | set(violation.categories))
        facts = decision_facts(decision, violation.sanction_reference)
        if facts is not None and facts not in entry["decisions"]:
            entry["decisions"].append(facts)
    return list(found.values())


def padded(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries and 16 to 31 random suffixes with `violations: 0`, all sorted by suffix: the answer's
    size then says little about whether the prefix has flagged values (Have I Been Pwned's padding)."""
    padding = [
        {"suffix": secrets.token_hex(30)[:59], "violations": 0, "categories": [], "decisions": []}
        for _ in range(16 + secrets.randbelow(16))
    ]
    return sorted(entries + padding, key=lambda entry: entry["suffix"])
