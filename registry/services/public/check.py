"""Is this website, URL or shop flagged? The public check: published violations and blocks in effect.

The value is parsed as the registry parses identifiers (a URL, `<platform>:<id>` of a marketplace shop,
or a domain), and matched with what it implies: a URL's host and, on a marketplace, its shop; a host's
parent domains up to its registrable domain (a block of `example.vn` covers `www.example.vn`, as the
executors' zones block `*.example.vn`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from registry.errors import ValidationFailed
from registry.fieldcrypt import FieldCipher
from registry.identifiers import IdentifierError, ParsedIdentifier, parse
from registry.models import BlockRequest, BlockTarget, Decision, Identifier, Violation, violation_identifier
from registry.models.blocking import BlockState
from registry.services.public import WEBSITE_KINDS, decision_facts, published


@dataclass(frozen=True)
class Checked:
    query: ParsedIdentifier
    violations: list[dict[str, Any]]
    blocks: list[dict[str, Any]]


def parse_website(value: str, kind: str | None = None) -> ParsedIdentifier:
    """The value as a URL, a shop or a domain (`kind` names one; else guessed from its spelling)."""
    text = value.strip()
    if kind is None:
        platform, sep, _ = text.partition(":")
        if "://" in text or "/" in text:
            kind = "url"
        elif sep and not platform.strip().isdigit():
            kind = "marketplace_shop"
        else:
            kind = "domain"
    try:
        return parse(kind, text)
    except IdentifierError as exc:
        raise ValidationFailed(exc.reason, errors={"value": [exc.reason]}) from None


def candidates(parsed: ParsedIdentifier) -> list[ParsedIdentifier]:
    """The identifiers a check of `parsed` matches (see the module's docstring), without repeats."""
    found: list[ParsedIdentifier] = []
    for one in (parsed, *parsed.related):
        if one.kind not in WEBSITE_KINDS or one in found:
            continue
        found.append(one)
        if one.kind == "domain":
            registrable = one.attributes.get("registrable_domain") or one.value
            labels = one.value.split(".")
            for start in range(1, len(labels)):
                parent = ".".join(labels[start:])
                if len(parent) < len(registrable):
                    break
                parsed_parent = parse("domain", parent)
                if parsed_parent not in found:
                    found.append(parsed_parent)
    return found


def _identifier(identifier: Identifier | BlockTarget) -> dict[str, str]:
    return {"kind": identifier.kind, "value": identifier.value or "", "display": identifier.display}


def check(session: Session, *, cipher: FieldCipher, value: str, kind: str | None = None) -> Checked:
    parsed = parse_website(value, kind)
    matched = candidates(parsed)
    hashes = [(one.kind, cipher.lookup_hash(one.kind, one.value)) for one in matched]
    violations = session.execute(
        select(Identifier, Violation, Decision)
        .join(violation_identifier, violation_identifier.c.identifier_id == Identifier.id)
        .join(Violation, Violation.id == violation_identifier.c.violation_id)
        .outerjoin(Decision, Decision.id == Violation.sanction_decision_id)
        .where(tuple_(Identifier.kind, Identifier.value_hash).in_(hashes), published())
        .order_by(Violation.detected_at.desc(), Violation.id)
    ).all()
    now = datetime.now(UTC)
    blocks = session.execute(
        select(BlockTarget, BlockRequest, Decision)
        .join(BlockRequest, BlockRequest.id == BlockTarget.request_id)
        .outerjoin(Decision, Decision.id == BlockRequest.decision_id)
        .where(
            or_(*(and_(BlockTarget.kind == one.kind, BlockTarget.value == one.value) for one in matched)),
            BlockRequest.state == BlockState.IN_EFFECT.value,
            BlockRequest.valid_until > now,
        )
        .order_by(BlockRequest.valid_from.desc(), BlockTarget.id)
    ).all()
    return Checked(
        parsed,
        [
            {
                "matched": _identifier(identifier),
                "categories": violation.categories,
                "goods_groups": violation.goods_groups,
                "status": violation.status,
                "detected_on": violation.detected_at.date(),
                "decision": decision_facts(decision, violation.sanction_reference),
            }
            for identifier, violation, decision in violations
        ],
        [
            {
                "matched": _identifier(target),
                "action": request.action,
                "valid_from": request.valid_from.date(),
                "valid_until": request.valid_until.date(),
                "decision": decision_facts(decision),
            }
            for target, request, decision in blocks
        ],
    )
