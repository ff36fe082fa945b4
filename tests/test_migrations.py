"""The schema is made only by the migrations: they run from empty, step back, and match the models."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import registry.audit.models
import registry.models  # noqa: F401 - registers every table
from registry.db import EXPRESSION_INDEXES, Base, for_dialect, make_engine
from tests.databases import PG_URL, alembic_config


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}; add a merge revision"


# Alembic says it cannot compare an index on an expression; those are checked by their definition in the
# catalogue (test_expression_indexes_are_as_the_models_declare).
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
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


def _index_validity(engine, names: tuple[str, ...]) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pg_class.relname, pg_index.indisvalid FROM pg_index "
                "JOIN pg_class ON pg_class.oid = pg_index.indexrelid WHERE pg_class.relname = ANY(:names)"
            ),
            {"names": list(names)},
        )
        return dict(rows.tuples().all())


SEARCH_INDEXES = ("ix_subject_name_folded_created_at", "ix_subject_name_folded_gist")


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL-only: concurrent index builds (SQLite has no such thing)")
def test_search_indexes_are_built_concurrently_and_a_failed_build_is_redone(fresh_database):
    """0012 builds its indexes outside the migration's transaction (writes go on meanwhile). A concurrent
    build that failed leaves an INVALID index; upgrading again replaces it with a valid one."""
    config = alembic_config(url=fresh_database)
    engine = make_engine(fresh_database)
    try:
        command.downgrade(config, "0011")
        assert _index_validity(engine, SEARCH_INDEXES) == {}
        with engine.connect() as connection:  # what a failed CREATE INDEX CONCURRENTLY leaves
            connection.execute(text("CREATE INDEX ix_subject_name_folded_gist ON subject (name_folded)"))
            connection.execute(
                text(
                    "UPDATE pg_index SET indisvalid = false WHERE indexrelid = "
                    "'ix_subject_name_folded_gist'::regclass"
                )
            )
            connection.commit()
        assert _index_validity(engine, SEARCH_INDEXES) == {"ix_subject_name_folded_gist": False}

        command.upgrade(config, "heads")

        assert _index_validity(engine, SEARCH_INDEXES) == dict.fromkeys(SEARCH_INDEXES, True)
        with engine.connect() as connection:
            definition = connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_subject_name_folded_gist'")
            ).scalar_one()
        assert "gist_trgm_ops" in definition
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL-only: an ICU collation (SQLite sorts in Python)")
def test_expression_indexes_are_as_the_models_declare(fresh_database):
    """The indexes alembic cannot compare (db.EXPRESSION_INDEXES), by their definition in the catalogue."""
    engine = make_engine(fresh_database)
    with engine.connect() as connection:
        found = dict(
            connection.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
                {"names": sorted(EXPRESSION_INDEXES)},
            ).all()
        )
    engine.dispose()
    assert found == {
        "ix_subject_name_vi": "CREATE INDEX ix_subject_name_vi ON public.subject USING btree "
        '(name COLLATE "vi-x-icu", id)'
    }
