"""A `registry` command run outside the project folder says where it looked for the development data
and what to run, and creates nothing; `registry db upgrade` is the one command that creates it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from registry.cli import main

UNSET = {"REGISTRY_VAR_DIR": None, "REGISTRY_DATABASE_URL": None, "REGISTRY_ENV": None}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [["agencies", "list"], ["db", "current"], ["demo-data", "--subjects", "1"], ["serve", "--port", "8080"]],
)
def test_a_command_outside_the_project_folder_explains_and_creates_nothing(elsewhere, command, monkeypatch):
    monkeypatch.setattr(Flask, "run", lambda *args, **kwargs: None)  # `serve` must not block the test
    result = CliRunner().invoke(main, command, env=UNSET)
    assert result.exit_code == 1, result.output
    assert f"no registry data in {elsewhere / 'var'}" in result.output
    assert "registry db upgrade" in result.output and "REGISTRY_VAR_DIR" in result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert not (elsewhere / "var").exists()


def test_db_upgrade_creates_the_development_data_and_then_commands_run(elsewhere):
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"], env=UNSET)
    assert upgraded.exit_code == 0, upgraded.output
    assert (elsewhere / "var" / "registry.sqlite3").is_file()
    listed = runner.invoke(main, ["agencies", "list"], env=UNSET)
    assert listed.exit_code == 0, listed.output


def test_an_explicit_database_or_var_dir_is_not_questioned(elsewhere, fresh_database):
    result = CliRunner().invoke(
        main, ["agencies", "list"], env={**UNSET, "REGISTRY_DATABASE_URL": fresh_database}
    )
    assert result.exit_code == 0, result.output
