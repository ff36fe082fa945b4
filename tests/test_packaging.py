"""What the project declares it needs, checked against what it runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_the_server_deploy_runs_is_a_runtime_dependency():
    """deploy/registry.service starts gunicorn: installing the package must be enough to run it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "/gunicorn " in (ROOT / "deploy" / "registry.service").read_text()
    assert "gunicorn" in _names(project["dependencies"])
