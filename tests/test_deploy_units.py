"""deploy/: the systemd units checked by `systemd-analyze verify`, the Dockerfile by hadolint, and the
compose file against the units (no Docker engine runs here: its client alone cannot build or start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
INSTALLED = "/opt/registry/.venv/bin/"


def test_the_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is required in CI")
        pytest.skip("systemd-analyze is not installed here (CI has it)")
    # The units name the installed registry's commands: point them at this environment's.
    here = str(Path(sys.executable).parent) + "/"
    units = []
    for unit in sorted([*DEPLOY.glob("*.service"), *DEPLOY.glob("*.timer")]):
        copy = tmp_path / unit.name.replace("@.service", "@1.service")
        copy.write_text(unit.read_text().replace(INSTALLED, here))
        units.append(str(copy))
    assert len(units) >= 5
    result = subprocess.run(  # noqa: S603 - our own files
        [analyze, "verify", *units], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_dockerfile_lints_and_runs_as_no_root():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(  # noqa: S603 - the linter on our own file
        [str(hadolint), str(DEPLOY / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    final = (DEPLOY / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]
    assert "USER 10001" in final and "apt-get" not in final and "gcc" not in final


def test_compose_runs_the_processes_of_the_systemd_units():
    import yaml

    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "api", "sequencer", "worker", "clock", "proxy"} <= set(services)
    commands = {name: " ".join(service.get("command", [])) for name, service in services.items()}
    for unit in DEPLOY.glob("registry*.service"):
        execs = [
            line.split("=", 1)[1] for line in unit.read_text().splitlines() if line.startswith("ExecStart=")
        ]
        for command in execs:
            program = command.removeprefix(INSTALLED)
            if program.startswith(("registry blocking publish-zones",)):
                continue  # runs on the DNS host, beside knotd (deploy/README.md)
            wanted = program.split(" --interval")[0].split(" -c ")[0]
            assert any(wanted in shown for shown in commands.values()), f"{unit.name}: {program}"
    for name in ("api", "sequencer", "worker", "clock", "migrate"):
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert services[name]["environment"]["REGISTRY_JOB_QUEUE"].startswith("redis://")
