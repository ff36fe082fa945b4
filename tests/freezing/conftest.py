"""Freeze-order fixtures: the walker, and an app on a database of its own whose requests really commit."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from alembic import command

from registry.app import create_app
from tests.databases import PG_URL, admin_execute, alembic_config
from tests.freezing.helpers import Freeze


@pytest.fixture
def committed_app(settings, tmp_path):  # type: ignore[no-untyped-def]
    """An app on a database of its own whose requests really commit (for concurrency and the CLI)."""
    if PG_URL:
        base = PG_URL.rpartition("/")[0]
        name = f"regtest_freeze_{uuid.uuid4().hex[:8]}"
        admin_execute(f"{base}/postgres", f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'committed.sqlite3'}"
    app = None
    try:
        command.upgrade(alembic_config(url=url), "heads")
        app = create_app(dataclasses.replace(settings, database_url=url))
        yield app
    finally:
        if app is not None:
            app.extensions["registry"].engine.dispose()
        if PG_URL:
            admin_execute(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def freeze(client, actors, db) -> Freeze:  # type: ignore[no-untyped-def]
    return Freeze(client, actors, db)
