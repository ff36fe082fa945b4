"""The blocklist by zone transfer: Knot DNS (knotd) serves each executor's RPZ with its TSIG key, the
registry publishes into it, and unbound loads the zone by AXFR/IXFR after knotd's NOTIFY.

Both daemons run as this user on high ports of 127.0.0.1 with everything in a temporary folder. Debian
bookworm's unbound (1.17) cannot sign a zone transfer with TSIG, so unbound is allowed by its address
(the `unsigned_from` of the servers file) and the TSIG checks use dnspython from another loopback
address (127.0.0.3), which only the key lets in. Without knotd, knotc or unbound these tests skip,
saying why; with CI=true they fail instead (scripts/test installs the packages there)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.tsig
import dns.tsigkeyring
import dns.zone
import pytest
from click.testing import CliRunner

from registry.cli import blocking as cli_blocking
from registry.cli import main
from registry.services.blocking import zones
from tests.blocking.helpers import APPROVER, body

BINARIES = {
    name: shutil.which(name) or shutil.which(f"/usr/sbin/{name}") for name in ("knotd", "knotc", "unbound")
}
VNPT_ZONE = "isp-vnpt.rpz.registry.nsc389.gov.vn."
SIGNED_CLIENT = "127.0.0.3"  # where dnspython's transfers come from: only the key lets it in
BLOCKED, LIFTED, INNOCENT = "hanggia-mypham.vn", "dong-ho-gia.vn", "cho-that.vn"
ADDRESSES = {BLOCKED: "192.0.2.10", LIFTED: "192.0.2.11", INNOCENT: "192.0.2.12"}


def _missing() -> str | None:
    missing = [name for name, path in BINARIES.items() if path is None]
    if not missing:
        return None
    why = f"zone-transfer tests need {', '.join(missing)} (apt-get install knot unbound)"
    if os.environ.get("CI") == "true":
        pytest.fail(why + "; CI must run them (scripts/test installs them)")
    return why


def _free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def _until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = check()
        except (dns.exception.Timeout, OSError):  # not answering yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


@dataclass
class Dns:
    folder: Path
    knot_port: int
    unbound_port: int
    processes: list[subprocess.Popen[bytes]]

    @property
    def socket(self) -> str:
        return str(self.folder / "knot" / "knot.sock")

    def start(self, *command: str, log: str) -> subprocess.Popen[bytes]:
        with (self.folder / log).open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / name).read_text(errors="replace")

    def ask(self, name: str) -> dns.message.Message:
        """unbound's answer to `name A`, over UDP."""
        return dns.query.udp(
            dns.message.make_query(name, "A"), "127.0.0.1", port=self.unbound_port, timeout=2
        )

    def rcode(self, name: str) -> str:
        return dns.rcode.to_text(self.ask(name).rcode())

    def transfer(self, keyring: dict[Any, Any] | None, **kwargs: Any) -> list[dns.message.Message]:
        """An AXFR (or IXFR with serial=) of VNPT's zone from knotd, from SIGNED_CLIENT."""
        messages = dns.query.xfr(
            "127.0.0.1",
            VNPT_ZONE,
            port=self.knot_port,
            source=SIGNED_CLIENT,
            keyring=keyring,
            keyname=zones.key_name("ISP-VNPT") if keyring else None,
            keyalgorithm=dns.tsig.HMAC_SHA256,
            timeout=5,
            lifetime=10,
            relativize=False,
            **kwargs,
        )
        return list(messages)


