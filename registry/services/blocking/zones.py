"""Each executor's blocklist served by an authoritative DNS server (Knot DNS) over AXFR/IXFR, the way
resolvers (BIND, unbound, Knot Resolver, PowerDNS) load every response-policy zone.

The registry writes each executor's RPZ (feed.as_rpz: the SOA serial is the feed's serial) as a zone
file in the folder knotd loads zones from, and asks knotd over its control socket (`knotc zone-reload`)
to load any zone whose served serial is not the registry's. Knot computes the difference (its
`zonefile-load: difference`), keeps it in its journal for IXFR, and sends NOTIFY to the executor's
resolvers. Transfers need the executor's TSIG key (one per executor, in a `key:` file of Knot's that
only knotd and the operator read); `knot_config` writes the zones, ACLs and NOTIFY targets.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from secrets import token_bytes

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Agency
from registry.services.blocking import feed as feeds
from registry.services.blocking.access import FEED_AGENCY_KINDS

TSIG_ALGORITHM = "hmac-sha256"
_KEY_LINE = re.compile(r"^\s*(?:-\s*)?(id|algorithm|secret)\s*:\s*(\S+)\s*$")
_ADDRESS = re.compile(r"^(?P<ip>[0-9A-Fa-f:.]+)(?:@(?P<port>\d{1,5}))?$")


class ZoneError(RuntimeError):
    """A zone could not be published, or the DNS configuration is wrong (the message says which)."""


@dataclass(frozen=True)
class Transfer:
    """How one executor's resolvers get its zone: where NOTIFY goes, where transfers may come from."""

    notify: tuple[str, ...] = ()  # "address[@port]" of its resolvers
    transfer_from: tuple[
        str, ...
    ] = ()  # addresses or prefixes allowed with the key; empty: any, with the key
    unsigned_from: tuple[str, ...] = ()  # resolvers that cannot sign a transfer: by address alone


@dataclass(frozen=True)
class Published:
    executor: str
    zone: str  # the zone's name, with its final dot
    serial: int
    written: bool  # the zone file changed
    reloaded: bool  # knotd loaded it (it then sends NOTIFY)
    error: str | None = None  # why knotd did not load it


@dataclass
class Keys:
    """One TSIG key per executor (its key name -> base64 secret), as Knot's `key:` section."""

    secrets: dict[str, str] = field(default_factory=dict)

    def ensure(self, names: Iterable[str]) -> list[str]:
        added = [name for name in names if name not in self.secrets]
        for name in added:
            self.secrets[name] = base64.b64encode(token_bytes(32)).decode()
        return added

    def as_knot(self) -> str:
        lines = ["# TSIG keys of the executors' RPZ transfers (registry blocking dns-config). Secret."]
        lines += ["key:"] if self.secrets else []
        for name in sorted(self.secrets):
            lines += [
                f"  - id: {name}",
                f"    algorithm: {TSIG_ALGORITHM}",
                f"    secret: {self.secrets[name]}",
            ]
        return "\n".join(lines) + "\n"


def executors(session: Session) -> list[Agency]:
    """The agencies that have a blocklist (feed.py), by code."""
    return list(
        session.scalars(select(Agency).where(Agency.kind.in_(FEED_AGENCY_KINDS)).order_by(Agency.code))
    )


def zone_name(executor_code: str) -> str:
    return feeds.origin(executor_code)


def key_name(executor_code: str) -> str:
    return f"{executor_code.lower()}-rpz"


def zone_file(zone_dir: Path, executor_code: str) -> Path:
    """Knot's default file name of the zone (`%s.zone`: the name without its final dot)."""
    return zone_dir / f"{zone_name(executor_code).rstrip('.')}.zone"


# --- Keys and the servers file ---------------------------------------------------------------------


def read_keys(path: Path) -> Keys:
    """The keys of a file written by `write_keys` (Knot's `key:` syntax; only that shape is read)."""
    if not path.exists():
        return Keys()
    found: dict[str, str] = {}
    current: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _KEY_LINE.match(line)
        if match is None:
            continue
        name, value = match.groups()
        if name == "id":
            current = value
        elif name == "algorithm" and value != TSIG_ALGORITHM:
            raise ZoneError(f"{path}:{number}: algorithm {value}; these keys are {TSIG_ALGORITHM}")
        elif name == "secret":
            if current is None:
                raise ZoneError(f"{path}:{number}: a secret before its key's id")
            found[current] = value
    return Keys(found)


