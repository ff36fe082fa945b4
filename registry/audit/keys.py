"""The log's Ed25519 signing keys: kept encrypted in `audit_signing_key`, or configured in the environment.

Rotation keeps the key *name* (a C2SP note may carry two signatures of one name with different key
ids), so during the overlap every checkpoint carries the old and the new key's signature and verifiers
holding either key keep working. Rows are never updated: which keys sign follows from creation times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.models import AuditSigningKey
from registry.audit.note import Signer, Verifier, generate_signer
from registry.db import utcnow
from registry.errors import NotConfigured
from registry.fieldcrypt import FieldCipher

if TYPE_CHECKING:
    from registry.config import Settings

DEFAULT_OVERLAP = timedelta(days=7)
SIGNER_ENV = "REGISTRY_AUDIT_SIGNER_KEY"  # read by config.Settings (audit_signer_key); named in errors


class AuditKeyError(NotConfigured):
    """No usable log key (production never generates one silently)."""


def _context(row: AuditSigningKey) -> str:
    return f"audit_signing_key:{row.name}+{row.key_id}"


def key_name(origin: str) -> str:
    """The note key name: the origin, as sum.golang.org does (C2SP names exclude '+' and spaces)."""
    return origin.replace("+", "-").replace(" ", "-")


def _rows(session: Session) -> list[AuditSigningKey]:
    return list(
        session.scalars(select(AuditSigningKey).order_by(AuditSigningKey.created_at, AuditSigningKey.id))
    )


def _signing_rows(rows: list[AuditSigningKey], now: datetime) -> list[AuditSigningKey]:
    """Newest first: the newest key, and each older key while its successor's overlap lasts."""
    active: list[AuditSigningKey] = []
    for position, row in enumerate(rows):
        successor = rows[position + 1] if position + 1 < len(rows) else None
        if successor is None or successor.created_at + timedelta(seconds=successor.overlap_seconds) > now:
            active.append(row)
    return active[::-1]


def create_key(
    session: Session, cipher: FieldCipher, name: str, overlap: timedelta = DEFAULT_OVERLAP
) -> Signer:
    skey, vkey = generate_signer(name)
    signer = Signer(skey)
    row = AuditSigningKey(
        name=name,
        key_id=f"{signer.key_id:08x}",
        verifier_key=vkey,
        signer_enc=b"",
        overlap_seconds=int(overlap.total_seconds()),
    )
    row.signer_enc = cipher.encrypt(skey, _context(row))
    session.add(row)
    session.flush()
    return signer


@dataclass
class LogKeys:
    """Where the log's signers come from. `configured` (PRIVATE+KEY text) overrides the table."""

    name: str
    cipher: FieldCipher
    configured: str | None = None
    generate: bool = False  # development and tests: create the first key on first use

    @classmethod
    def from_settings(cls, settings: Settings, cipher: FieldCipher) -> LogKeys:
        return cls(
            name=key_name(settings.audit_origin),
            cipher=cipher,
            configured=settings.audit_signer_key,
            generate=not settings.production,
        )

    def signers(self, session: Session, now: datetime | None = None) -> list[Signer]:
        if self.configured:
            return [Signer(self.configured)]
        rows = _rows(session)
        if not rows:
            if not self.generate:
                raise AuditKeyError(
                    f"no audit log signing key: run `registry audit rotate-key` or set {SIGNER_ENV}"
                )
            return [create_key(session, self.cipher, self.name, overlap=timedelta(0))]
        return [
            Signer(self.cipher.decrypt(row.signer_enc, _context(row)))
            for row in _signing_rows(rows, now or utcnow())
        ]

    def verifier_keys(
        self, session: Session, *, include_retired: bool = False, now: datetime | None = None
    ) -> list[str]:
        """Verifier keys in note format, signing keys first (newest first)."""
        if self.configured:
            return [Signer(self.configured).verifier_key]
        rows = _rows(session)
        active = _signing_rows(rows, now or utcnow())
        keys = [row.verifier_key for row in active]
        if include_retired:
            keys += [row.verifier_key for row in reversed(rows) if row not in active]
        return keys

    def verifiers(self, session: Session) -> list[Verifier]:
        return [Verifier(text) for text in self.verifier_keys(session, include_retired=True)]

    def first(self, session: Session) -> str:
        """The newest verifier key, after making the log's first signing key if it has none (and none is
        configured): what an installation runs once, and again without harm."""
        if not self.configured and not _rows(session):
            create_key(session, self.cipher, self.name, overlap=timedelta(0))
        return self.verifier_keys(session)[0]

    def rotate(self, session: Session, overlap: timedelta = DEFAULT_OVERLAP) -> Signer:
        """A new key of the same name; the current ones keep co-signing for `overlap`."""
        if self.configured:
            raise AuditKeyError(f"the log key comes from {SIGNER_ENV}; rotate it there")
        return create_key(session, self.cipher, self.name, overlap=overlap)


def rotate(
    session: Session, cipher: FieldCipher, *, name: str, overlap: timedelta = DEFAULT_OVERLAP
) -> Signer:
    """`registry keys rotate --audit`: a new log key, the old one co-signing during `overlap`."""
    return LogKeys(name=name, cipher=cipher).rotate(session, overlap)
