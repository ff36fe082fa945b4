"""Each executor's blocklist: what is in effect for it, as JSON and as a DNS Response Policy Zone.

An entry is a target of a request dispatched to the executor (from dispatch on: the order enters the feed
the moment it is sent, not after some executor has acknowledged it; still while in effect), unless the
executor answered `not_executable` for it with `invalid_target`, `not_our_customer` or
`technically_infeasible` (it cannot act on it). `already_blocked` stays listed: the block must hold while
this order is in force. Lifted, expired
and revoked requests drop out, and so does a request whose validity has ended before the tick has
recorded its expiry (reading a feed expires nothing). The serial (kept per executor) goes up whenever
the set changes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.models import (
    Agency,
    BlockAcknowledgement,
    BlockExecutor,
    BlocklistSerial,
    BlockRequest,
    BlockTarget,
    Decision,
)
from registry.models.blocking import AckOutcome
from registry.services.blocking.config import rules
from registry.services.blocking.machine import ADDRESSED

CANNOT_ACT = ("invalid_target", "not_our_customer", "technically_infeasible")
_UNSAFE_IN_COMMENT = re.compile(r"[\x00-\x1f\x7f]+")
_RPZ_TTL = 300


@dataclass(frozen=True)
class Feed:
    executor: str
    serial: int
    entries: list[dict[str, Any]]
    etag: str
    changed_at: datetime


@dataclass(frozen=True)
class Row:
    """What an entry is made of (schemas.blocking.BlocklistEntry writes it)."""

    target: BlockTarget
    block_request: BlockRequest
    decision_number: str | None


def rows(session: Session, executor: Agency, now: datetime) -> list[Row]:
    """The targets in effect for the executor now, in the feed's order."""
    cannot = (
        select(BlockAcknowledgement.id)
        .where(
            BlockAcknowledgement.executor_id == BlockExecutor.id,
            BlockAcknowledgement.target_id == BlockTarget.id,
            BlockAcknowledgement.outcome == AckOutcome.NOT_EXECUTABLE,
            BlockAcknowledgement.reason.in_(CANNOT_ACT),
        )
        .exists()
    )
    found = session.execute(
        select(BlockTarget, BlockRequest, Decision.number)
        .join(BlockRequest, BlockRequest.id == BlockTarget.request_id)
        .join(
            BlockExecutor,
            and_(BlockExecutor.request_id == BlockRequest.id, BlockExecutor.agency_id == executor.id),
        )
        .outerjoin(Decision, Decision.id == BlockRequest.decision_id)
        .where(
            BlockRequest.state.in_(ADDRESSED),
            BlockRequest.valid_until > now,
            BlockExecutor.dispatched_at.is_not(None),
            ~cannot,
        )
        .order_by(BlockTarget.kind, BlockTarget.value, BlockRequest.id)
    ).tuples()
    return [Row(target, block_request, number) for target, block_request, number in found]


def entries(session: Session, executor: Agency, now: datetime | None = None) -> list[dict[str, Any]]:
    # Imported here: schemas.blocking imports this package's modules for its computed fields.
    from registry.schemas.blocking import BlocklistEntry

    return BlocklistEntry(many=True).dump(rows(session, executor, now or datetime.now(UTC)))


def snapshot(session: Session, executor: Agency, now: datetime | None = None) -> Feed:
    """The executor's entries now, with a serial bumped (and stored) if they changed since last read."""
    items = entries(session, executor, now)
    digest = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()
    kept = session.get(BlocklistSerial, executor.id, with_for_update=True)
    if kept is None:
        try:
            with session.begin_nested():  # two first reads at once: one inserts, the other re-reads
                kept = BlocklistSerial(
                    agency_id=executor.id, serial=1, content_sha256=digest, changed_at=utcnow()
                )
                session.add(kept)
        except IntegrityError:
            kept = session.get(BlocklistSerial, executor.id, with_for_update=True, populate_existing=True)
            assert kept is not None  # the row the other reader just committed
    if kept.content_sha256 != digest:
        kept.serial, kept.content_sha256, kept.changed_at = kept.serial + 1, digest, utcnow()
    session.flush()
    return Feed(executor.code, kept.serial, items, f'"{kept.serial}-{digest[:32]}"', kept.changed_at)


def as_json(feed: Feed) -> dict[str, Any]:
    return {
        "executor": feed.executor,
        "serial": feed.serial,
        "changed_at": feed.changed_at.isoformat(),
        "entries": feed.entries,
    }


def origin(executor_code: str) -> str:
    return f"{executor_code.lower()}.{rules().rpz_origin_suffix}."


def rpz_ip_owner(value: str) -> str:
    """The rpz-ip trigger name of an address or range (RFC draft-vixie-dnsop-dns-rpz, section 4.3)."""
    network = ipaddress.ip_network(value, strict=False)
    if network.version == 4:
        labels = str(network.network_address).split(".")[::-1]
        return f"{network.prefixlen}.{'.'.join(labels)}.rpz-ip"
    left, sep, right = network.network_address.compressed.partition("::")
    words = (left.split(":") if left else []) + (["zz"] if sep else []) + (right.split(":") if right else [])
    return f"{network.prefixlen}.{'.'.join(reversed(words))}.rpz-ip"


def _comment(text: str) -> str:
    return _UNSAFE_IN_COMMENT.sub(" ", text)


def as_rpz(feed: Feed) -> str:
    """Domains as `name CNAME .` and `*.name CNAME .`; IPs as rpz-ip triggers; URLs and shops stay out
    (DNS cannot block a path, and blocking the host would over-block). dnspython writes the zone."""
    zone = dns.zone.Zone(dns.name.from_text(origin(feed.executor)))

    def add(owner: str, rdtype: dns.rdatatype.RdataType, text: str, comment: str | None = None) -> None:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)
        if comment is not None:
            rdata = rdata.replace(rdcomment=f" {_comment(comment)}")
        zone.find_rdataset(owner, rdtype, create=True).add(rdata, _RPZ_TTL)

    soa = f"localhost. hostmaster.{rules().rpz_origin_suffix}. {feed.serial} 3600 600 604800 300"
    add("@", dns.rdatatype.SOA, soa)
    add("@", dns.rdatatype.NS, "localhost.")
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for entry in feed.entries:
        if entry["kind"] == "domain":
            by_owner.setdefault(entry["value"], []).append(entry)
        elif entry["kind"] in ("ip", "ip_range"):
            by_owner.setdefault(rpz_ip_owner(entry["value"]), []).append(entry)
    for owner, found in by_owner.items():
        why = "; ".join(
            f"decision {e['decision_number'] or '-'} expires {e['valid_until']} ({e['display']})"
            for e in found
        )
        for name in [owner] if owner.endswith(".rpz-ip") else [owner, f"*.{owner}"]:
            add(name, dns.rdatatype.CNAME, ".", why)
    header = f"; Blocklist of {feed.executor}: serial {feed.serial}, changed {feed.changed_at.isoformat()}\n"
    return header + zone.to_text(want_comments=True, want_origin=True, nl="\n")
