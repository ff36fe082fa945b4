"""The public look-ups: no token, limited per client address (REGISTRY_PUBLIC_LOOKUP_RATE_LIMIT), audited
like every request. Only what is public answers (services.public)."""

from __future__ import annotations

from typing import Any

from flask import request

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import app_state, audit_detail, db, replica_reads, writes_on_read
from registry.errors import NotFound, ValidationFailed
from registry.schemas.public import (
    RULES,
    PublicCheckQuery,
    PublicCheckResult,
    PublicRangeAnswer,
    PublicViolatorPage,
    PublicViolatorQuery,
)
from registry.services.public import check as checking
from registry.services.public import ranges
from registry.services.public import violators as listing

blp = RegistryBlueprint(
    "public-lookup",
    __name__,
    url_prefix="/api/v1/public",
    description="Public look-ups (no token): check a website or shop, the range query of bank accounts "
    "and phones, the list of violators",
)


def check_value(value: str, kind: str | None) -> dict[str, Any]:
    """The check's answer (the page /check shows the same)."""
    found = checking.check(db(), cipher=app_state().cipher, value=value, kind=kind)
    audit_detail(kind=found.query.kind, flagged=bool(found.violations or found.blocks))
    return {
        "query": {"kind": found.query.kind, "value": found.query.value, "display": found.query.display},
        "flagged": bool(found.violations or found.blocks),
        "violations": found.violations,
        "blocks": found.blocks,
    }


@blp.route("/check", methods=["GET"])
@blp.public("public:check", lookup=True)
@blp.arguments(PublicCheckQuery, location="query")
@blp.response(200, PublicCheckResult)
@replica_reads
def public_check(args: dict[str, Any]):
    """Is this website, URL or marketplace shop flagged? (no token)

    Published violations (public, confirmed or sanctioned) naming it, its host or its parent domains,
    and blocks in effect on them, each with its decision's number, date and issuing body. Nothing else:
    not who the seller is, nor any record the agencies keep to themselves.
    """
    return check_value(args["value"], args["kind"])


@blp.route("/ranges/<kind>/<prefix>", methods=["GET"])
@blp.public("public:range", lookup=True)
@blp.response(200, PublicRangeAnswer)
@blp.alt_response(404, description="No such kind: `bank_account` or `phone`")
@writes_on_read
def public_range(kind: str, prefix: str):
    """Flagged bank accounts or phone numbers by the first 5 hex characters of their SHA-256 (no token)

    k-anonymity in the style of Have I Been Pwned's range API: normalise the value as
    docs/public-lookup.md says (bank account `<BIN>:<digits>`, phone E.164), hash its UTF-8 bytes with
    SHA-256, send the first 5 hex characters and look for the other 59 among the answer's `suffixes`.
    The registry never receives the value; its audit log records the prefix only. Flagged: named in a
    published violation (public, confirmed or sanctioned); each suffix carries how many, their
    categories and decisions. With the header `Add-Padding: true` the answer also holds 16 to 31 random
    suffixes with `violations: 0` (ignore them), so that its size does not tell an onlooker whether the
    prefix has any flagged value.
    """
    if kind not in ranges.RANGE_KINDS:
        raise NotFound("The range query covers bank_account and phone.")
    if not ranges.PREFIX.match(prefix):
        raise ValidationFailed(
            "The prefix is the first 5 hexadecimal characters of the SHA-256.",
            errors={"prefix": ["5 hexadecimal characters"]},
        )
    audit_detail(kind=kind, prefix=prefix.lower())
    suffixes = ranges.answer(db(), cipher=app_state().cipher, kind=kind, prefix=prefix)
    if request.headers.get("Add-Padding", "").strip().lower() == "true":
        suffixes = ranges.padded(suffixes)
    return {"kind": kind, "prefix": prefix.lower(), "normalisation": RULES, "suffixes": suffixes}


@blp.route("/violators", methods=["GET"])
@blp.public("public:violators", lookup=True)
@blp.arguments(PublicViolatorQuery, location="query")
@blp.response(200, PublicViolatorPage)
@replica_reads
def public_violators(args: dict[str, Any]):
    """The list of violating websites and shops (no token; also as an Atom feed at /violators.atom)

    One entry per website, URL or marketplace shop named in a published violation or blocked since
    (in effect, or ended: lifted, revoked, expired), newest change first: the categories, each
    violation's decision, each block's decision and, once it ended, how, when and on which decision.
    """
    return listing.page(db(), page=args["page"], per_page=args["per_page"])
