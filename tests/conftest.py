"""Test database built by the migrations; each test runs inside a transaction that is rolled back.

SQLite by default. Set REGISTRY_TEST_DATABASE_URL=postgresql://... to run the same suite on PostgreSQL
(each xdist worker gets its own database, created and dropped here).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from registry.app import create_app
from registry.config import Settings
from registry.db import make_engine
from registry.services import rulefiles
from tests.databases import PG_URL, admin_execute, alembic_config
from tests.factories import DATA_KEY, LOOKUP_KEY, Actors
from tests.signing import write_trust_dir


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgres_only (real concurrent connections, row locks, triggers) skip on SQLite."""
    if PG_URL:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (set REGISTRY_TEST_DATABASE_URL=postgresql://...): "
        "real concurrent connections, row locks and triggers"
    )
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry.sqlite3'}"
        return
    base, _, name = PG_URL.rpartition("/")
    worker_db = f"{name}_{worker_id}".replace("-", "_")
    admin = f"{base}/postgres"
    admin_execute(admin, f'DROP DATABASE IF EXISTS "{worker_db}" WITH (FORCE)')
    admin_execute(admin, f'CREATE DATABASE "{worker_db}"')
    yield f"{base}/{worker_db}"
    admin_execute(admin, f'DROP DATABASE IF EXISTS "{worker_db}" WITH (FORCE)')


@pytest.fixture(scope="module")
def fresh_database(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """A migrated database of its own whose data really commits (CLI runs, servers in other threads)."""
    if not PG_URL:
        url = f"sqlite:///{tmp_path_factory.mktemp('fresh') / 'registry.sqlite3'}"
        command.upgrade(alembic_config(url=url), "heads")
        yield url
        return
    base, _, name = PG_URL.rpartition("/")
    database = f"{name}_{worker_id}_{uuid.uuid4().hex[:6]}".replace("-", "_")
    admin = f"{base}/postgres"
    admin_execute(admin, f'CREATE DATABASE "{database}"')
    url = f"{base}/{database}"
    command.upgrade(alembic_config(url=url), "heads")
    yield url
    admin_execute(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def cli_env(fresh_database: str, tmp_path: Path) -> dict[str, str]:
    """Environment for `registry ...` commands run with click's CliRunner against fresh_database."""
    return {
        "REGISTRY_DATABASE_URL": fresh_database,
        "REGISTRY_VAR_DIR": str(tmp_path / "var"),
        "REGISTRY_ENV": "development",
    }


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    command.upgrade(alembic_config(url=database_url), "heads")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.from_env(
        {},
        env="testing",
        database_url=database_url,
        var_dir=tmp_path_factory.mktemp("var"),
        data_key=DATA_KEY,
        lookup_key=LOOKUP_KEY,
        rate_limit="100000 per minute",
        trust_dir=write_trust_dir(tmp_path_factory.mktemp("trust")),
        public_rate_limit="100000 per minute",
        public_lookup_rate_limit="100000 per minute",
        tip_pow_bits=4,  # a tip's proof of work: a few hashes, not a second's worth, per filing
    )


@pytest.fixture(autouse=True)
def _rule_files(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with the test app's rule files and trust list: the CLI and other apps configure
    the process-wide holder (services.rulefiles) from their own settings, and would leak into the next
    test of the worker. Tests that use no app are left alone."""
    if "app" not in request.fixturenames:
        yield
        return
    previous = rulefiles.configure(request.getfixturevalue("settings").rule_files)
    yield
    rulefiles.configure(previous)


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(settings)


@pytest.fixture
def db(app, engine: Engine) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A session on an outer transaction; the app's commits become savepoint releases."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    state = app.extensions["registry"]
    original = state.sessionmaker
    state.sessionmaker = factory
    session = factory()
    try:
        yield session
    finally:
        session.close()
        state.sessionmaker = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app, db):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def actors(app, db) -> Actors:  # type: ignore[no-untyped-def]
    return Actors(app, db)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(autouse=True)
def history_paths_agree(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """On PostgreSQL the seller history answers in one statement (services.history_json); every history
    a test builds there is also built through services.history and dumped by HistoryRead, and the two
    answers must be equal. The list of answers compared lets a test assert that the comparison ran."""
    compared: list[object] = []
    if not PG_URL:
        yield compared
        return
    from flask import current_app

    from registry.api import subjects as views
    from registry.schemas.subjects import HistoryRead
    from registry.services import history

    one_statement = views.history_json.answer

    def orm_path(session, principal, subject_id):  # type: ignore[no-untyped-def]
        found = history.history(session, principal=principal, subject_id=subject_id)
        return json.loads(current_app.json.dumps(HistoryRead().dump(found)))

    def both(session, *, principal, subject_id):  # type: ignore[no-untyped-def]
        try:
            fast = one_statement(session, principal=principal, subject_id=subject_id)
        except Exception as exc:  # the ORM path must fail the same way
            with pytest.raises(type(exc)):
                orm_path(session, principal, subject_id)
            raise
        expected = orm_path(session, principal, subject_id)
        assert json.loads(fast) == expected
        compared.append(expected)
        return fast

    monkeypatch.setattr(views.history_json, "answer", both)
    yield compared


@pytest.fixture(autouse=True)
def screening_dumps_agree(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A screening's answer (or job) is written by schemas.screenings.read_json without marshmallow's
    pass over its results; every one a test requests is also dumped by ScreeningRead, and the two must
    be equal. The list of answers compared lets a test assert that the comparison ran."""
    from flask import current_app

    from registry.schemas import screenings

    compared: list[object] = []
    written = screenings.read_json

    def both(answer, output):  # type: ignore[no-untyped-def]
        fast = written(answer, output)
        expected = json.loads(current_app.json.dumps(screenings.ScreeningRead().dump(answer)))
        assert json.loads(current_app.json.dumps(fast)) == expected
        compared.append(expected)
        return fast

    monkeypatch.setattr(screenings, "read_json", both)
    yield compared


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs while the test runs (to count a page's queries)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    yield seen
    event.remove(Engine, "before_cursor_execute", count)
