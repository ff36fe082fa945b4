"""/healthz and /readyz (registry/api/health.py); the start-up check of the schema (registry/health.py)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from registry import health
from registry.api import health as views
from registry.app import create_app
from registry.audit.log import AuditLog
from registry.audit.models import AuditEntry
from registry.audit.recorder import AuditEvent, record
from registry.config import ConfigError
from registry.db import utcnow
from tests.auth.test_limits import redis_url  # noqa: F401 - the fixture
from tests.databases import alembic_config

UNREACHABLE_PG = "postgresql://registry@127.0.0.1:1/registry"  # nothing listens on port 1
HEAD = health.script_heads()[0]
# The revision before the head: a database one migration behind this code.
BEHIND = ScriptDirectory.from_config(health.alembic_config()).get_revision(HEAD).down_revision


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setattr(views, "READY_CACHE_SECONDS", 0.0)


def _entries(db) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry))


def test_healthz_answers_without_a_token_touching_no_database(client, db, statements):
    before = _entries(db)
    statements.clear()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert statements == []
    assert _entries(db) == before


def test_readyz_is_ready_on_a_migrated_database_and_writes_no_audit_entry(app, client, db):
    state = app.extensions["registry"]
    AuditLog.from_settings(state.settings, state.cipher).sequence(db)  # other tests' entries, if any
    db.flush()
    before = _entries(db)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok"
    assert response.json["checks"]["database"] == {"status": "ok"}
    assert response.json["checks"]["schema"] == {"status": "ok"}
    assert response.json["checks"]["audit_sequencer"]["status"] == "ok"
    assert response.json["checks"]["rate_limit_storage"] == {"status": "memory"}
    assert response.headers["Cache-Control"] == "no-store"
    assert _entries(db) == before


def test_readyz_reports_a_sequencer_that_leaves_entries_waiting(app, client, db, monkeypatch):
    state = app.extensions["registry"]
    AuditLog.from_settings(state.settings, state.cipher).sequence(db)  # whatever waited before
    record(db, AuditEvent(action="subject:read", outcome="allowed"))  # an entry waits for its leaf
    db.flush()
    waiting = client.get("/readyz").json["checks"]["audit_sequencer"]
    assert waiting["status"] == "ok" and waiting["waiting"] == 1  # just written: within the allowed lag

    later = utcnow() + timedelta(seconds=app.extensions["registry"].settings.sequencer_max_lag + 30)
    monkeypatch.setattr(health, "utcnow", lambda: later)
    response = client.get("/readyz")
    assert response.status_code == 200  # the API still serves: degraded, not unavailable
    assert response.json["status"] == "degraded"
    behind = response.json["checks"]["audit_sequencer"]
    assert behind["status"] == "behind" and behind["oldest_waiting_seconds"] >= 90

    AuditLog.from_settings(state.settings, state.cipher).sequence(db)  # the sequencer runs again
    db.flush()
    again = client.get("/readyz").json
    assert again["status"] == "ok"
    assert again["checks"]["audit_sequencer"] == {"status": "ok", "waiting": 0, "oldest_waiting_seconds": 0}


def test_readyz_is_503_when_the_database_does_not_answer(settings, caplog):
    app = create_app(replace(settings, database_url=UNREACHABLE_PG))  # testing: the start only warns
    assert "could not be checked" in caplog.text
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("/not-ready")
    assert response.json["checks"]["database"] == {"status": "unreachable"}
    assert response.json["checks"]["schema"] == {"status": "not_checked"}
    assert "registry@" not in caplog.text and "127.0.0.1:1" not in caplog.text


def test_readyz_is_503_on_a_schema_behind_the_migrations(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url=url), BEHIND)
    client = create_app(replace(settings, database_url=url)).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == {"status": "ok"}
    assert response.json["checks"]["schema"] == {"status": "mismatch"}
    assert "registry db upgrade" in response.json["detail"]


def test_readyz_reports_redis_down_as_degraded(settings):
    client = create_app(replace(settings, rate_limit_storage="redis://127.0.0.1:1")).test_client()
    response = client.get("/readyz")
    assert response.status_code == 200  # each process counts alone meanwhile (deploy/README.md)
    assert response.json["status"] == "degraded"
    assert response.json["checks"]["rate_limit_storage"] == {"status": "unreachable"}
    assert response.json["checks"]["database"] == {"status": "ok"}


def test_readyz_reports_redis_up(settings, redis_url):  # noqa: F811 - the fixture
    client = create_app(replace(settings, rate_limit_storage=redis_url)).test_client()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["rate_limit_storage"] == {"status": "ok"}


def test_readyz_checks_once_a_second_however_often_it_is_polled(client, monkeypatch, statements):
    monkeypatch.setattr(views, "READY_CACHE_SECONDS", 60.0)
    client.get("/readyz")
    statements.clear()
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
    assert statements == []


def test_health_checks_are_not_rate_limited(settings):
    client = create_app(replace(settings, rate_limit="2 per minute")).test_client()
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))
    assert all(client.get("/readyz").status_code == 200 for _ in range(5))


# The start-up check.


def _production(settings, url):
    return replace(settings, env="production", database_url=url, issuer="https://registry.example.gov.vn")


def test_production_refuses_to_start_on_a_schema_behind_the_migrations(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url=url), BEHIND)
    with pytest.raises(ConfigError) as refused:
        create_app(_production(settings, url))
    message = str(refused.value)
    assert BEHIND in message and HEAD in message and "registry db upgrade" in message


def test_production_refuses_a_database_never_migrated_or_unreachable(settings, tmp_path):
    with pytest.raises(ConfigError, match=r"none \(never migrated\).*registry db upgrade"):
        create_app(_production(settings, f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
    assert not (tmp_path / "empty.sqlite3").exists()  # the check creates no database file
    with pytest.raises(ConfigError, match="could not be checked"):
        create_app(_production(settings, UNREACHABLE_PG))


def test_production_starts_on_a_schema_at_the_head(settings, database_url):
    app = create_app(_production(settings, database_url))
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize("env", ["development", "testing"])
def test_development_and_testing_only_warn_about_the_schema(settings, tmp_path, caplog, env):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url=url), BEHIND)
    with caplog.at_level(logging.WARNING, logger="registry.health"):
        app = create_app(replace(settings, env=env, database_url=url))
    assert f"revision {BEHIND}" in caplog.text and "registry db upgrade" in caplog.text
    assert app.test_client().get("/healthz").status_code == 200


def test_the_head_is_read_once_per_process(monkeypatch):
    monkeypatch.setattr(health.ScriptDirectory, "from_config", None)  # would fail if read again
    assert health.script_heads() == (HEAD,)


# `registry ready`, as deploy/registry.service runs it after gunicorn starts.


def _serve(app):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_registry_ready_waits_for_a_ready_registry(settings, fresh_database):
    from click.testing import CliRunner

    from registry.cli import main

    server = _serve(create_app(replace(settings, database_url=fresh_database)))
    try:
        url = f"http://127.0.0.1:{server.server_port}/readyz"
        result = CliRunner().invoke(main, ["ready", "--url", url, "--wait", "5"])
        assert result.exit_code == 0, result.output
        # The answer, on stdout (the server's own log lines, in this process, go to stderr).
        assert result.stdout.startswith("ready: ") and '"schema": {"status": "ok"}' in result.stdout
    finally:
        server.shutdown()


def test_registry_ready_fails_with_the_failing_checks(settings, tmp_path):
    from click.testing import CliRunner

    from registry.cli import main

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url=url), BEHIND)
    server = _serve(create_app(replace(settings, database_url=url)))
    try:
        readyz = f"http://127.0.0.1:{server.server_port}/readyz"
        result = CliRunner().invoke(main, ["ready", "--url", readyz, "--wait", "1", "--interval", "0.2"])
        assert result.exit_code == 1
        assert "HTTP 503" in result.output and '"schema": {"status": "mismatch"}' in result.output
    finally:
        server.shutdown()
    result = CliRunner().invoke(main, ["ready", "--url", readyz, "--wait", "0.5", "--interval", "0.2"])
    assert result.exit_code == 1 and "no answer" in result.output


def test_connecting_to_postgresql_is_bounded_in_time():
    """libpq waits for ever by default; the engine gives it CONNECT_TIMEOUT unless the URL says otherwise."""
    from sqlalchemy import event

    from registry.db import CONNECT_TIMEOUT, make_engine

    for url, expected in ((UNREACHABLE_PG, CONNECT_TIMEOUT), (UNREACHABLE_PG + "?connect_timeout=2", "2")):
        engine = make_engine(url)
        seen: dict = {}
        event.listen(engine, "do_connect", lambda _d, _r, _a, params, seen=seen: seen.update(params))
        with pytest.raises(OperationalError):
            engine.connect()
        assert str(seen["connect_timeout"]) == str(expected)
        engine.dispose()


def test_the_start_check_waits_for_no_writer(settings, engine, database_url, caplog):
    """On SQLite the check reads without a transaction: a writer holding the database (another process
    migrating, a long write) neither blocks the start nor fails it."""
    writer = engine.connect()
    with writer.begin(), caplog.at_level(logging.WARNING, logger="registry.health"):
        # writer.begin(): BEGIN IMMEDIATE on SQLite, the database's write lock
        app = create_app(_production(settings, database_url))
    writer.close()
    assert app.test_client().get("/healthz").status_code == 200
    assert "could not be checked" not in caplog.text
