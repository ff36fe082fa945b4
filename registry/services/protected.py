"""The over-blocking guard: protected domains and shared address ranges, kept as dated data in the database.

A target is protected when blocking it whole would also block unrelated people: a protected domain or any
subdomain of one (major platforms, government, banks, shared hosting), a URL that is the whole home page
of such a domain, or an IP address or range that lies in or overlaps a shared-infrastructure range (a
CDN, a cloud, a public resolver: the local CSV and the providers' published lists of `services.ranges`).
Only a reviewer's recorded, justified override lets such a target through (`services.blocking`).
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import idna
from sqlalchemy import and_, delete, insert, or_, select, text
from sqlalchemy.orm import Session

from registry.models import ProtectedDomain, SharedInfrastructure
from registry.services import ranges
from registry.services.ranges import range_key

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
PROTECTED_FILE = DATA_DIR / "protected-domains.csv"
SHARED_FILE = DATA_DIR / "shared-infrastructure.csv"
SEED_DATE = date(2026, 11, 28)  # the date of both files, as recorded in registry/data/README.md

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOCAL = "local"  # the provider of entries from shared-infrastructure.csv and the CLI
BATCH = 1000


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


def _entry_date(row: dict[str, str | None]) -> date | None:
    text = (row.get("listed_on") or "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValueError(f"listed_on {text!r} is not YYYY-MM-DD") from None


def read_protected_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of `domain,category,operator[,source,listed_on]`; an entry's own source and date win over
    the file's."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {"domain": normalise_domain(row["domain"]), "category": row["category"].strip(),
             "note": (row.get("operator") or row.get("note") or "").strip() or None,
             "source": (row.get("source") or "").strip() or None, "listed_on": _entry_date(row)}
            for row in csv.DictReader(handle) if row.get("domain", "").strip()
        ]  # fmt: skip


def read_shared_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of `cidr,operator,kind[,source,listed_on]`, as read_protected_csv."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {"cidr": normalise_cidr(row["cidr"]), "operator": row["operator"].strip(),
             "kind": (row.get("kind") or "cdn").strip(),
             "source": (row.get("source") or "").strip() or None, "listed_on": _entry_date(row)}
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
        found.source, found.listed_on = row.get("source") or source, row.get("listed_on") or listed_on
    session.flush()
    return counts


def range_columns(cidr: str) -> dict[str, Any]:
    """The indexed first and last address of a range (the guard's lookups, see Guard)."""
    network = ipaddress.ip_network(cidr)
    return {
        "range_start": range_key(network.network_address),
        "range_end": range_key(network.broadcast_address),
    }


def load_shared(
    session: Session, rows: Iterable[dict[str, Any]], *, source: str, listed_on: date
) -> dict[str, int]:
    """Add or update local ranges (keyed by CIDR); ranges absent from `rows` stay."""
    existing = {
        s.cidr: s
        for s in session.scalars(select(SharedInfrastructure).where(SharedInfrastructure.provider == LOCAL))
    }
    counts = {"added": 0, "updated": 0}
    for row in rows:
        found = existing.get(row["cidr"])
        if found is None:
            found = SharedInfrastructure(provider=LOCAL, cidr=row["cidr"], **range_columns(row["cidr"]))
            session.add(found)
            existing[row["cidr"]] = found
            counts["added"] += 1
        else:
            counts["updated"] += 1
        found.operator, found.kind = row["operator"], row["kind"]
        found.source, found.listed_on = row.get("source") or source, row.get("listed_on") or listed_on
    session.flush()
    return counts


def provider_rows(rows: Iterable[ranges.Row], *, provider: str, source: str, listed_on: date) -> list[dict]:
    """Table rows for a provider's published ranges (the migration inserts the same)."""
    return [
        {"provider": provider, "cidr": row.cidr, "operator": row.operator, "kind": row.kind, "source": source,
         "listed_on": listed_on, **range_columns(row.cidr)}
        for row in rows
    ]  # fmt: skip


def replace_provider(
    session: Session,
    provider: str,
    rows: list[ranges.Row],
    *,
    source: str,
    listed_on: date,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Replace every entry of one provider by `rows` (in the caller's transaction: all or nothing)."""
    if not rows:
        raise ValueError(f"the {provider} list has no ranges; refusing to empty it")
    removed = session.execute(delete(SharedInfrastructure).where(SharedInfrastructure.provider == provider))
    values = provider_rows(rows, provider=provider, source=source, listed_on=listed_on)
    for start in range(0, len(values), BATCH):
        session.execute(insert(SharedInfrastructure), values[start : start + BATCH])
        if progress:
            progress(min(len(values), start + BATCH))
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, so the planner uses the guard's indexes at once rather than after autovacuum
        # gets to the table (tens of thousands of new rows: sequential scans meanwhile, 9 ms a target).
        session.execute(text("ANALYZE shared_infrastructure"))
    return {"removed": removed.rowcount, "added": len(values)}  # type: ignore[attr-defined]


def remove_protected(session: Session, domain: str) -> bool:
    result = session.execute(
        delete(ProtectedDomain).where(ProtectedDomain.domain == normalise_domain(domain))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# The widest range blocked without a reviewed override: a /24 (256 IPv4 addresses, the smallest block
# routed on the Internet) or a /48 (one IPv6 site). A wider range is almost always shared by unrelated
# customers of a hosting provider.
WIDEST_RANGE = {4: 24, 6: 48}


def _supernets(network: Network) -> list[str]:
    """The network and every range that contains it, as stored (normalised CIDR text)."""
    address = network.network_address
    return [
        str(ipaddress.ip_network((address, length), strict=False)) for length in range(network.prefixlen + 1)
    ]


@dataclass(frozen=True)
class Guard:
    """The protected domains (a few hundred, loaded once per use) and the shared ranges (tens of
    thousands, looked up per target in the database).

    A target address or range is matched through two indexed lookups, never by scanning the ranges:
    the ranges containing it are those whose CIDR is one of its supernets (at most 33 for IPv4, 129
    for IPv6: `cidr IN (...)`), and the ranges inside it are those starting between its first and
    last address (`range_start BETWEEN`). CIDR ranges either nest or are disjoint, so these two are
    every overlap. The most specific entry names the reason (an AWS CloudFront /24 rather than a
    cloud's /12 around it).
    """

    session: Session
    domains: dict[str, ProtectedDomain]

    @classmethod
    def load(cls, session: Session) -> Guard:
        return cls(session, {p.domain: p for p in session.scalars(select(ProtectedDomain))})

    def _domain_entry(self, name: str) -> ProtectedDomain | None:
        labels = name.split(".")
        for i in range(len(labels) - 1):
            found = self.domains.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None

    def shared_entry(self, network: Network) -> tuple[SharedInfrastructure, bool] | None:
        """The shared range that contains `network` (True) or, failing that, lies inside it (False)."""
        inside = and_(
            SharedInfrastructure.range_start >= range_key(network.network_address),
            SharedInfrastructure.range_start <= range_key(network.broadcast_address),
        )
        containing = SharedInfrastructure.cidr.in_(_supernets(network))
        rows = self.session.scalars(
            select(SharedInfrastructure).where(
                or_(containing, inside) if network.num_addresses > 1 else containing
            )
        ).all()
        if not rows:
            return None
        parsed = [(ipaddress.ip_network(row.cidr), row) for row in rows]
        around = [(net, row) for net, row in parsed if network.subnet_of(net)]  # type: ignore[arg-type]
        if around:
            return max(around, key=lambda pair: (pair[0].prefixlen, -pair[1].id))[1], True
        return min(parsed, key=lambda pair: (pair[1].range_start, pair[1].id))[1], False

    def _domain_reason(self, name: str, entry: ProtectedDomain) -> str:
        covered = "" if entry.domain == name else f" (under {entry.domain})"
        return (
            f"{name} is a protected domain{covered}: {entry.category}, {entry.note or entry.domain}, "
            f"listed {entry.listed_on.isoformat()} (source: {entry.source}). Blocking it whole would block "
            "unrelated users; block the URL or the shop instead"
        )

    def _network_reason(self, value: str, entry: SharedInfrastructure, verb: str) -> str:
        return (
            f"{value} {verb} {entry.cidr}, shared infrastructure ({entry.kind}) of {entry.operator} "
            f"serving many unrelated sites, listed {entry.listed_on.isoformat()} (source: {entry.source}). "
            "Block the URL or the domain instead"
        )

    def protection(self, kind: str, value: str, attributes: dict[str, Any] | None = None) -> str | None:
        """Why blocking this target whole would over-block, or None."""
        return _fit(self._protection(kind, value, attributes or {}))

    def _protection(self, kind: str, value: str, attributes: dict[str, Any]) -> str | None:
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
            found = self.shared_entry(ipaddress.ip_network(address))
            return self._network_reason(value, found[0], "is inside") if found else None
        if kind == "ip_range":
            target = ipaddress.ip_network(value)
            found = self.shared_entry(target)
            if found:
                return self._network_reason(value, found[0], "overlaps")
            widest = WIDEST_RANGE[target.version]
            if target.prefixlen < widest:
                return (
                    f"{value} covers {target.num_addresses:,} addresses, more than a /{widest}: blocked "
                    "whole it would take down unrelated sites hosted in it. Block the addresses, URLs or "
                    "domains instead"
                )
            return None
        return None  # shops and listings are the narrow measure the guard points to


PROTECTION_LENGTH = 500  # block_target.protection


def _fit(reason: str | None) -> str | None:
    if reason is None or len(reason) <= PROTECTION_LENGTH:
        return reason
    return reason[: PROTECTION_LENGTH - 1] + "…"
