"""The over-blocking guard: protected domains and shared address ranges, kept as dated data in the database.

A target is protected when blocking it whole would also block unrelated people: a protected domain or any
subdomain of one (major platforms, government, banks, shared hosting), a URL that is the whole home page
of such a domain, or an IP address or range that lies in or overlaps a shared-infrastructure range (CDN).
Only a reviewer's recorded, justified override lets such a target through (`services.blocking`).
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import idna
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.models import ProtectedDomain, SharedInfrastructure

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PROTECTED_FILE = DATA_DIR / "protected-domains.csv"
SHARED_FILE = DATA_DIR / "shared-infrastructure.csv"
SEED_DATE = date(2026, 11, 28)  # the date of both files, as recorded in registry/data/README.md

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def normalise_domain(text: str) -> str:
    """The A-label of a list entry; entries may be public suffixes (gov.vn), so no registrable check."""
    name = text.strip().rstrip(".").lower()
    if not name or "." not in name:
        raise ValueError(f"not a domain name: {text!r}")
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"not a domain name: {text!r} ({exc})") from None


def normalise_cidr(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ValueError(f"not a CIDR range: {text!r}") from None


def read_protected_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {"domain": normalise_domain(row["domain"]), "category": row["category"].strip(),
             "note": (row.get("operator") or row.get("note") or "").strip() or None}
            for row in csv.DictReader(handle) if row.get("domain", "").strip()
        ]  # fmt: skip


def read_shared_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {"cidr": normalise_cidr(row["cidr"]), "operator": row["operator"].strip(),
             "kind": (row.get("kind") or "cdn").strip()}
            for row in csv.DictReader(handle) if row.get("cidr", "").strip()
        ]  # fmt: skip


def load_protected(
    session: Session, rows: Iterable[dict[str, Any]], *, source: str, listed_on: date
) -> dict[str, int]:
    """Add or update entries (keyed by domain); entries absent from `rows` stay."""
    existing = {p.domain: p for p in session.scalars(select(ProtectedDomain))}
    counts = {"added": 0, "updated": 0}
    for row in rows:
        found = existing.get(row["domain"])
        if found is None:
            found = ProtectedDomain(domain=row["domain"])
            session.add(found)
            existing[row["domain"]] = found
            counts["added"] += 1
        else:
            counts["updated"] += 1
        found.category, found.note = row["category"], row.get("note")
        found.source, found.listed_on = source, listed_on
    session.flush()
    return counts


def load_shared(
    session: Session, rows: Iterable[dict[str, Any]], *, source: str, listed_on: date
) -> dict[str, int]:
    """Add or update ranges (keyed by CIDR); ranges absent from `rows` stay."""
    existing = {s.cidr: s for s in session.scalars(select(SharedInfrastructure))}
    counts = {"added": 0, "updated": 0}
    for row in rows:
        found = existing.get(row["cidr"])
        if found is None:
            found = SharedInfrastructure(cidr=row["cidr"])
            session.add(found)
            existing[row["cidr"]] = found
            counts["added"] += 1
        else:
            counts["updated"] += 1
        found.operator, found.kind = row["operator"], row["kind"]
        found.source, found.listed_on = source, listed_on
    session.flush()
    return counts


def remove_protected(session: Session, domain: str) -> bool:
    result = session.execute(
        delete(ProtectedDomain).where(ProtectedDomain.domain == normalise_domain(domain))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# The widest range blocked without a reviewed override: a /24 (256 IPv4 addresses, the smallest block
# routed on the Internet) or a /48 (one IPv6 site). A wider range is almost always shared by unrelated
# customers of a hosting provider.
WIDEST_RANGE = {4: 24, 6: 48}


@dataclass(frozen=True)
class Guard:
    """Both lists, loaded once per use (a few hundred rows at most)."""

    domains: dict[str, ProtectedDomain]
    networks: list[tuple[Network, SharedInfrastructure]]

    @classmethod
    def load(cls, session: Session) -> Guard:
        domains = {p.domain: p for p in session.scalars(select(ProtectedDomain))}
        networks = [(ipaddress.ip_network(s.cidr), s) for s in session.scalars(select(SharedInfrastructure))]
        return cls(domains, networks)

    def _domain_entry(self, name: str) -> ProtectedDomain | None:
        labels = name.split(".")
        for i in range(len(labels) - 1):
            found = self.domains.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None

    def _domain_reason(self, name: str, entry: ProtectedDomain) -> str:
        covered = "" if entry.domain == name else f" (under {entry.domain})"
        return (
            f"{name} is a protected domain{covered}: {entry.category}, {entry.note or entry.domain}, "
            f"listed {entry.listed_on.isoformat()}. Blocking it whole would block unrelated users; "
            "block the URL or the shop instead"
        )

    def _network_reason(self, value: str, entry: SharedInfrastructure, verb: str) -> str:
        return (
            f"{value} {verb} {entry.cidr}, shared infrastructure ({entry.kind}) of {entry.operator} "
            f"serving many unrelated sites, listed {entry.listed_on.isoformat()}. Block the URL or the "
            "domain instead"
        )

    def protection(self, kind: str, value: str, attributes: dict[str, Any] | None = None) -> str | None:
        """Why blocking this target whole would over-block, or None."""
        attributes = attributes or {}
        if kind == "domain":
            entry = self._domain_entry(value)
            return self._domain_reason(value, entry) if entry else None
        if kind == "url":
            host = attributes.get("host") or ""
            entry = self._domain_entry(host)
            home = value.split("://", 1)[-1].partition("/")[2] == ""
            if entry and home:
                return f"the URL {value} is the whole site: " + self._domain_reason(host, entry)
            return None
        if kind == "ip":
            address = ipaddress.ip_address(value)
            for network, shared in self.networks:
                if address.version == network.version and address in network:
                    return self._network_reason(value, shared, "is inside")
            return None
        if kind == "ip_range":
            target = ipaddress.ip_network(value)
            for network, shared in self.networks:
                if target.version == network.version and target.overlaps(network):
                    return self._network_reason(value, shared, "overlaps")
            widest = WIDEST_RANGE[target.version]
            if target.prefixlen < widest:
                return (
                    f"{value} covers {target.num_addresses:,} addresses, more than a /{widest}: blocked "
                    "whole it would take down unrelated sites hosted in it. Block the addresses, URLs or "
                    "domains instead"
                )
            return None
        return None  # shops and listings are the narrow measure the guard points to
