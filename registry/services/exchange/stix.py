"""The exchange as STIX 2.1 objects (the OASIS `stix2` library builds and checks every one).

- identities: the registry (a system), each issuing or detecting agency (organisations) and each
  violating subject the caller may see (an organisation by name and tax code; an individual as a
  pseudonym, `individual <id>`, never by name);
- indicators, one per domain, URL, IP address or range: `[domain-name:value = '...']`, `[url:value =
  '...']`, `[ipv4-addr:value = '...']` / `ipv6-addr`, ranges with ISSUBSET;
- sightings: a case's identifier seen by its detecting agency (where_sighted_refs) when detected;
- relationships: indicator `related-to` subject (the case names both); a block in effect is a
  course-of-action (the written decision, its validity) that `mitigates` its targets' indicators;
- TLP markings: TLP:WHITE for what is public in the registry, TLP:AMBER for what is shared by name
  or kept among state bodies (the recipient keeps it within its organisation).

Ids are derived from the registry's record ids (stix_id), and timestamps are those of the records, so
exporting the same records again gives the same objects, byte for byte.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stix2

from registry.services.exchange.sources import BlockFact, CaseFact, IdentifierFact, Sources

# The registry's namespace for its STIX ids (a fixed UUID: changing it would change every id).
NAMESPACE = uuid.UUID("6f0d9a4e-3b9c-5d1e-9a8f-389389389389")
REGISTRY_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
REGISTRY_NAME = "Inter-agency e-commerce violator registry (Viet Nam, National Steering Committee 389)"
MEDIA_TYPE = "application/stix+json;version=2.1"

TLP_WHITE = stix2.TLP_WHITE
TLP_AMBER = stix2.TLP_AMBER
SECTORS = {"province": ["government-regional"], "state_body": ["government-national"]}
BLOCK_ACTIONS = {
    "block_at_isp": "Blocked at Vietnamese ISPs",
    "suspend_domain": "Domain suspended by the .vn registry",
    "remove_listing": "Listing removed from the platform",
}


def stix_id(kind: str, key: Any) -> str:
    """`kind--<uuid>`: the same record always has the same id. STIX 2.1 wants version 4 UUIDs for
    these objects (the validator's check 103), so the UUID is a version-4 one whose random bits are
    those of SHA-256 of the registry's namespace, the kind and the key, rather than UUIDv5's SHA-1."""
    digest = hashlib.sha256(f"{NAMESPACE}:{kind}:{key}".encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


REGISTRY_ID = stix_id("identity", "registry")


def _marking(public: bool) -> stix2.MarkingDefinition:
    return TLP_WHITE if public else TLP_AMBER


def _literal(value: str) -> str:
    """A STIX patterning string literal: quotes and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern(kind: str, value: str) -> str:
    """The STIX pattern that matches the identifier (NETWORK_KINDS only)."""
    if kind == "domain":
        return f"[domain-name:value = {_literal(value)}]"
    if kind == "url":
        return f"[url:value = {_literal(value)}]"
    if kind == "ip":
        version = ipaddress.ip_address(value).version
        return f"[ipv{version}-addr:value = {_literal(value)}]"
    if kind == "ip_range":
        version = ipaddress.ip_network(value).version
        return f"[ipv{version}-addr:value ISSUBSET {_literal(value)}]"
    raise ValueError(kind)


def _words(codes: Iterable[str]) -> list[str]:
    return [code.lower().replace("_", "-") for code in codes]


@dataclass
class _Indicator:
    fact: IdentifierFact
    valid_from: datetime
    modified: datetime
    public: bool
    labels: set[str]
    until: datetime | None  # only when every source is a block: the last block's end


def objects(sources: Sources) -> list[Any]:
    """Every STIX object of the sources, in the export's order (modified, then id)."""
    found: list[Any] = [_registry()]
    found += [_agency(fact) for fact in sources.agencies.values()]
    found += [_subject(fact) for fact in sources.subjects.values()]
    indicators = _indicators(sources)
    found += [_indicator(one) for one in indicators.values()]
    found += [_sighting(case, identifier) for case in sources.cases for identifier in case.identifiers]
    found += _related(sources)
    for block in sources.blocks:
        found.append(_course_of_action(block))
        found += [_mitigates(block, identifier) for identifier in block.identifiers]
    used = {ref for one in found for ref in one.get("object_marking_refs", [])}
    found += [marking for marking in (TLP_WHITE, TLP_AMBER) if marking.id in used]
    return sorted(found, key=lambda one: (last_modified(one), one.id))


def last_modified(one: Any) -> datetime:
    return one.get("modified") or one.created


def changed_since(found: list[Any], since: datetime | None) -> list[Any]:
    """The objects modified after `since` (all without it): an incremental pull."""
    return found if since is None else [one for one in found if last_modified(one) > since]


def bundle(found: list[Any]) -> stix2.Bundle:
    """A bundle whose id is derived from its contents: the same objects, the same bundle."""
    digest = hashlib.sha256("\n".join(f"{one.id} {last_modified(one).isoformat()}" for one in found).encode())
    return stix2.Bundle(objects=found, id=stix_id("bundle", digest.hexdigest()), allow_custom=False)


def serialize(found: Any) -> str:
    return found.serialize(sort_keys=True, ensure_ascii=False)


def _common(created: datetime, modified: datetime, public: bool) -> dict[str, Any]:
    return {
        "created": created,
        "modified": max(created, modified),
        "created_by_ref": REGISTRY_ID,
        "object_marking_refs": [_marking(public).id],
        "allow_custom": False,
    }


def _registry() -> stix2.Identity:
    return stix2.Identity(
        id=REGISTRY_ID,
        name=REGISTRY_NAME,
        identity_class="system",
        description="Shared registry of e-commerce violators of Viet Nam's ministries and agencies.",
        created=REGISTRY_EPOCH,
        modified=REGISTRY_EPOCH,
        object_marking_refs=[TLP_WHITE.id],
        allow_custom=False,
    )


def agency_id(code: str) -> str:
    return stix_id("identity", f"agency:{code}")


def _agency(fact: Any) -> stix2.Identity:
    return stix2.Identity(
        id=agency_id(fact.code),
        name=fact.name_en,
        identity_class="organization",
        sectors=SECTORS.get(fact.kind, ["government"]),
        external_references=[{"source_name": "nsc389-registry-agency", "external_id": fact.code}],
        **_common(fact.created_at, fact.created_at, True),
    )


def subject_id(subject: uuid.UUID) -> str:
    return stix_id("identity", f"subject:{subject}")


def _subject(fact: Any) -> stix2.Identity:
    identity_id = subject_id(fact.id)
    extra: dict[str, Any] = {}
    if fact.organisation and fact.tax_code:
        extra["external_references"] = [{"source_name": "vn-tax-code", "external_id": fact.tax_code}]
    return stix2.Identity(
        id=identity_id,
        name=fact.name if fact.organisation else f"individual {identity_id.split('--')[1][:8]}",
        identity_class="organization" if fact.organisation else "individual",
        description="Seller found in violation by a Vietnamese authority (e-commerce).",
        **extra,
        **_common(fact.created_at, fact.updated_at, fact.public),
    )


def indicator_id(identifier: uuid.UUID) -> str:
    return stix_id("indicator", identifier)


def _indicators(sources: Sources) -> dict[uuid.UUID, _Indicator]:
    found: dict[uuid.UUID, _Indicator] = {}

    def add(identifier: uuid.UUID, since: datetime, modified: datetime, public: bool, labels: list[str],
            until: datetime | None) -> None:  # fmt: skip
        fact = sources.identifiers[identifier]
        one = found.get(identifier)
        if one is None:
            found[identifier] = _Indicator(
                fact, since, max(modified, fact.created_at), public, set(labels), until
            )
            return
        one.valid_from = min(one.valid_from, since)
        one.modified = max(one.modified, modified)
        one.public = one.public or public
        one.labels.update(labels)
        one.until = None if until is None or one.until is None else max(one.until, until)

    for case in sources.cases:
        for identifier in case.identifiers:
            labels = _words(case.categories) + _words(case.goods_groups)
            add(identifier, case.detected_at, case.updated_at, case.public, labels, None)
    for block in sources.blocks:
        for identifier in block.identifiers:
            add(identifier, block.valid_from, block.updated_at, block.public, ["blocked"], block.valid_until)
    return found


def _indicator(one: _Indicator) -> stix2.Indicator:
    fact = one.fact
    extra = {"valid_until": one.until} if one.until is not None and one.until > one.valid_from else {}
    return stix2.Indicator(
        id=indicator_id(fact.id),
        name=f"{fact.kind.replace('_', ' ')} {fact.display}",
        description="Used by a seller found in violation of Vietnamese e-commerce law.",
        indicator_types=["malicious-activity"],
        pattern=pattern(fact.kind, fact.value),
        pattern_type="stix",
        valid_from=one.valid_from,
        labels=sorted(one.labels),
        **extra,
        **_common(fact.created_at, one.modified, one.public),
    )


def _sighting(case: CaseFact, identifier: uuid.UUID) -> stix2.Sighting:
    what = ", ".join(_words(case.categories))
    decided = f"; sanction decision {case.decision_number}" if case.decision_number else ""
    return stix2.Sighting(
        id=stix_id("sighting", f"{case.id}:{identifier}"),
        sighting_of_ref=indicator_id(identifier),
        where_sighted_refs=[agency_id(case.agency)],
        first_seen=case.detected_at,
        last_seen=case.detected_at,
        count=1,
        description=f"Case {case.status}: {what}{decided}.",
        external_references=[{"source_name": "nsc389-registry-case", "external_id": str(case.id)}],
        **_common(case.created_at, case.updated_at, case.public),
    )


def _related(sources: Sources) -> list[stix2.Relationship]:
    """Indicator related-to subject, once per pair however many cases name both."""
    pairs: dict[tuple[uuid.UUID, uuid.UUID], tuple[datetime, datetime, bool]] = {}
    for case in sources.cases:
        for identifier in case.identifiers:
            for subject in case.subjects:
                created, modified, public = pairs.get(
                    (identifier, subject), (case.created_at, case.updated_at, case.public)
                )
                pairs[identifier, subject] = (
                    min(created, case.created_at),
                    max(modified, case.updated_at),
                    public or case.public,
                )
    return [
        stix2.Relationship(
            id=stix_id("relationship", f"{identifier}:related-to:{subject}"),
            relationship_type="related-to",
            source_ref=indicator_id(identifier),
            target_ref=subject_id(subject),
            description="The seller uses it (a case names both).",
            **_common(created, modified, public),
        )
        for (identifier, subject), (created, modified, public) in pairs.items()
    ]


def _course_of_action(block: BlockFact) -> stix2.CourseOfAction:
    return stix2.CourseOfAction(
        id=stix_id("course-of-action", block.id),
        name=f"{BLOCK_ACTIONS.get(block.action, block.action)}: decision {block.decision_number}",
        description=(
            f"{BLOCK_ACTIONS.get(block.action, block.action)} under written decision {block.decision_number} "
            f"of {block.decision_issued_on}, in effect from {block.valid_from.date().isoformat()} "
            f"until {block.valid_until.date().isoformat()}."
        ),
        external_references=[{"source_name": "nsc389-registry-block-request", "external_id": str(block.id)}],
        **_common(block.created_at, block.updated_at, block.public),
    )


def _mitigates(block: BlockFact, identifier: uuid.UUID) -> stix2.Relationship:
    return stix2.Relationship(
        id=stix_id("relationship", f"{block.id}:mitigates:{identifier}"),
        relationship_type="mitigates",
        source_ref=stix_id("course-of-action", block.id),
        target_ref=indicator_id(identifier),
        start_time=block.valid_from,
        stop_time=block.valid_until,
        **_common(block.created_at, block.updated_at, block.public),
    )
