"""Filing a tip from the public and reading its status with the receipt code (no account).

What the tip names goes through the registry's identifier parsers; it is matched to a known identifier
by the same keyed hash (`Identifier.value_hash`), grouped with earlier tips about the same identifier
(a URL by its shop or account, else by its site), and routed by category and goods group
(routing.py). Bank accounts, phones, e-mail addresses and personal IDs are stored only encrypted, the
reporter's contact too, and the receipt code only as its keyed hash; none of them is ever written
to a log or an error message.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import identifiers
from registry.errors import NotFound, ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.identifiers import SENSITIVE_KINDS, IdentifierError, ParsedIdentifier
from registry.identifiers.platforms import RULES
from registry.messages import msg
from registry.models import Identifier, Tip, TipStatus
from registry.services.tips import challenge, files, routing
from registry.services.workdays import VIETNAM

RECEIPT_KIND = "tip_receipt"
# What a person may report; `website` is a domain, or a URL when it has a path.
KINDS = (
    "website", "domain", "url", "marketplace_shop", "social_account", "app", "bank_account", "phone",
    "email",
)  # fmt: skip
# Kept only encrypted: the registry's sensitive kinds, and a person's phone or e-mail.
SENSITIVE = SENSITIVE_KINDS | {"phone", "email"}
_PLATFORM_HOSTS = frozenset(host for rule in RULES for host in rule.hosts)
_GROUP_KINDS = ("marketplace_shop", "social_account", "app")


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_receipt_code() -> str:
    """`TB-` and 20 base32 characters (100 random bits) in five groups of four."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode("ascii")[:20]
    return "TB-" + "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def receipt_hash(cipher: FieldCipher, code: str) -> str:
    return cipher.lookup_hash(RECEIPT_KIND, _normal_code(code))


def is_sensitive(parsed: ParsedIdentifier) -> bool:
    return parsed.kind in SENSITIVE or parsed.sensitive


def masked(parsed: ParsedIdentifier) -> str:
    """What may be shown of the value: the parser's display, masked for a phone or an e-mail."""
    if parsed.kind == "phone":
        return parsed.value[:4] + "•••" + parsed.value[-3:]
    if parsed.kind == "email":
        local, _, domain = parsed.value.partition("@")
        return f"{local[:1]}•••@{domain}"
    return parsed.display


def parse_reported(kind: str, text: str) -> ParsedIdentifier:
    """The identifier the tip names; a 422 on `value` (never echoing a sensitive value)."""
    if kind == "website":
        kind = "url" if "/" in text.strip().rstrip("/") else "domain"
    try:
        return identifiers.parse(kind, text)
    except IdentifierError as exc:
        raise ValidationFailed(
            msg("value: {reason}", reason=exc.reason), errors={"value": [str(exc.reason)]}
        ) from None


def group_of(parsed: ParsedIdentifier) -> ParsedIdentifier:
    """What tips are grouped by: a URL's shop, account or app, else its site unless the site is a
    platform (a marketplace's product pages are not one seller); anything else by itself."""
    if parsed.kind != "url":
        return parsed
    for related in parsed.related:
        if related.kind in _GROUP_KINDS:
            return related
    if parsed.attributes.get("host") in _PLATFORM_HOSTS:
        return parsed
    return next((r for r in parsed.related if r.kind == "domain"), parsed)


def _contact(data: dict[str, Any]) -> dict[str, str] | None:
    found: dict[str, str] = {}
    if name := (data.get("contact_name") or "").strip():
        found["name"] = name
    for kind in ("phone", "email"):
        text = (data.get(f"contact_{kind}") or "").strip()
        if not text:
            continue
        try:
            found[kind] = identifiers.parse(kind, text).value
        except IdentifierError:  # the value itself is not echoed: it is personal data
            raise ValidationFailed(
                msg("contact_{kind}: not a valid {kind}", kind=kind),
                errors={f"contact_{kind}": [f"not a valid {kind}"]},
            ) from None
    return found or None


def _context(tip_id: uuid.UUID, name: str) -> str:
    return f"tip:{tip_id}:{name}"


