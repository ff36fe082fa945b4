"""The archive checked by an independent implementation: golang.org/x/mod/sumdb/{note,tlog} (Debian's
golang-go and golang-golang-x-mod-dev, in GOPATH mode, no network), through tests/audit/tlogtiles/check.go.

That program opens the checkpoint with the Go note package, proves every tile it reads against the
signed root (tlog.TileHashReader), checks each bundle's entries against the level-0 hashes and checks
inclusion proofs. The archive here is the spec's 70,000-entry example (tiles up to level 2) written in
steps, and the one `registry audit archive` writes from a database. Without Go these tests skip, saying
why; with CI=true they fail instead (scripts/test installs the packages there)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from tests.audit.helpers import LiveDb
from tests.audit.test_tiles_cli import add
from tests.audit.tiles_helpers import SyntheticLog

CHECK = Path(__file__).parent / "tlogtiles" / "check.go"
GOPATH = Path("/usr/share/gocode")  # where golang-golang-x-mod-dev installs golang.org/x/mod


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        why = "the Go check needs Debian's golang-go and golang-golang-x-mod-dev"
        if os.environ.get("CI") == "true":
            pytest.fail(why + "; CI must run it (scripts/test installs them)")
        pytest.skip(why)
    build = tmp_path_factory.mktemp("go")
    binary = build / "check"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(build / "cache"),
        "GOFLAGS": "",
        "GOPROXY": "off",
    }
    subprocess.run(  # noqa: S603 - Debian's go and our own program
        [go, "build", "-o", str(binary), str(CHECK)], check=True, env=env, timeout=300
    )
    return binary


def run(checker: Path, archive: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the checker built above
        [str(checker), str(archive), key], capture_output=True, text=True, timeout=120, check=False
    )


def test_go_tlog_verifies_the_spec_example_written_in_steps(checker: Path, tmp_path: Path) -> None:
    log = SyntheticLog([255, 256, 30_000, 70_000])
    for size in (255, 256, 30_000, 70_000):
        log.archive(tmp_path, size)
        done = run(checker, tmp_path, log.verifier_key)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"OK {size} ")
    root = log.trees[70_000].note.split("\n")[2]
    assert done.stdout.strip() == f"OK 70000 {root}"

    tile = tmp_path / "tile/1/000"
    tile.write_bytes(tile.read_bytes()[:100] + b"\x00" + tile.read_bytes()[101:])
    forged = run(checker, tmp_path, log.verifier_key)
    assert forged.returncode == 1
    assert forged.stderr.startswith("FAIL")


def test_go_tlog_verifies_what_registry_audit_archive_writes(checker: Path, live: LiveDb) -> None:
    add(live, 300)
    out = live.tmp / "archive"
    done = CliRunner().invoke(main, ["audit", "archive", "--out", str(out)], env=live.env())
    assert done.exit_code == 0, done.output
    key = live.verifier_key()
    ok = run(checker, out, key)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK 300 ")

    bundle = out / "tile/entries/001.p/44"
    data = bytearray(bundle.read_bytes())
    data[-1] ^= 0x01
    bundle.write_bytes(bytes(data))
    bad = run(checker, out, key)
    assert bad.returncode == 1
    assert "does not hash to leaf" in bad.stderr
