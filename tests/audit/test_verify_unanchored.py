"""Without an earlier state, verify says what it could not check (issue #14), without failing a good log.

Deleting the newest entries together with their checkpoints leaves a smaller, internally consistent
log: only a comparison with an earlier checkpoint (a state file, or a witness keeping one) shows it.
"""

from __future__ import annotations

from click.testing import CliRunner

from registry.audit import verify as verify_module
from registry.audit.note import Verifier
from registry.audit.verify import DatabaseSource, verify_log
from registry.cli import main
from tests.audit.helpers import LiveDb


def verify(live: LiveDb, *extra: str):  # type: ignore[no-untyped-def]
    args = ["audit", "verify", "--database", "--verifier-key", live.verifier_key(), *extra]
    return CliRunner().invoke(main, args, env=live.env())


def test_verify_without_state_says_truncation_cannot_be_detected(live: LiveDb) -> None:
    live.add(3)
    result = verify(live)
    assert result.exit_code == 0, result.output  # a good log does not fail...
    assert "OK: 3 entries" in result.output
    assert (  # ...but the output says plainly what was not checked
        "No earlier state or witness cosignature given: entries removed after the latest checkpoint "
        "together with it cannot be detected; pass --state FILE" in result.output
    )
    with live.sessions() as session:
        report = verify_log(DatabaseSource(session), [Verifier(live.verifier_key())])
    assert report.warnings == [verify_module.UNANCHORED]


def test_first_run_with_a_state_file_says_later_runs_check_growth(live: LiveDb) -> None:
    live.add(2)
    state = str(live.tmp / "state.json")
    first = verify(live, "--state", state)
    assert first.exit_code == 0, first.output
    assert "No earlier state" in first.output and "saved to" in first.output
    assert "cannot be detected" in first.output  # this run could not check it either

    live.add(1)
    second = verify(live, "--state", state)
    assert second.exit_code == 0, second.output
    assert "extends the saved checkpoint of size 2" in second.output
    assert "No earlier state" not in second.output and "cannot be detected" not in second.output
    with live.sessions() as session:
        report = verify_log(DatabaseSource(session), [Verifier(live.verifier_key())], previous_note=None)
    assert report.warnings == [verify_module.UNANCHORED]