@pytest.fixture
def dns_servers(tmp_path: Path) -> Iterator[Dns]:
    why = _missing()
    if why:
        pytest.skip(why)
    (tmp_path / "knot" / "db").mkdir(parents=True)
    (tmp_path / "zones").mkdir()
    (tmp_path / "unbound").mkdir()
    servers = Dns(tmp_path, _free_port(), _free_port(), [])
    try:
        yield servers
    finally:
        for process in servers.processes:
            process.terminate()
        for process in servers.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def cli(db, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`registry blocking ...` on the test's session (what the API wrote is visible to it)."""

    class Scope:
        def __enter__(self):  # type: ignore[no-untyped-def]
            return db

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            db.flush()
            return False

    monkeypatch.setattr(cli_blocking, "session_scope", lambda: Scope())
    monkeypatch.setenv("REGISTRY_ENV", "testing")
    monkeypatch.setenv("REGISTRY_VAR_DIR", str(tmp_path / "var"))
    for name in ("REGISTRY_RPZ_ZONE_DIR", "REGISTRY_RPZ_SERVERS_FILE", "REGISTRY_RPZ_TSIG_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(main, ["blocking", *args])
        assert result.exit_code == code, result.output
        return result

    return invoke


def _knot_conf(servers: Dns, included: Path) -> Path:
    knot = servers.folder / "knot"
    path = knot / "knot.conf"
    path.write_text(
        "server:\n"
        f'    rundir: "{knot}"\n'
        f'    pidfile: "{knot}/knot.pid"\n'
        f"    listen: 127.0.0.1@{servers.knot_port}\n"
        "log:\n  - target: stderr\n    any: info\n"
        f'database:\n    storage: "{knot / "db"}"\n'
        f'control:\n    listen: "{servers.socket}"\n'
        f"include: {included}\n"
    )
    return path


def _unbound_conf(servers: Dns) -> Path:
    folder = servers.folder / "unbound"
    records = "\n".join(f"{name}. 60 IN A {address}" for name, address in ADDRESSES.items())
    (folder / "vn.zone").write_text(
        "vn. 60 IN SOA localhost. hostmaster.vn. 1 3600 600 604800 60\nvn. 60 IN NS localhost.\n"
        + records
        + "\n"
    )
    path = folder / "unbound.conf"
    path.write_text(
        "server:\n"
        "    interface: 127.0.0.1\n"
        f"    port: {servers.unbound_port}\n"
        '    username: ""\n    chroot: ""\n'
        f'    directory: "{folder}"\n    pidfile: "{folder}/unbound.pid"\n'
        '    do-daemonize: no\n    use-syslog: no\n    logfile: ""\n    verbosity: 1\n'
        "    do-ip6: no\n    num-threads: 1\n    do-not-query-localhost: no\n"
        "    access-control: 127.0.0.0/8 allow\n"
        '    module-config: "respip iterator"\n'
        # The names behind the blocks, answered by unbound itself (RPZ is applied before auth-zones).
        f'auth-zone:\n    name: "vn."\n    zonefile: "{folder}/vn.zone"\n    for-downstream: yes\n'
        "    for-upstream: yes\n"
        f'rpz:\n    name: "{VNPT_ZONE}"\n    primary: 127.0.0.1@{servers.knot_port}\n'
        "remote-control:\n    control-enable: no\n"
    )
    return path


def _keyring(secret: str) -> dict[Any, Any]:
    return dns.tsigkeyring.from_text({zones.key_name("ISP-VNPT"): (dns.tsig.HMAC_SHA256, secret)})


def _soa_serials(messages: list[dns.message.Message]) -> list[int]:
    return [rrset[0].serial for m in messages for rrset in m.answer if rrset.rdtype == dns.rdatatype.SOA]


def test_unbound_loads_the_blocklist_by_transfer_and_follows_a_lift(walker, grounds, cli, dns_servers):
    servers = dns_servers
    zone_dir = servers.folder / "zones"
    keys = servers.folder / "knot" / "rpz-keys.conf"
    servers_file = servers.folder / "rpz-servers.json"
    servers_file.write_text(
        json.dumps(
            {
                "ISP-VNPT": {
                    "notify": [f"127.0.0.1@{servers.unbound_port}"],
                    "transfer_from": [f"{SIGNED_CLIENT}/32"],
                    "unsigned_from": ["127.0.0.1"],  # unbound 1.17 cannot sign a transfer
                }
            }
        )
    )
    generated = cli(
        "dns-config", "--zone-dir", str(zone_dir), "--keys", str(keys), "--servers", str(servers_file)
    )
    stanza = servers.folder / "knot" / "rpz-zones.conf"
    stanza.write_text(generated.stdout)
    secrets = zones.read_keys(keys).secrets
    assert secrets[zones.key_name("ISP-VNPT")] not in generated.output  # the secret stays in its file
    assert oct(keys.stat().st_mode & 0o777) == "0o600"

    staying = walker.dispatched(body(*grounds, executors=["ISP-VNPT"]))  # in the feed from dispatch on
    lifting = walker.in_effect(
        body(*grounds, executors=["ISP-VNPT"], targets=[{"kind": "domain", "value": LIFTED}])
    )
    assert staying["state"] == "dispatched"

    servers.start(BINARIES["knotd"] or "knotd", "-c", str(_knot_conf(servers, stanza)), log="knot.log")
    _until(lambda: Path(servers.socket).exists(), 10, "knotd's control socket")
    published_at = time.monotonic()
    publish = ("publish-zones", "--zone-dir", str(zone_dir), "--knot-socket", servers.socket, "--json")
    first = {p["executor"]: p for p in json.loads(cli(*publish).stdout)}
    vnpt = first["ISP-VNPT"]
    assert vnpt["written"] and vnpt["reloaded"] and vnpt["error"] is None
    feed = walker.client.get("/api/v1/blocklists/ISP-VNPT.json", headers=walker.h("ISP-VNPT")).json
    assert feed["serial"] == vnpt["serial"]  # the zone's serial is the feed's
    again = {p["executor"]: p for p in json.loads(cli(*publish).stdout)}["ISP-VNPT"]
    assert again["serial"] == vnpt["serial"] and not again["written"] and not again["reloaded"]

    # Transfers: with VNPT's key from its address; not unsigned, nor with another key or a forged one.
    vnpt_key = _keyring(secrets[zones.key_name("ISP-VNPT")])
    good = dns.zone.from_xfr(iter(servers.transfer(vnpt_key)), relativize=False)
    assert good.get_rdataset(VNPT_ZONE, "SOA")[0].serial == vnpt["serial"]
    assert {f"{BLOCKED}.{VNPT_ZONE}", f"*.{LIFTED}.{VNPT_ZONE}"} <= {n.to_text() for n in good.nodes}
    for keyring in (None, _keyring(secrets[zones.key_name("ISP-VIETTEL")]), _keyring("Zm9yZ2VkIGtleQ==")):
        with pytest.raises((dns.query.TransferError, dns.tsig.PeerError)):
            servers.transfer(keyring)

    # unbound fetches it by transfer (AXFR at start); blocked names answer NXDOMAIN.
    servers.start(
        BINARIES["unbound"] or "unbound", "-d", "-c", str(_unbound_conf(servers)), log="unbound.log"
    )
    _until(lambda: servers.rcode(f"www.{BLOCKED}") == "NXDOMAIN", 10, "unbound blocks " + BLOCKED)
    assert time.monotonic() - published_at < 10
    assert servers.rcode(BLOCKED) == "NXDOMAIN" and servers.rcode(LIFTED) == "NXDOMAIN"
    innocent = servers.ask(INNOCENT)
    assert dns.rcode.to_text(innocent.rcode()) == "NOERROR"
    assert innocent.answer[0][0].address == ADDRESSES[INNOCENT]

    # Lifted: the next publish reloads the zone, knotd NOTIFYs unbound, which fetches the change by IXFR.
    walker.ok(lifting["id"], "lift", officer=APPROVER, reason="Đã gỡ", decision_id=walker.decision())
    second = {p["executor"]: p for p in json.loads(cli(*publish).stdout)}["ISP-VNPT"]
    assert second["serial"] > vnpt["serial"] and second["reloaded"]

    def resolves() -> bool:
        answer = servers.ask(LIFTED)
        return answer.rcode() == dns.rcode.NOERROR and bool(answer.answer)

    _until(resolves, 10, f"{LIFTED} resolves again after its lift")
    assert servers.ask(LIFTED).answer[0][0].address == ADDRESSES[LIFTED]
    assert servers.rcode(BLOCKED) == "NXDOMAIN"
    serials = f"serial {vnpt['serial']} -> {second['serial']}"
    unbound_ixfr = rf"IXFR, outgoing, remote 127\.0\.0\.1@\d+, started, {serials}"
    assert re.search(unbound_ixfr, servers.log("knot.log"))  # unbound's fetch was incremental
    assert (
        f"notify, outgoing, remote 127.0.0.1@{servers.unbound_port}, serial {second['serial']}"
        in servers.log("knot.log")
    )

    # An IXFR from the first serial is incremental: the old SOA, the lifted name's records, the new SOA.
    ixfr = servers.transfer(vnpt_key, rdtype=dns.rdatatype.IXFR, serial=vnpt["serial"])
    assert _soa_serials(ixfr) == [second["serial"], vnpt["serial"], second["serial"], second["serial"]]
    removed = {
        rrset.name.to_text() for m in ixfr for rrset in m.answer if rrset.rdtype == dns.rdatatype.CNAME
    }
    assert removed == {f"{LIFTED}.{VNPT_ZONE}", f"*.{LIFTED}.{VNPT_ZONE}"}


def test_publish_says_which_zone_knotd_did_not_load(walker, grounds, cli, tmp_path):
    walker.dispatched(body(*grounds, executors=["ISP-VNPT"]))
    zone_dir = tmp_path / "zones"
    result = cli(
        "publish-zones", "--zone-dir", str(zone_dir), "--knot-socket", str(tmp_path / "no.sock"), code=1
    )
    assert f"{VNPT_ZONE.rstrip('.')}" in result.output and "knot" in result.output
    text = zones.zone_file(zone_dir, "ISP-VNPT").read_text()
    assert f"{BLOCKED} 300 IN CNAME ." in text  # the file is written all the same, for the next try


def test_the_deploy_knot_conf_with_the_generated_zones_passes_knotc_conf_check(cli, tmp_path):
    why = _missing()
    if why:
        pytest.skip(why)
    root = Path(__file__).resolve().parent.parent.parent
    keys = tmp_path / "rpz-keys.conf"
    args = ("dns-config", "--zone-dir", str(tmp_path / "zones"), "--keys", str(keys))
    generated = cli(*args, "--servers", str(root / "deploy" / "rpz-servers.example.json"))
    assert (
        "isp-viettel-rpz-unsigned" in generated.stdout
        and "notify: isp-vnpt-rpz-resolvers" in generated.stdout
    )
    stanza = tmp_path / "rpz-zones.conf"
    stanza.write_text(generated.stdout)
    conf = tmp_path / "knot.conf"
    conf.write_text(
        (root / "deploy" / "knot.conf").read_text().replace("/etc/knot/rpz-zones.conf", str(stanza))
    )
    checked = subprocess.run(  # noqa: S603
        [BINARIES["knotc"] or "knotc", "-c", str(conf), "conf-check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    kept = keys.read_text()
    again = cli(*args)
    assert keys.read_text() == kept and "added" not in again.output  # keys are made once


@pytest.mark.parametrize(
    ("servers", "says"),
    [
        ({"ISP-NOBODY": {}}, "ISP-NOBODY, which have no blocklist"),
        ({"ISP-VNPT": {"notify": ["resolver.example"]}}, "'resolver.example' is not an address[@port]"),
        ({"ISP-VNPT": {"transfer_from": ["10.0.0.0/33"]}}, "is not an address or prefix"),
        ({"ISP-VNPT": {"allow": []}}, "only notify, transfer_from and unsigned_from"),
    ],
)
def test_dns_config_refuses_a_wrong_servers_file(cli, tmp_path, servers, says):
    path = tmp_path / "servers.json"
    path.write_text(json.dumps(servers))
    keys = tmp_path / "keys.conf"
    result = cli(
        "dns-config", "--zone-dir", str(tmp_path), "--keys", str(keys), "--servers", str(path), code=1
    )
    assert says in result.output and not keys.exists()
