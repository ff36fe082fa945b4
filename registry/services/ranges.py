"""The published address ranges of CDNs and clouds, read in each provider's own format (pure, no database).

Each provider publishes its ranges in a file of its own format (see registry/data/README.md); `parse`
reads one into rows for the `shared_infrastructure` table and `trim` writes the same format back with
only what the over-blocking guard keeps (CloudFront of Amazon's file; Front Door and the aggregated
AzureCloud tag of Microsoft's). The files shipped in `registry/data/ranges/` are listed with their
source URL and publication date in `registry/data/ranges/sources.json`; migration 0017 and
`registry blocking ranges load-shipped` load them, `registry blocking ranges load` loads a newer file.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

RANGES_DIR = Path(__file__).resolve().parent.parent / "data" / "ranges"
MANIFEST = RANGES_DIR / "sources.json"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RangeFileError(ValueError):
    """The file is not in the provider's published format."""


@dataclass(frozen=True)
class Row:
    cidr: str
    operator: str
    kind: str


@dataclass(frozen=True)
class Parsed:
    rows: list[Row]
    published: date | None  # the date the file itself states, if it states one


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    url: str  # where the provider publishes the file
    parse: Callable[[str], Parsed]
    trim: Callable[[str], str]


def network(text: str) -> Network:
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        raise RangeFileError(f"not a CIDR range: {text!r}") from None


def range_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bytes:
    """A byte string that sorts like the address, IPv4 before IPv6 (the guard's index on ranges)."""
    return bytes([address.version]) + int(address).to_bytes(16, "big")


def _collapse(prefixes: Iterable[str]) -> list[Network]:
    nets = [network(p) for p in prefixes]
    v4 = ipaddress.collapse_addresses(n for n in nets if isinstance(n, ipaddress.IPv4Network))
    v6 = ipaddress.collapse_addresses(n for n in nets if isinstance(n, ipaddress.IPv6Network))
    return [*v4, *v6]


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RangeFileError(f"not JSON: {exc}") from None


def _rows(nets: Iterable[Network | str], operator: str, kind: str) -> list[Row]:
    seen: dict[str, Row] = {}
    for net in nets:
        cidr = str(network(str(net)))
        seen.setdefault(cidr, Row(cidr, operator, kind))
    return list(seen.values())


# Amazon: ip-ranges.json ("createDate": "2026-08-22-15-17-05"); the guard keeps CLOUDFRONT.
AWS_KEEP = "CLOUDFRONT"


