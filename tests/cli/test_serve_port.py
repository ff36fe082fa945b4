"""`registry serve --port` (and `make run PORT=...`) serves there, and in development the OAuth issuer
follows: tokens name the address the clients call."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from registry.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Runs nothing: records the app and where `serve` would have served it."""
    seen: dict[str, Any] = {}

    def run(self: Flask, host: str, port: int, **_: Any) -> None:
        seen.update(app=self, host=host, port=port)

    monkeypatch.setattr(Flask, "run", run)
    return seen


def test_serve_port_moves_the_development_issuer(cli_env, served):
    result = CliRunner().invoke(main, ["serve", "--port", "8080"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert served["port"] == 8080
    assert served["app"].extensions["registry"].settings.issuer == "http://127.0.0.1:8080"
    assert "http://127.0.0.1:8080/api/v1/docs" in result.output
    spec = served["app"].test_client().get("/api/v1/openapi.json").get_json()
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "http://127.0.0.1:8080/oauth/token"


def test_an_explicit_issuer_is_kept_whatever_the_port(cli_env, served):
    env = {**cli_env, "REGISTRY_ISSUER": "https://registry.example.gov.vn"}
    result = CliRunner().invoke(main, ["serve", "--port", "8080"], env=env)
    assert result.exit_code == 0, result.output
    assert served["app"].extensions["registry"].settings.issuer == "https://registry.example.gov.vn"


def test_make_run_passes_the_port_to_serve():
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8080"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    serve = [line for line in dry.splitlines() if "registry serve" in line]
    assert serve and "--port 8080" in serve[0]


def test_serve_prints_the_console_and_the_demo_logins(cli_env, served):
    from registry.auth import devidp

    result = CliRunner().invoke(main, ["serve", "--port", "8080"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "Console:       http://127.0.0.1:8080/console/" in result.output
    for officer in devidp.officers():
        assert officer.sub in result.output and officer.agency in result.output
    login = served["app"].test_client().get("/console/login")
    assert login.status_code == 200 and 'id="login-dev"' in login.text


def test_production_does_not_run_the_development_server(monkeypatch):
    """`registry serve` is Werkzeug's server: production is told to run gunicorn instead."""
    import base64

    from click.testing import CliRunner

    from registry.cli import main

    key = base64.b64encode(b"k" * 32).decode()
    env = {
        "REGISTRY_ENV": "production",
        "REGISTRY_DATABASE_URL": "postgresql://registry@127.0.0.1:1/registry",
        "REGISTRY_ISSUER": "https://registry.example.gov.vn",
        "REGISTRY_DATA_KEY": key,
        "REGISTRY_LOOKUP_KEY": key,
    }
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code != 0
    assert "development server" in result.output and "gunicorn" in result.output
