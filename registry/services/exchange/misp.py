"""The exchange as a MISP feed: manifest.json, hashes.csv and one event per case or block in effect.

The format is the one MISP reads from a feed URL and PyMISP writes (`MISPEvent.to_feed(with_meta=True)`,
examples/feed-generator): each event `{"Event": {...}}` with its fields sorted, integers as strings;
the manifest maps each event's uuid to its Orgc, Tag, info, date, analysis, threat_level_id and
timestamp; hashes.csv has one `md5(value),event_uuid` line per attribute. tests/exchange checks ours
against PyMISP's own computation of the manifest and hashes.

An event's uuid is its record's id (a case's, a block request's), so `/{uuid}.json` finds it directly;
its Orgc is the detecting agency (a case) or the decision's issuer (a block). Attributes: the network
identifiers (domain, url, ip-dst for addresses and ranges; to_ids), and for a case the names of the
organisations it names (text, Attribution; individuals are left out). Tags: TLP (tlp:white for what is
public in the registry, tlp:amber otherwise) and the case's categories and goods groups.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from registry.services.exchange.sources import AgencyFact, BlockFact, CaseFact, Sources
from registry.services.exchange.stix import BLOCK_ACTIONS, NAMESPACE

ATTRIBUTE_TYPES = {"domain": "domain", "url": "url", "ip": "ip-dst", "ip_range": "ip-dst"}
TLP_COLOURS = {"tlp:white": "#ffffff", "tlp:amber": "#ffc000"}
TAG_PREFIX = "nsc389-registry"


def _uuid(*parts: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, "misp:" + ":".join(str(part) for part in parts)))


def _timestamp(when: datetime) -> str:
    return str(int(when.timestamp()))


def _tag(name: str) -> dict[str, Any]:
    return {"colour": TLP_COLOURS.get(name, "#ffffff"), "local": False, "name": name, "relationship_type": ""}


def _org(agency: AgencyFact) -> dict[str, str]:
    return {"name": agency.name_en, "uuid": _uuid("org", agency.code)}


def _attribute(
    event: str,
    key: Any,
    kind: str,
    category: str,
    value: str,
    when: datetime,
    *,
    to_ids: bool,
    comment: str = "",
) -> dict[str, Any]:
    return {
        "category": category,
        "comment": comment,
        "deleted": False,
        "disable_correlation": False,
        "timestamp": _timestamp(when),
        "to_ids": to_ids,
        "type": kind,
        "uuid": _uuid("attribute", event, key),
        "value": value,
    }


def _event(
    uuid_: str,
    *,
    info: str,
    day: str,
    threat_level: str,
    when: datetime,
    org: dict[str, str],
    tags: list[str],
    attributes: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "Event": {
            "analysis": "2",
            "date": day,
            "extends_uuid": "",
            "info": info,
            "protected": False,
            "publish_timestamp": _timestamp(when),
            "published": True,
            "threat_level_id": threat_level,
            "timestamp": _timestamp(when),
            "uuid": uuid_,
            "Orgc": org,
            "Tag": [_tag(name) for name in tags],
            "Attribute": attributes,
        }
    }


def _words(codes: tuple[str, ...]) -> str:
    return ", ".join(code.lower().replace("_", " ") for code in codes)


def _case_event(sources: Sources, case: CaseFact) -> dict[str, Any]:
    event = str(case.id)
    attributes = []
    for identifier in case.identifiers:
        fact = sources.identifiers[identifier]
        attributes.append(
            _attribute(
                event,
                fact.id,
                ATTRIBUTE_TYPES[fact.kind],
                "Network activity",
                fact.value,
                case.updated_at,
                to_ids=True,
            )
        )
    for subject in case.subjects:
        seller = sources.subjects[subject]
        if seller.organisation and seller.name:
            attributes.append(
                _attribute(
                    event,
                    seller.id,
                    "text",
                    "Attribution",
                    seller.name,
                    case.updated_at,
                    to_ids=False,
                    comment="seller found in violation (organisation)",
                )
            )
    goods = f" ({_words(case.goods_groups)})" if case.goods_groups else ""
    decided = f", sanction decision {case.decision_number}" if case.decision_number else ""
    tags = ["tlp:white" if case.public else "tlp:amber"]
    tags += [f'{TAG_PREFIX}:category="{c.lower()}"' for c in case.categories]
    tags += [f'{TAG_PREFIX}:goods-group="{g}"' for g in case.goods_groups]
    return _event(
        event,
        info=f"Viet Nam e-commerce case {case.status}: {_words(case.categories)}{goods}{decided}",
        day=case.detected_at.date().isoformat(),
        threat_level="2" if case.status == "sanctioned" else "3",
        when=case.updated_at,
        org=_org(sources.agencies[case.agency]),
        tags=tags,
        attributes=attributes,
    )


def _block_event(sources: Sources, block: BlockFact) -> dict[str, Any]:
    event = str(block.id)
    attributes = [
        _attribute(
            event,
            fact.id,
            ATTRIBUTE_TYPES[fact.kind],
            "Network activity",
            fact.value,
            block.updated_at,
            to_ids=True,
        )
        for fact in (sources.identifiers[i] for i in block.identifiers)
    ]
    action = BLOCK_ACTIONS.get(block.action, block.action)
    return _event(
        event,
        info=(
            f"Viet Nam {action.lower()}: decision {block.decision_number} of {block.decision_issued_on}, "
            f"until {block.valid_until.date().isoformat()}"
        ),
        day=block.decision_issued_on,
        threat_level="2",
        when=block.updated_at,
        org=_org(sources.agencies[block.agency]),
        tags=["tlp:white" if block.public else "tlp:amber", f'{TAG_PREFIX}:action="{block.action}"'],
        attributes=attributes,
    )


def events(sources: Sources) -> dict[str, dict[str, Any]]:
    """Every event of the feed by uuid (cases, then blocks, each oldest first); an event left with no
    attribute the caller may see is left out."""
    found = {str(case.id): _case_event(sources, case) for case in sources.cases}
    found.update((str(block.id), _block_event(sources, block)) for block in sources.blocks)
    return {uuid_: event for uuid_, event in found.items() if event["Event"]["Attribute"]}


def manifest(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """manifest.json: what a MISP instance reads to decide which events to fetch (numbers as numbers
    here, as PyMISP writes them; the events have them as strings)."""
    manifest = {}
    for uuid_, event in found.items():
        fields = event["Event"]
        manifest[uuid_] = {
            "Orgc": fields["Orgc"],
            "Tag": fields["Tag"],
            "info": fields["info"],
            "date": fields["date"],
            "analysis": int(fields["analysis"]),
            "threat_level_id": int(fields["threat_level_id"]),
            "timestamp": int(fields["timestamp"]),
        }
    return manifest


def hashes(found: dict[str, dict[str, Any]]) -> str:
    """hashes.csv: `md5(value),event_uuid` per attribute, for MISP's correlation cache."""
    lines = [
        f"{hashlib.md5(attribute['value'].encode(), usedforsecurity=False).hexdigest()},{uuid_}"
        for uuid_, event in found.items()
        for attribute in event["Event"]["Attribute"]
    ]
    return "".join(line + "\n" for line in lines)
