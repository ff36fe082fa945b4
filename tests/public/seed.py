"""Records for the public look-ups' tests, made directly in the database: published violations and
others that must never show (owner- or state-only, suspected, dismissed), with subjects whose personal
data must never leak."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.fieldcrypt import FieldCipher
from registry.identifiers import fold_name, parse
from registry.models import Agency, Identifier, Subject, Violation
from registry.services import identifiers as identifier_service
from tests.factories import make_decision

SECRET_NAME = "Nguyễn Thị Bí Mật"
SECRET_PERSONAL_ID = "001190012345"
SECRET_SUMMARY = "Tóm tắt nội bộ không công bố"


def principal(db: Session, code: str = "MOIT-DMS") -> Principal:
    agency = db.scalars(select(Agency).where(Agency.code == code)).one()
    return Principal("seed", agency.code, agency.id, agency.kind, frozenset())


def identifier(db: Session, cipher: FieldCipher, kind: str, value: str) -> Identifier:
    return identifier_service.ensure(
        db, cipher=cipher, principal=principal(db), parsed=parse(kind, value)
    ).identifier


def subject(db: Session, cipher: FieldCipher) -> Subject:
    """An individual with a personal ID (encrypted, as the registry stores it)."""
    made = Subject(
        kind="individual",
        name=SECRET_NAME,
        name_folded=fold_name(SECRET_NAME),
        personal_id_enc=cipher.encrypt(SECRET_PERSONAL_ID, "subject:personal_id"),
        personal_id_hash=cipher.lookup_hash("personal_id", SECRET_PERSONAL_ID),
        addresses=["12 Phố Bí Mật, Hà Nội"],
        owner_agency_id=principal(db).agency_id,
        visibility="public",
    )
    db.add(made)
    db.flush()
    return made


def violation(
    db: Session,
    cipher: FieldCipher,
    values: list[tuple[str, str]],
    *,
    visibility: str = "public",
    status: str = "sanctioned",
    categories: tuple[str, ...] = ("COUNTERFEIT",),
    decision: Any = "make",
    days_ago: int = 3,
) -> Violation:
    """A violation of MOIT-DMS naming these (kind, value) identifiers, with a subject whose personal data
    is secret; a sanction decision of MOIT-DMS unless `decision` is None."""
    if decision == "make":
        decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS", issuing_body="Cục QLTT Hà Nội")
    made = Violation(
        summary=SECRET_SUMMARY,
        categories=list(categories),
        goods_groups=["cosmetics"],
        detected_at=datetime.now(UTC) - timedelta(days=days_ago),
        owner_agency_id=principal(db).agency_id,
        visibility=visibility,
        status=status,
        fine_vnd=12_345_678,
        sanction_decision_id=decision.id if decision is not None else None,
        subjects=[subject(db, cipher)],
        identifiers=[identifier(db, cipher, kind, value) for kind, value in values],
    )
    db.add(made)
    db.flush()
    return made


def sha256(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()