def _aws_kept(data: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    try:
        v4 = [p for p in data["prefixes"] if p["service"] == AWS_KEEP]
        v6 = [p for p in data["ipv6_prefixes"] if p["service"] == AWS_KEEP]
    except (KeyError, TypeError) as exc:
        raise RangeFileError(f"not Amazon's ip-ranges.json: missing {exc}") from None
    return v4, v6


def _aws_date(data: dict[str, Any]) -> date | None:
    stamp = data.get("createDate")
    try:
        return datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S").date() if stamp else None
    except ValueError:
        raise RangeFileError(f"createDate {stamp!r} is not YYYY-MM-DD-hh-mm-ss") from None


def parse_aws(text: str) -> Parsed:
    data = _json(text)
    v4, v6 = _aws_kept(data)
    nets = [p["ip_prefix"] for p in v4] + [p["ipv6_prefix"] for p in v6]
    return Parsed(_rows(nets, "Amazon CloudFront", "cdn"), _aws_date(data))


def trim_aws(text: str) -> str:
    data = _json(text)
    v4, v6 = _aws_kept(data)
    kept = {"syncToken": data.get("syncToken"), "createDate": data.get("createDate")}
    return json.dumps({**kept, "prefixes": v4, "ipv6_prefixes": v6}, indent=1) + "\n"


# Google: goog.json (every Google address, its services and Cloud) and cloud.json (Cloud customers'),
# both {"creationTime": "2025-07-24T19:16:28.780563", "prefixes": [{"ipv4Prefix"|"ipv6Prefix": ...}]}.
def _google(text: str, operator: str, kind: str) -> Parsed:
    data = _json(text)
    try:
        nets = [p.get("ipv4Prefix") or p["ipv6Prefix"] for p in data["prefixes"]]
    except (KeyError, TypeError, AttributeError) as exc:
        raise RangeFileError(f"not a Google ipranges file: missing {exc}") from None
    stamp = data.get("creationTime")
    try:
        published = datetime.fromisoformat(stamp).date() if stamp else None
    except ValueError:
        raise RangeFileError(f"creationTime {stamp!r} is not an ISO date") from None
    return Parsed(_rows(nets, operator, kind), published)


def parse_google(text: str) -> Parsed:
    return _google(text, "Google (its own services and Google Cloud)", "platform")


def parse_google_cloud(text: str) -> Parsed:
    return _google(text, "Google Cloud", "cloud")


def _unchanged(text: str) -> str:
    return text


# Fastly: public-ip-list, {"addresses": [...], "ipv6_addresses": [...]}; it states no date.
def parse_fastly(text: str) -> Parsed:
    data = _json(text)
    try:
        nets = list(data["addresses"]) + list(data.get("ipv6_addresses", []))
    except (KeyError, TypeError) as exc:
        raise RangeFileError(f"not Fastly's public-ip-list: missing {exc}") from None
    return Parsed(_rows(nets, "Fastly", "cdn"), None)


# Akamai: akamai_ipv4_CIDRs.txt and akamai_ipv6_CIDRs.txt (one CIDR a line) from the zip on its
# techdocs site; the registry ships both in one file. Lines starting with # are comments.
def parse_akamai(text: str) -> Parsed:
    nets = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return Parsed(_rows(nets, "Akamai", "cdn"), None)


# Microsoft: ServiceTags_Public_YYYYMMDD.json; the guard keeps the Front Door frontend (the CDN) and
# AzureCloud (every Azure public address), each aggregated; the file states only a changeNumber.
AZURE_KEEP = {
    "AzureFrontDoor.Frontend": ("Microsoft Azure Front Door", "cdn"),
    "AzureCloud": ("Microsoft Azure", "cloud"),
}


def _azure_kept(data: Any) -> list[dict[str, Any]]:
    try:
        kept = [v for v in data["values"] if v["name"] in AZURE_KEEP]
        if not all(isinstance(v["properties"]["addressPrefixes"], list) for v in kept):
            raise RangeFileError("addressPrefixes is not a list")
    except (KeyError, TypeError) as exc:
        raise RangeFileError(f"not Azure's ServiceTags_Public file: missing {exc}") from None
    if not kept:
        raise RangeFileError("no AzureFrontDoor.Frontend or AzureCloud service tag in the file")
    return kept


def parse_azure(text: str) -> Parsed:
    rows: list[Row] = []
    for value in _azure_kept(_json(text)):
        operator, kind = AZURE_KEEP[value["name"]]
        rows += _rows(_collapse(value["properties"]["addressPrefixes"]), operator, kind)
    return Parsed(rows, None)


def trim_azure(text: str) -> str:
    data = _json(text)
    values = []
    for value in _azure_kept(data):
        properties = {**value["properties"]}
        properties["addressPrefixes"] = [str(n) for n in _collapse(properties["addressPrefixes"])]
        values.append({**value, "properties": properties})
    return json.dumps({"changeNumber": data.get("changeNumber"), "cloud": data.get("cloud"),
                       "values": values}, indent=1) + "\n"  # fmt: skip


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("aws-cloudfront", "Amazon CloudFront", "https://ip-ranges.amazonaws.com/ip-ranges.json",
                 parse_aws, trim_aws),
        Provider("google", "Google", "https://www.gstatic.com/ipranges/goog.json", parse_google, _unchanged),
        Provider("google-cloud", "Google Cloud", "https://www.gstatic.com/ipranges/cloud.json",
                 parse_google_cloud, _unchanged),
        Provider("akamai", "Akamai",
                 "https://techdocs.akamai.com/property-manager/pdfs/akamai_ipv4_ipv6_CIDRs-txt.zip",
                 parse_akamai, _unchanged),
        Provider("fastly", "Fastly", "https://api.fastly.com/public-ip-list", parse_fastly, _unchanged),
        Provider("azure", "Microsoft Azure",
                 "https://www.microsoft.com/en-us/download/details.aspx?id=56519 (ServiceTags_Public)",
                 parse_azure, trim_azure),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Shipped:
    provider: Provider
    file: Path
    published: date
    detail: str  # what sources.json says of the copy: its own date stamps, what was kept
    copy: str  # the public mirror and commit it came from


def shipped() -> list[Shipped]:
    """The files in registry/data/ranges/, with the date and origin sources.json gives each."""
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))["files"]
    return [
        Shipped(PROVIDERS[e["provider"]], RANGES_DIR / e["file"], date.fromisoformat(e["published"]),
                e["detail"], e["copy"])
        for e in entries
    ]  # fmt: skip


def source_text(provider: Provider, published: date) -> str:
    """What an entry records as its source: where the provider publishes the list, and the list's date."""
    return f"{provider.url}, published {published.isoformat()}"
