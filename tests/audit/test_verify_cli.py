"""`registry audit verify --database` against a real, committed log that an administrator tampered with."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from registry.audit.recorder import record
from registry.cli import main
from tests.audit.helpers import LiveDb
from tests.factories import audit_event

SIZE = 8


def verify(live: LiveDb, *extra: str):  # type: ignore[no-untyped-def]
    args = ["audit", "verify", "--database", "--verifier-key", live.verifier_key(), *extra]
    return CliRunner().invoke(main, args, env=live.env())


def evidence(result) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(result.output[result.output.index("{") :])


def entry_id(live: LiveDb, index: int) -> int:
    with live.engine.connect() as conn:
        return conn.scalar(text("SELECT entry_id FROM audit_leaf WHERE leaf_index = :i"), {"i": index})


@pytest.fixture
def log(live: LiveDb) -> LiveDb:
    live.add(SIZE)  # one checkpoint per entry, so a mismatch is located exactly
    ok = verify(live)
    assert ok.exit_code == 0, ok.output
    assert f"OK: {SIZE} entries" in ok.output
    return live


def test_altered_entry_is_detected_with_its_index(log: LiveDb) -> None:
    victim = entry_id(log, 3)
    with log.engine.connect() as conn:
        body = conn.scalar(text("SELECT body FROM audit_entry WHERE id = :id"), {"id": victim})
    forged = bytes(body).replace(b'"v":1', b'"v":2')  # no search column changes (PostgreSQL checks those)
    assert forged != body
    log.tamper(
        ("UPDATE audit_entry SET body = :body WHERE id = :id", {"body": forged, "id": victim}),
        tables=("audit_entry",),
    )
    result = verify(log)
    assert result.exit_code == 1
    assert "do not hash to the signed root" in result.output
    assert evidence(result)["first_mismatching_index"] == 3


def test_altered_entry_with_recomputed_leaf_hash_is_located_by_the_signed_checkpoints(log: LiveDb) -> None:
    victim = entry_id(log, 5)
    with log.engine.connect() as conn:
        body = conn.scalar(text("SELECT body FROM audit_entry WHERE id = :id"), {"id": victim})
    forged = bytes(body).replace(b"allowed", b"denied!")
    log.tamper(
        (  # the outcome column too: on PostgreSQL the database holds it to the body
            "UPDATE audit_entry SET body = :body, leaf_hash = :hash, outcome = 'denied!' WHERE id = :id",
            {"body": forged, "hash": hashlib.sha256(b"\x00" + forged).digest(), "id": victim},
        ),
        tables=("audit_entry",),
    )
    result = verify(log)
    assert result.exit_code == 1
    found = evidence(result)
    assert found["first_mismatching_index"] == 5
    assert found["mismatch_between"] == [5, 6]
    assert found["first_bad_checkpoint"]["size"] == 6


def test_deleted_entry_is_detected(log: LiveDb) -> None:
    victim = entry_id(log, 2)
    log.tamper(
        "DELETE FROM audit_leaf WHERE leaf_index = 2",
        f"DELETE FROM audit_entry WHERE id = {victim}",
        tables=("audit_leaf", "audit_entry"),
    )
    result = verify(log)
    assert result.exit_code == 1
    assert "leaf index 2 is missing" in result.output


def test_deleted_entry_with_renumbered_leaves_is_detected(log: LiveDb) -> None:
    log.tamper(
        "DELETE FROM audit_leaf WHERE leaf_index = 2",
        "UPDATE audit_leaf SET leaf_index = leaf_index + 1000 WHERE leaf_index > 2",
        "UPDATE audit_leaf SET leaf_index = leaf_index - 1001 WHERE leaf_index > 1000",
        tables=("audit_leaf",),
    )
    result = verify(log)
    assert result.exit_code == 1
    assert f"serves {SIZE - 1} entries but signed {SIZE}" in result.output


def test_inserted_entry_is_detected(log: LiveDb) -> None:
    with log.sessions() as session, session.begin():
        intruder_id = record(session, audit_event(99, officer="nobody"))
    log.tamper(
        "UPDATE audit_leaf SET leaf_index = leaf_index + 1000 WHERE leaf_index >= 4",
        "UPDATE audit_leaf SET leaf_index = leaf_index - 999 WHERE leaf_index >= 1000",
        f"INSERT INTO audit_leaf (leaf_index, entry_id, entry_occurred_at, sequenced_at) VALUES (4, "
        f"{intruder_id}, (SELECT occurred_at FROM audit_entry WHERE id = {intruder_id}), CURRENT_TIMESTAMP)",
        tables=("audit_leaf",),
    )
    result = verify(log)
    assert result.exit_code == 1
    assert evidence(result)["first_mismatching_index"] == 4


def test_reordered_entries_are_detected(log: LiveDb) -> None:
    log.tamper(
        "UPDATE audit_leaf SET leaf_index = -1 WHERE leaf_index = 6",
        "UPDATE audit_leaf SET leaf_index = 6 WHERE leaf_index = 1",
        "UPDATE audit_leaf SET leaf_index = 1 WHERE leaf_index = -1",
        tables=("audit_leaf",),
    )
    result = verify(log)
    assert result.exit_code == 1
    assert evidence(result)["first_mismatching_index"] == 1


def _cut(log: LiveDb, keep: int) -> None:
    """Remove everything after the first `keep` entries, as an administrator rewriting history would."""
    with log.engine.connect() as conn:
        ids = [
            r[0] for r in conn.execute(text(f"SELECT entry_id FROM audit_leaf WHERE leaf_index >= {keep}"))
        ]
    log.tamper(
        f"DELETE FROM audit_checkpoint WHERE size > {keep}",
        f"DELETE FROM audit_leaf WHERE leaf_index >= {keep}",
        f"DELETE FROM audit_entry WHERE id IN ({','.join(map(str, ids))})",
        tables=("audit_checkpoint", "audit_leaf", "audit_entry"),
    )


def test_a_shrunk_log_is_detected_against_saved_state(log: LiveDb) -> None:
    state = str(log.tmp / "state.json")
    assert verify(log, "--state", state).exit_code == 0
    _cut(log, 5)
    result = verify(log, "--state", state)
    assert result.exit_code == 1
    assert f"the log shrank from {SIZE} to 5" in result.output
    found = evidence(result)
    assert found["previous_checkpoint"]["size"] == SIZE and found["checkpoint"]["size"] == 5
    assert json.loads(Path(state).read_text())["size"] == SIZE  # state is kept on failure


def test_a_forked_log_is_detected_against_saved_state(log: LiveDb) -> None:
    state = str(log.tmp / "state.json")
    assert verify(log, "--state", state).exit_code == 0
    _cut(log, 5)
    log.add(SIZE)  # a new, internally consistent history, longer than the one verified
    assert verify(log).exit_code == 0  # on its own, the rewritten log looks fine...
    result = verify(log, "--state", state)  # ...but not against what was verified before
    assert result.exit_code == 1
    assert "forked" in result.output
    assert "consistency_proof" in evidence(result)


def test_growth_is_accepted_against_saved_state_and_export_writes_every_entry(log: LiveDb) -> None:
    state = str(log.tmp / "state.json")
    assert verify(log, "--state", state).exit_code == 0
    log.add(3, sequence_each=False)
    log.sequence()
    result = verify(log, "--state", state)
    assert result.exit_code == 0, result.output
    assert f"extends the saved checkpoint of size {SIZE}" in result.output
    out = log.tmp / "export.jsonl"
    exported = CliRunner().invoke(main, ["audit", "export", "--out", str(out)], env=log.env())
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["checkpoint"].startswith("registry.test/audit\n11\n")
    assert [line["leaf_index"] for line in lines[1:]] == list(range(SIZE + 3))


def _state(log: LiveDb) -> str:
    state = str(log.tmp / "state.json")
    assert verify(log, "--state", state).exit_code == 0
    return state


def test_since_state_reads_only_the_entries_after_the_saved_checkpoint(log: LiveDb) -> None:
    state = _state(log)
    log.add(3)
    result = verify(log, "--state", state, "--since-state")
    assert result.exit_code == 0, result.output
    assert f"OK: {SIZE + 3} entries" in result.output
    assert f"extends the saved checkpoint of size {SIZE} (--since-state: 3 entries read)" in result.output
    assert f"NOT CHECKED: entries below leaf index {SIZE} (the saved checkpoint) were not read again" in (
        result.output
    )
    assert json.loads(Path(state).read_text())["size"] == SIZE + 3
    again = verify(log, "--state", state, "--since-state")  # nothing new: nothing read
    assert again.exit_code == 0 and "(--since-state: 0 entries read)" in again.output, again.output


def test_since_state_finds_an_entry_altered_after_the_saved_checkpoint(log: LiveDb) -> None:
    state = _state(log)
    log.add(3)
    victim = entry_id(log, SIZE + 1)
    with log.engine.connect() as conn:
        body = conn.scalar(text("SELECT body FROM audit_entry WHERE id = :id"), {"id": victim})
    forged = bytes(body).replace(b"allowed", b"denied!")
    log.tamper(
        (
            "UPDATE audit_entry SET body = :body, leaf_hash = :hash, outcome = 'denied!' WHERE id = :id",
            {"body": forged, "hash": hashlib.sha256(b"\x00" + forged).digest(), "id": victim},
        ),
        tables=("audit_entry",),
    )
    result = verify(log, "--state", state, "--since-state")
    assert result.exit_code == 1
    found = evidence(result)
    assert found["since_state"] == SIZE
    assert found["mismatch_between"] == [SIZE + 1, SIZE + 2]
    assert found["first_mismatching_index"] == SIZE + 1
    assert json.loads(Path(state).read_text())["size"] == SIZE  # state is kept on failure


def test_since_state_uses_the_stored_frontier_only_if_it_hashes_to_the_saved_root(log: LiveDb) -> None:
    state = _state(log)
    log.add(2)
    with log.engine.connect() as conn:
        stored = bytes(conn.scalar(text(f"SELECT compact_range FROM audit_checkpoint WHERE size = {SIZE}")))
    forged = stored[:-1] + bytes([stored[-1] ^ 1])
    log.tamper(
        (f"UPDATE audit_checkpoint SET compact_range = :forged WHERE size = {SIZE}", {"forged": forged}),
        tables=("audit_checkpoint",),
    )
    result = verify(log, "--state", state, "--since-state")
    assert result.exit_code == 1
    assert "the log forked, or its stored frontier was altered" in result.output
    assert "computed_previous_root" in evidence(result)
    # Every entry is intact: a run without --since-state, which reads them all, says so.
    assert verify(log, "--state", state).exit_code == 0


def test_since_state_detects_a_forked_log(log: LiveDb) -> None:
    state = _state(log)
    _cut(log, 5)
    log.add(SIZE)  # a new history with a checkpoint of the saved size, and another root
    result = verify(log, "--state", state, "--since-state")
    assert result.exit_code == 1
    assert "forked" in result.output


def test_since_state_leaves_entries_below_the_saved_checkpoint_to_a_full_run(log: LiveDb) -> None:
    """The trade-off it makes, said in every run's NOT CHECKED line: an entry rewritten below the saved
    checkpoint, its leaf hash recomputed, is not read again; a full run finds it."""
    state = _state(log)
    log.add(1)
    victim = entry_id(log, 3)
    with log.engine.connect() as conn:
        body = conn.scalar(text("SELECT body FROM audit_entry WHERE id = :id"), {"id": victim})
    forged = bytes(body).replace(b"allowed", b"denied!")
    log.tamper(
        (
            "UPDATE audit_entry SET body = :body, leaf_hash = :hash, outcome = 'denied!' WHERE id = :id",
            {"body": forged, "hash": hashlib.sha256(b"\x00" + forged).digest(), "id": victim},
        ),
        tables=("audit_entry",),
    )
    assert verify(log, "--state", str(log.tmp / "copy.json")).exit_code == 1
    result = verify(log, "--state", state, "--since-state")
    assert result.exit_code == 0, result.output
    assert "not read again (--since-state)" in result.output


def test_since_state_needs_a_state_file_and_a_frontier(log: LiveDb) -> None:
    no_state = verify(log, "--since-state")
    assert no_state.exit_code == 2 and "--since-state needs --state" in no_state.output
    args = ["audit", "verify", "--url", "http://127.0.0.1:1", "--verifier-key", log.verifier_key()]
    by_url = CliRunner().invoke(main, [*args, "--state", str(log.tmp / "s.json"), "--since-state"])
    assert by_url.exit_code == 2 and "needs --database or --tiles" in by_url.output
    first = verify(log, "--state", str(log.tmp / "new.json"), "--since-state")  # no state yet: all of it
    assert first.exit_code == 0, first.output
    assert f"OK: {SIZE} entries" in first.output and "No earlier state" in first.output


@pytest.mark.parametrize("rotate", [["audit", "rotate-key"], ["keys", "rotate", "--audit"]])
def test_sequence_command_and_rotate_key(live: LiveDb, rotate: list[str]) -> None:
    live.add(4, sequence_each=False)
    result = CliRunner().invoke(main, ["audit", "sequence", "--once"], env=live.env())
    assert result.exit_code == 0, result.output
    assert "tree size 4" in result.output
    old = live.verifier_key()
    rotated = CliRunner().invoke(main, [*rotate, "--overlap", "1h"], env=live.env())
    assert rotated.exit_code == 0, rotated.output
    new = rotated.output.strip()
    live.add(1)
    for key in (old, new):  # during the overlap either key verifies the newest checkpoint
        ok = CliRunner().invoke(
            main, ["audit", "verify", "--database", "--verifier-key", key], env=live.env()
        )
        assert ok.exit_code == 0, ok.output
    listed = CliRunner().invoke(main, ["audit", "verifier-key"], env=live.env())
    assert listed.output.split() == [new, old]


def test_rotate_key_first_makes_the_first_key_once(cli_env: dict[str, str]) -> None:
    """Installation (registry.service's ExecStartPre, compose's migrate) runs it on every start."""
    made = CliRunner().invoke(main, ["audit", "rotate-key", "--first"], env=cli_env)
    assert made.exit_code == 0, made.output
    again = CliRunner().invoke(main, ["audit", "rotate-key", "--first"], env=cli_env)
    assert again.exit_code == 0 and again.stdout == made.stdout  # the same key, no second one
    listed = CliRunner().invoke(main, ["audit", "verifier-key"], env=cli_env)
    assert listed.stdout.split() == [made.stdout.strip()]
