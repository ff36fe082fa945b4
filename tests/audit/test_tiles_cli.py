"""`registry audit archive` from a real, sequenced log, and `registry audit verify --tiles` of the archive
(a directory, and the same directory served by a plain web server)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from registry.audit.recorder import record
from registry.audit.tiles import decode_bundle
from registry.cli import main
from tests.audit.helpers import LiveDb
from tests.factories import audit_event

FIRST = 300  # a full tile (256) and a partial one


def cli(live: LiveDb, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=live.env())


def add(live: LiveDb, count: int, start: int = 0) -> None:
    """`count` entries in one transaction, then one checkpoint for them all."""
    with live.sessions() as session, session.begin():
        for n in range(start, start + count):
            record(session, audit_event(n))
    live.sequence()


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def log(live: LiveDb) -> LiveDb:
    add(live, FIRST)
    return live


def test_archive_then_verify_then_extend(log: LiveDb) -> None:
    out = log.tmp / "archive"
    state = log.tmp / "state.json"
    key = log.verifier_key()

    done = cli(log, "audit", "archive", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert f"archived entries 0..{FIRST - 1}" in done.output
    assert set(files(out)) == {"checkpoint", "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"} | {
        "tile/entries/000",
        "tile/entries/001.p/44",
    }
    with log.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT note FROM audit_checkpoint WHERE size = 300").scalar_one()
        first = conn.exec_driver_sql(
            "SELECT e.body FROM audit_leaf l JOIN audit_entry e ON e.id = l.entry_id WHERE l.leaf_index = 0"
        ).scalar_one()
    assert (out / "checkpoint").read_text() == stored
    assert decode_bundle((out / "tile/entries/000").read_bytes())[0] == bytes(first)

    ok = cli(log, "audit", "verify", "--tiles", str(out), "--verifier-key", key, "--state", str(state))
    assert ok.exit_code == 0, ok.output
    assert f"OK: {FIRST} entries" in ok.output

    add(log, 20, start=FIRST)
    again = cli(log, "audit", "archive", "--out", str(out))
    assert again.exit_code == 0, again.output
    assert f"archived entries {FIRST}..{FIRST + 19}" in again.output
    assert (out / "tile/0/001.p/64").is_file() and (out / "tile/0/001.p/44").is_file()
    since = log.tmp / "since.json"
    since.write_text(state.read_text())
    later = cli(log, "audit", "verify", "--tiles", str(out), "--verifier-key", key, "--state", str(state))
    assert later.exit_code == 0, later.output
    assert f"OK: {FIRST + 20} entries, root" in later.output
    assert f"extends the saved checkpoint of size {FIRST}" in later.output
    # Incremental: from the archive's tiles at the saved size, only the 20 entries after it.
    step = cli(
        log,
        "audit",
        "verify",
        "--tiles",
        str(out),
        "--verifier-key",
        key,
        "--state",
        str(since),
        "--since-state",
    )
    assert step.exit_code == 0, step.output
    assert f"extends the saved checkpoint of size {FIRST} (--since-state: 20 entries read)" in step.output
    assert since.read_text() == state.read_text()

    same = cli(log, "audit", "archive", "--out", str(out))
    assert same.exit_code == 0 and "up to date: 320 entries" in same.output
    # The database verifies to the same tree.
    db = cli(log, "audit", "verify", "--database", "--verifier-key", key, "--state", str(state))
    assert db.exit_code == 0, db.output


def test_archive_a_given_size(log: LiveDb) -> None:
    add(log, 5, start=FIRST)
    out = log.tmp / "archive"
    missing = cli(log, "audit", "archive", "--out", str(out), "--size", "299")
    assert missing.exit_code == 1
    assert "not archived: the log signed no checkpoint of size 299" in missing.output
    assert not (out / "checkpoint").exists()
    done = cli(log, "audit", "archive", "--out", str(out), "--size", str(FIRST))
    assert done.exit_code == 0, done.output
    ok = cli(log, "audit", "verify", "--tiles", str(out), "--verifier-key", log.verifier_key())
    assert f"OK: {FIRST} entries" in ok.output


def test_refuses_an_archive_the_database_did_not_sign_and_changes_nothing(
    log: LiveDb, tmp_path: Path
) -> None:
    out = log.tmp / "archive"
    assert cli(log, "audit", "archive", "--out", str(out)).exit_code == 0
    # The archive's partial tile altered: the database's stored tree state for size 300 disagrees.
    tile = out / "tile/1/000.p/1"
    tile.write_bytes(b"\x00" * 32)
    add(log, 3, start=FIRST)
    before = files(out)
    refused = cli(log, "audit", "archive", "--out", str(out))
    assert refused.exit_code == 1
    assert "partial tiles for size 300 are not the database's tree" in refused.output
    assert files(out) == before
    (out / "checkpoint").write_text((out / "checkpoint").read_text().replace("\n300\n", "\n299\n"))
    unsigned = cli(log, "audit", "archive", "--out", str(out))
    assert unsigned.exit_code == 1
    assert "checkpoint (size 299) is not one this database signed" in unsigned.output


def test_verify_reports_an_altered_bundle(log: LiveDb) -> None:
    out = log.tmp / "archive"
    assert cli(log, "audit", "archive", "--out", str(out)).exit_code == 0
    bundle = out / "tile/entries/000"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x20
    bundle.write_bytes(bytes(data))
    failed = cli(log, "audit", "verify", "--tiles", str(out), "--verifier-key", log.verifier_key())
    assert failed.exit_code == 1
    assert "VERIFICATION FAILED:" in failed.output
    assert "of tile/entries/000 does not hash to hash" in failed.output
    nothing = cli(log, "audit", "verify", "--tiles", str(log.tmp / "nowhere"), "--verifier-key", "k+1+AA==")
    assert nothing.exit_code != 0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(log: LiveDb) -> Iterator[tuple[LiveDb, str]]:
    out = log.tmp / "archive"
    assert cli(log, "audit", "archive", "--out", str(out)).exit_code == 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield log, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_verify_an_archive_a_plain_web_server_serves(served: tuple[LiveDb, str]) -> None:
    log, url = served
    ok = cli(log, "audit", "verify", "--tiles", url, "--verifier-key", log.verifier_key())
    assert ok.exit_code == 0, ok.output
    assert f"OK: {FIRST} entries" in ok.output
    (log.tmp / "archive/tile/entries/001.p/44").unlink()
    gone = cli(log, "audit", "verify", "--tiles", url, "--verifier-key", log.verifier_key())
    assert gone.exit_code == 1
    assert "tile/entries/001.p/44 is missing" in gone.output
