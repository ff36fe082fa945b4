"""The schema is made only by the migrations: they run from empty, step back, and match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import registry.audit.models
import registry.models  # noqa: F401 - registers every table
from registry.db import Base, for_dialect, make_engine
from tests.conftest import alembic_config


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}; add a merge revision"


def test_models_match_the_migrated_schema(fresh_database):
    engine = make_engine(fresh_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_object": for_dialect(connection.dialect.name)}
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_one_step_and_upgrade_again(fresh_database):
    config = alembic_config(url=fresh_database)
    engine = make_engine(fresh_database)
    before = set(inspect(engine).get_table_names())
    command.downgrade(config, "-1")
    command.upgrade(config, "head")
    after = set(inspect(engine).get_table_names())
    engine.dispose()
    assert after == before
