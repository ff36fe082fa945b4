"""The systemd units bring the whole system up: their own command lines, run in the order systemd would
(the API's migration, the API, its readiness wait, the sequencer, a job worker, the workflows' clock, the
audit archive), with deploy/env.example's production settings and only what a machine must fill in
(database, keys, folders, port) changed. No systemd runs here: this checks the units' commands and the
example environment together; `systemd-analyze verify` (test_deploy_units.py) checks the units' syntax."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.servers import free_port
from tests.signing import write_trust_dir

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ROOT = DEPLOY.parent
INSTALLED = "/opt/registry/.venv/bin/"
HERE = str(Path(sys.executable).parent) + "/"


def unit(name: str) -> dict[str, list[str]]:
    """A unit's [Service] settings: each key's values, in order."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def example_environment() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (DEPLOY / "env.example").read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


def command(line: str, port: int, tmp_path: Path) -> list[str]:
    """A unit's command line for this machine: this environment's registry, the test's port and folders."""
    line = line.replace(INSTALLED, HERE).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    line = line.replace("/var/lib/registry-audit-tiles", str(tmp_path / "tiles"))
    return line.split()


@pytest.mark.postgres_only
def test_the_units_commands_bring_the_system_up_with_the_example_environment(fresh_database, tmp_path):
    example = example_environment()
    assert example["REGISTRY_ENV"] == "production"
    port = free_port()
    env = {
        **os.environ,
        **example,
        "REGISTRY_DATABASE_URL": fresh_database,
        "REGISTRY_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "REGISTRY_LOOKUP_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "REGISTRY_VAR_DIR": str(tmp_path / "var"),
        "REGISTRY_TRUST_DIR": str(write_trust_dir(tmp_path / "trust")),
        "REGISTRY_JOB_QUEUE": "redis://127.0.0.1:6379/13",  # not the tests' other queues
        "REGISTRY_BIND": f"127.0.0.1:{port}",
        "REGISTRY_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "var").mkdir()
    (tmp_path / "metrics").mkdir()
    started: list[subprocess.Popen] = []

    def run(line: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - the units' own commands
            command(line, port, tmp_path), env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    def start(line: str, name: str) -> None:
        log = (tmp_path / f"{name}.log").open("w")
        started.append(
            subprocess.Popen(command(line, port, tmp_path), env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
        )

    try:
        api = unit("registry.service")
        for line in api["ExecStartPre"]:
            done = run(line)
            assert done.returncode == 0, done.stderr
        start(api["ExecStart"][0], "api")
        for line in api["ExecStartPost"]:
            done = run(line)
            assert done.returncode == 0, done.stderr + (tmp_path / "api.log").read_text()
        start(unit("registry-audit-sequencer.service")["ExecStart"][0], "sequencer")
        start(unit("registry-jobs-worker@.service")["ExecStart"][0], "worker")
        tick = run(unit("registry-workflows-tick.service")["ExecStart"][0])
        assert tick.returncode == 0, tick.stderr
        deadline, ready = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            if ready.json()["status"] == "ok":
                break
            time.sleep(0.5)
        assert ready is not None and ready.status_code == 200, ready
        checks = ready.json()["checks"]
        assert ready.json()["status"] == "ok", checks
        assert {
            checks[name]["status"] for name in ("database", "schema", "audit_sequencer", "rate_limit_storage")
        } == {"ok"}
        # A request the log records (refused: no token), sequenced and signed, then archived as tiles.
        assert requests.get(f"http://127.0.0.1:{port}/api/v1/subjects", timeout=5).status_code == 401
        deadline = time.monotonic() + 20
        archiver = unit("registry-audit-archive.service")
        for line in archiver.get("ExecStartPre", []):  # the months' partitions, made ahead
            done = run(line.removeprefix("-"))
            assert done.returncode == 0, done.stderr
        while (archive := run(archiver["ExecStart"][0])).returncode:
            assert time.monotonic() < deadline, archive.stderr
            time.sleep(1)
        assert (tmp_path / "tiles" / "checkpoint").read_text().strip(), archive.stderr  # a signed note
        for process in started:
            assert process.poll() is None, process.args  # all still running
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=20)