def contact(cipher: FieldCipher, tip: Tip) -> dict[str, str] | None:
    """The reporter's contact, decrypted (for a caller allowed to see it)."""
    if tip.contact_enc is None:
        return None
    return dict(json.loads(cipher.decrypt(tip.contact_enc, _context(tip.id, "contact"))))


def reported_value(cipher: FieldCipher, tip: Tip) -> str:
    """The canonical value reported, decrypted where it is stored encrypted."""
    if tip.value is not None:
        return tip.value
    assert tip.value_enc is not None
    return cipher.decrypt(tip.value_enc, _context(tip.id, "value"))


def _known(session: Session, cipher: FieldCipher, parsed: ParsedIdentifier) -> Identifier | None:
    digest = cipher.lookup_hash(parsed.kind, parsed.value)
    return session.scalars(
        select(Identifier).where(Identifier.kind == parsed.kind, Identifier.value_hash == digest)
    ).first()


def file_tip(
    session: Session,
    *,
    cipher: FieldCipher,
    data: dict[str, Any],
    uploads: list[files.Upload],
    max_bytes: int,
    now: datetime,
) -> tuple[Tip, str]:
    """Check the proof of work, record the tip with its files, route and group it. Returns the tip and
    its receipt code (shown once). Any refusal leaves nothing, the challenge unspent included."""
    challenge.spend(session, cipher, token=data["challenge"], solution=data["solution"], now=now)
    return record_tip(session, cipher=cipher, data=data, uploads=uploads, max_bytes=max_bytes, now=now)


def record_tip(
    session: Session,
    *,
    cipher: FieldCipher,
    data: dict[str, Any],
    uploads: list[files.Upload],
    max_bytes: int,
    now: datetime,
) -> tuple[Tip, str]:
    """The tip itself, its proof of work checked already (file_tip) or not needed (demo data)."""
    parsed = parse_reported(data["kind"], data["value"])
    reporter = _contact(data)
    attachments = files.check(uploads, max_bytes=max_bytes)
    code_of_agency, rule = routing.route(data["category"], data.get("goods_group"))
    agency = routing.current_agency(session, code_of_agency, now.astimezone(VIETNAM).date())
    group = group_of(parsed)
    known = _known(session, cipher, parsed) or (_known(session, cipher, group) if group != parsed else None)
    code = new_receipt_code()
    tip = Tip(
        id=uuid.uuid4(),
        receipt_hash=receipt_hash(cipher, code),
        kind=parsed.kind,
        value_hash=cipher.lookup_hash(parsed.kind, parsed.value),
        display=masked(parsed) if is_sensitive(parsed) else parsed.display,
        group_key=cipher.lookup_hash(group.kind, group.value),
        group_display=masked(group) if is_sensitive(group) else group.display,
        identifier_id=known.id if known else None,
        category=data["category"],
        goods_group=data.get("goods_group"),
        province=(data.get("province") or "").strip() or None,
        description=data["description"],
        status=TipStatus.RECEIVED.value,
        agency_id=agency.id,
        routed_by=rule,
        received_at=now,
        updated_at=now,
    )
    if is_sensitive(parsed):
        tip.value_enc = cipher.encrypt(parsed.value, _context(tip.id, "value"))
    else:
        tip.value = parsed.value
    if reporter:
        tip.contact_enc = cipher.encrypt(
            json.dumps(reporter, ensure_ascii=False), _context(tip.id, "contact")
        )
    tip.attachments = attachments
    session.add(tip)
    session.flush()
    return tip, code


def by_receipt(session: Session, *, cipher: FieldCipher, code: str) -> Tip:
    found = session.scalars(select(Tip).where(Tip.receipt_hash == receipt_hash(cipher, code))).first()
    if found is None:
        raise NotFound("No tip has this receipt code.")
    return found


def status_since(tip: Tip) -> date:
    """The day (Vietnam time) the tip reached its status: all the reporter learns besides the status."""
    moment = tip.closed_at or tip.triaged_at or tip.received_at
    return moment.astimezone(VIETNAM).date()
