"""Every `registry` command logs as the API does (REGISTRY_LOG_FORMAT, set up by the `registry` group): the
long-running ones (the audit sequencer, the workflows' clock, the zone publisher) write JSON lines in
production, with nothing sensitive in them, and a command's answer stays on stdout."""

from __future__ import annotations

import dataclasses
import json
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from registry.app import create_app
from registry.audit.models import AuditEntry, AuditLeaf
from registry.cli import main
from tests.factories import Actors, create_link, create_subject
from tests.servers import BIN, ROOT, registry, registry_env

# The CLI run in this process configures the rule files from its settings; the `app` fixture puts the
# test app's back after each test.
pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def sensitive_log(settings, fresh_database: str) -> dict[str, Any]:
    """Audit entries waiting for the sequencer, made by requests that carried a personal ID, an account
    number and a token: the values no log line may show."""
    # Values of their own: fresh_database is shared by the tests of a worker.
    personal_id, account = f"0011900{secrets.randbelow(10**5):05d}", f"00110{secrets.randbelow(10**8):08d}"
    app = create_app(dataclasses.replace(settings, database_url=fresh_database))
    session = app.extensions["registry"].sessionmaker()
    try:
        headers = Actors(app, session).headers("MPS-C03")
        session.commit()  # the client and its key are seen by the command's process
        client = app.test_client()
        seller = create_subject(
            client, headers, kind="individual", name="Trần Thị C", personal_id=personal_id
        )
        create_link(client, headers, seller["id"], "bank_account", f"VCB:{account}")
        looked_up = client.get(
            "/api/v1/identifiers/lookup",
            query_string={"kind": "bank_account", "value": f"VCB:{account}"},
            headers={**headers, "X-Purpose": "TEST-1/2026"},
        )
        assert looked_up.status_code == 200, looked_up.get_data(as_text=True)
        waiting = session.scalar(select(func.count()).select_from(AuditEntry))
        assert waiting and waiting >= 3
        session.rollback()  # no transaction left open: on SQLite it would hold the commands' writes
        yield {
            "session": session,
            "entries": waiting,
            "secrets": [personal_id, account, headers["Authorization"].split(" ", 1)[1]],
        }
    finally:
        session.close()
        app.extensions["registry"].engine.dispose()


def json_lines(text: str, secrets: list[str]) -> list[dict[str, Any]]:
    """Every line of `text` as a JSON object with the registry's fields; none shows a secret."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "the command logged nothing: the test would prove nothing"
    parsed = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"a line that is not JSON: {line!r}")
        assert {"time", "level", "logger", "message", "request_id"} <= record.keys(), line
        parsed.append(record)
    for secret in secrets:
        assert secret not in text
    return parsed


def _env(fresh_database: str, tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    env = registry_env(fresh_database, tmp_path / "var", REGISTRY_LOG_FORMAT="json")
    # The process's own secrets: its field keys.
    return env, [env["REGISTRY_DATA_KEY"], env["REGISTRY_LOOKUP_KEY"]]


def test_the_audit_sequencer_logs_json_lines_without_sensitive_values(
    sensitive_log, fresh_database, tmp_path
):
    env, keys = _env(fresh_database, tmp_path)
    sequencer = registry(
        "audit",
        "sequence",
        "--interval",
        "0.2",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    session = sensitive_log["session"]
    deadline, sequenced = time.monotonic() + 90, False
    try:
        while not sequenced and time.monotonic() < deadline and sequencer.poll() is None:
            leaves = session.scalar(select(func.count()).select_from(AuditLeaf))
            session.rollback()
            sequenced = leaves == sensitive_log["entries"]
            time.sleep(0.2)
    finally:
        # As systemd stops it (a test run in the background would have SIGINT ignored, and the
        # sequencer with it): the loop ends cleanly.
        sequencer.send_signal(signal.SIGTERM)
        stdout, stderr = sequencer.communicate(timeout=30)
    assert sequenced, f"the sequencer did not sequence the entries: {stderr}"
    assert sequencer.returncode == 0, stderr
    assert stdout == ""  # a daemon has no answer: everything it says is a log line
    records = json_lines(stderr, [*sensitive_log["secrets"], *keys])
    signed = [r for r in records if r["logger"] == "registry.cli.audit"]
    assert signed and signed[-1]["tree_size"] == sensitive_log["entries"]
    assert signed[-1]["message"] == f"tree size {sensitive_log['entries']} (+{signed[-1]['added']})"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["workflows", "tick"], id="workflows-tick"),
        pytest.param(["blocking", "publish-zones", "--no-reload"], id="publish-zones"),
    ],
)
def test_scheduled_commands_log_json_lines(sensitive_log, fresh_database, tmp_path, command):
    env, keys = _env(fresh_database, tmp_path)
    env["REGISTRY_RPZ_ZONE_DIR"] = str(tmp_path / "zones")
    ran = subprocess.run(  # noqa: S603
        [str(BIN / "registry"), *command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    records = json_lines(ran.stderr, [*sensitive_log["secrets"], *keys])
    assert ran.stdout == "", ran.stdout  # no --json: no answer on stdout
    assert all(r["level"] in ("INFO", "WARNING", "ERROR") for r in records)
    if command[0] == "workflows":
        counted = {r["workflow"]: r["counts"] for r in records if "counts" in r}
        assert {"blocking", "freezing", "screening"} <= counted.keys(), records
        assert all(isinstance(n, int) for counts in counted.values() for n in counts.values())


def test_an_answer_stays_on_stdout_and_the_log_on_stderr(cli_env):
    """`--json` is for a script: the document alone on stdout, whatever the log format."""
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"], env=cli_env)
    assert upgraded.exit_code == 0, upgraded.output
    ran = runner.invoke(main, ["workflows", "tick", "--json"], env={**cli_env, "REGISTRY_LOG_FORMAT": "json"})
    answer = json.loads(ran.stdout)
    assert {"blocking", "freezing", "screening"} <= answer.keys()
    logged = [json.loads(line) for line in ran.stderr.splitlines() if line.strip()]
    assert {r["workflow"] for r in logged if "counts" in r} == set(answer)
    text = runner.invoke(main, ["workflows", "tick"], env={**cli_env, "REGISTRY_LOG_FORMAT": "text"})
    assert "blocking: " in text.stderr and text.stdout == ""
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.stderr.splitlines()[0])


def test_an_unknown_log_format_is_refused_before_any_command(cli_env):
    ran = CliRunner().invoke(main, ["workflows", "tick"], env={**cli_env, "REGISTRY_LOG_FORMAT": "xml"})
    assert ran.exit_code == 1
    assert "REGISTRY_LOG_FORMAT must be json or text, got 'xml'" in ran.stderr
