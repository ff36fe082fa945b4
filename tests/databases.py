"""Where the test databases are and how they are made: the PostgreSQL URL, alembic, admin statements.

Plain helpers shared by the conftest files and the tests that build databases of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config
from sqlalchemy import text

from registry.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL")


def alembic_config(connection=None, url: str | None = None) -> Config:  # type: ignore[no-untyped-def]
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    if url is not None:
        config.attributes["database_url"] = url
    return config


def admin_execute(base_url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE / DROP DATABASE) on the server's admin database."""
    engine = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()