def write_keys(path: Path, keys: Keys) -> None:
    """Written whole, readable by its owner only (give knotd's group read access: chgrp knot, chmod 640)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(keys.as_knot())
    if path.exists():
        os.chmod(temporary, path.stat().st_mode & 0o777)
    os.replace(temporary, path)


def _addresses(values: object, where: str, *, prefixes: bool) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ZoneError(f"{where}: a list of addresses")
    for value in values:
        try:
            if prefixes:
                ipaddress.ip_network(value, strict=False)
            else:
                match = _ADDRESS.match(value)
                if match is None:
                    raise ValueError(value)
                ipaddress.ip_address(match["ip"])
        except ValueError:
            raise ZoneError(
                f"{where}: {value!r} is not an address{' or prefix' if prefixes else '[@port]'}"
            ) from None
    return tuple(values)


def read_servers(path: Path | None) -> dict[str, Transfer]:
    """`{"ISP-VNPT": {"notify": ["192.0.2.53"], "transfer_from": ["192.0.2.0/28"], "unsigned_from": []}}`"""
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ZoneError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ZoneError(f"{path}: an object of executor codes")
    found = {}
    for code, entry in raw.items():
        if not isinstance(entry, dict) or set(entry) - {"notify", "transfer_from", "unsigned_from"}:
            raise ZoneError(f"{path}: {code}: only notify, transfer_from and unsigned_from")
        found[code] = Transfer(
            notify=_addresses(entry.get("notify", []), f"{path}: {code}.notify", prefixes=False),
            transfer_from=_addresses(
                entry.get("transfer_from", []), f"{path}: {code}.transfer_from", prefixes=True
            ),
            unsigned_from=_addresses(
                entry.get("unsigned_from", []), f"{path}: {code}.unsigned_from", prefixes=True
            ),
        )
    return found


# --- Knot's configuration --------------------------------------------------------------------------


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(values) + "]"


def knot_config(codes: list[str], servers: dict[str, Transfer], zone_dir: Path, keys_file: Path) -> str:
    """The part of knot.conf that serves the executors' zones: it includes the keys file, and has per
    executor a NOTIFY target (its resolvers), an ACL allowing transfers signed with its key (from its
    addresses when given), and its zone. Secrets stay in the keys file."""
    unknown = sorted(set(servers) - set(codes))
    if unknown:
        raise ZoneError(f"the servers file names {', '.join(unknown)}, which have no blocklist")
    out = [
        "# The executors' RPZ zones (registry blocking dns-config): one zone, TSIG key and ACL per executor.",
        f'include: "{keys_file}"',
        "",
        "template:",
        "  - id: rpz",
        f'    storage: "{zone_dir}"',
        "    zonefile-sync: -1  # the registry writes the files; knotd never does",
        "    zonefile-load: difference  # each reload kept as a change in the journal: IXFR",
        "    journal-content: changes",
        "    semantic-checks: on",
    ]
    remotes = [code for code in codes if servers.get(code, Transfer()).notify]
    if remotes:
        out += ["", "remote:"]
        for code in remotes:
            out += [f"  - id: {key_name(code)}-resolvers", f"    address: {_list(servers[code].notify)}"]
    out += ["", "acl:"]
    for code in codes:
        transfer = servers.get(code, Transfer())
        out += [f"  - id: {key_name(code)}-transfer", f"    key: {key_name(code)}", "    action: transfer"]
        if transfer.transfer_from:
            out.append(f"    address: {_list(transfer.transfer_from)}")
        if transfer.unsigned_from:
            out += [
                f"  - id: {key_name(code)}-unsigned  # resolvers that cannot sign a transfer",
                f"    address: {_list(transfer.unsigned_from)}",
                "    action: transfer",
            ]
    out += ["", "zone:"]
    for code in codes:
        transfer = servers.get(code, Transfer())
        acls = [f"{key_name(code)}-transfer"] + (
            [f"{key_name(code)}-unsigned"] if transfer.unsigned_from else []
        )
        out += [f"  - domain: {zone_name(code)}", "    template: rpz", f"    acl: {_list(acls)}"]
        if transfer.notify:
            out.append(f"    notify: {key_name(code)}-resolvers")
    return "\n".join(out) + "\n"


# --- Publishing ------------------------------------------------------------------------------------


def write_zone(path: Path, text: str) -> bool:
    """The zone file replaced atomically when its text changed; whether it did."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(text, encoding="utf-8")
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return True


class Knot:
    """knotd through `knotc` on its control socket."""

    def __init__(self, socket: str, knotc: str | None = None, timeout: int = 30) -> None:
        # Debian puts knotc in /usr/sbin, which a service user's PATH may lack.
        self.knotc = knotc or shutil.which("knotc") or "/usr/sbin/knotc"
        self.socket, self.timeout = socket, timeout

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [self.knotc, "-s", self.socket, "-t", str(self.timeout), *args]
        try:
            return subprocess.run(  # noqa: S603 - a fixed program with the zone's name as its argument
                command, capture_output=True, text=True, timeout=self.timeout + 5, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ZoneError(f"knotc ({self.socket}): {exc}") from None

    def served_serial(self, zone: str) -> int | None:
        """The SOA serial knotd serves for the zone; None when it serves none (not loaded yet)."""
        result = self._run("zone-read", zone, "@", "SOA")
        if result.returncode != 0:
            return None
        for line in result.stdout.splitlines():
            fields = line.split()
            if "SOA" in fields:
                return int(fields[fields.index("SOA") + 3])
        return None

    def reload(self, zone: str) -> None:
        result = self._run("-b", "zone-reload", zone)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise ZoneError(f"knotd did not load {zone}: {detail} (is the zone in knot.conf? dns-config)")


def publish(
    session: Session, zone_dir: Path, knot: Knot | None, now: datetime | None = None
) -> list[Published]:
    """Every executor's zone file brought to its blocklist now (the serial bumped as the feeds do), and
    knotd asked to load each zone it serves at another serial (it then sends NOTIFY). A zone knotd
    could not load says why in its `error`; the others are done all the same."""
    zone_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for executor in executors(session):
        feed = feeds.snapshot(session, executor, now)
        zone = zone_name(executor.code)
        written = write_zone(zone_file(zone_dir, executor.code), feeds.as_rpz(feed))
        reloaded, error = False, None
        try:
            if knot is not None and knot.served_serial(zone) != feed.serial:
                knot.reload(zone)
                reloaded = True
        except ZoneError as exc:
            error = str(exc)
        done.append(Published(executor.code, zone, feed.serial, written, reloaded, error))
    session.flush()
    return done
