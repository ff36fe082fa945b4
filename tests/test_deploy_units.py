"""deploy/'s systemd units, checked by `systemd-analyze verify` as systemd would load them."""

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
