"""Audit fixtures: a committed throw-away database (`live`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from registry.db import make_engine, make_sessionmaker
from tests.audit.helpers import LiveDb
from tests.databases import PG_URL, admin_execute, alembic_config
from tests.factories import new_log


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveDb]:
    if PG_URL:
        base, _, name = PG_URL.rpartition("/")
        dbname = f"{name}_audit_{uuid.uuid4().hex[:8]}"
        admin_execute(f"{base}/postgres", f'CREATE DATABASE "{dbname}"')
        url = f"{base}/{dbname}"
    else:
        url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    command.upgrade(alembic_config(url=url), "heads")
    engine = make_engine(url)
    try:
        yield LiveDb(url, engine, make_sessionmaker(engine), new_log(), tmp_path)
    finally:
        engine.dispose()
        if PG_URL:
            admin_execute(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
