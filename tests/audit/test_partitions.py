"""The audit entries by month (migration 0027, `registry audit partitions`); PostgreSQL only but the last."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry.audit import partitions, recorder
from registry.audit.note import Verifier
from registry.audit.verify import DatabaseSource, VerificationFailed, verify_log
from registry.cli import main
from registry.db import make_engine, make_sessionmaker
from tests.audit.helpers import LiveDb
from tests.databases import alembic_config

postgres_only = pytest.mark.postgres_only


@contextmanager
def clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> Iterator[None]:
    """Entries recorded meanwhile say (and are stored at) `moment`, a microsecond apart each."""
    ticks = itertools.count()
    with monkeypatch.context() as patch:
        patch.setattr(recorder, "utcnow", lambda: moment.replace(microsecond=next(ticks)))
        yield


def add_at(live: LiveDb, monkeypatch: pytest.MonkeyPatch, moment: datetime, count: int = 1) -> None:
    with clock(monkeypatch, moment):
        live.add(count)


def placement(live: LiveDb) -> dict[str, list[str]]:
    """Partition -> the months (UTC) of its entries."""
    with live.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tableoid::regclass::text, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') "
                "FROM audit_entry ORDER BY id"
            )
        ).all()
    found: dict[str, list[str]] = {}
    for partition, month in rows:
        found.setdefault(partition, []).append(month)
    return found


def verifies(live: LiveDb) -> int:
    key = Verifier(live.verifier_key())
    with live.sessions() as session:
        return verify_log(DatabaseSource(session), [key]).checkpoint.size


@postgres_only
def test_upgrading_moves_every_entry_into_its_month_and_the_log_still_verifies(
    live: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = alembic_config(url=live.url)
    # Written by today's sequencer (its leaves name their entries' time, migration 0029), then taken
    # back to before the partitions.
    add_at(live, monkeypatch, datetime(2025, 10, 31, 23, 59, 59, tzinfo=UTC), 2)
    add_at(live, monkeypatch, datetime(2025, 11, 1, 0, 0, 0, tzinfo=UTC), 2)
    add_at(live, monkeypatch, datetime(2026, 2, 14, 8, 0, 0, tzinfo=UTC), 1)
    command.downgrade(config, "0026")
    with live.engine.connect() as conn:
        assert conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = 'audit_entry'::regclass")) == "r"
    with live.engine.connect() as conn:
        before = conn.execute(text("SELECT id, body FROM audit_entry ORDER BY id")).all()
    assert len(before) == 5

    command.upgrade(config, "heads")

    with live.engine.connect() as conn:
        assert conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = 'audit_entry'::regclass")) == "p"
        assert conn.execute(text("SELECT id, body FROM audit_entry ORDER BY id")).all() == before
        key = conn.execute(
            text(
                "SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_constraint c, "
                "unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a "
                "ON a.attrelid = 'audit_entry'::regclass AND a.attnum = k.attnum "
                "WHERE c.conrelid = 'audit_entry'::regclass AND c.contype = 'p'"
            )
        ).scalar()
        foreign = conn.scalar(
            text(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = 'audit_leaf'::regclass AND contype = 'f'"
            )
        )
    assert key == ["id", "occurred_at"]
    assert foreign == 0
    assert placement(live) == {
        "audit_entry_y2025m10": ["2025-10", "2025-10"],
        "audit_entry_y2025m11": ["2025-11", "2025-11"],
        "audit_entry_y2026m02": ["2026-02"],
    }
    assert verifies(live) == 5
    live.add(1)  # the id sequence carries on after the moved rows
    with live.engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM audit_entry ORDER BY id")).scalars().all()
    assert ids == [*[row.id for row in before], before[-1].id + 1]
    assert verifies(live) == 6


@postgres_only
def test_entries_land_in_their_months_partition_and_new_partitions_keep_the_guard(
    live: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live.sessions() as session, session.begin():
        made = partitions.prepare(session, now=datetime(2031, 1, 15, tzinfo=UTC))
    assert made.created == ["audit_entry_y2031m01", "audit_entry_y2031m02", "audit_entry_y2031m03"]
    add_at(live, monkeypatch, datetime(2031, 1, 31, 23, 59, 59, tzinfo=UTC))
    add_at(live, monkeypatch, datetime(2031, 2, 1, tzinfo=UTC))
    add_at(live, monkeypatch, datetime(2031, 3, 31, 12, tzinfo=UTC))
    found = placement(live)
    assert found["audit_entry_y2031m01"] == ["2031-01"]
    assert found["audit_entry_y2031m02"] == ["2031-02"]
    assert found["audit_entry_y2031m03"] == ["2031-03"]
    assert verifies(live) == 3
    with live.sessions() as session:
        assert DatabaseSource(session).column_guard_problems() == []


@postgres_only
def test_a_partition_refuses_update_delete_and_truncate(
    live: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live.sessions() as session, session.begin():
        partitions.prepare(session, now=datetime(2031, 1, 1, tzinfo=UTC), ahead=0)
    add_at(live, monkeypatch, datetime(2031, 1, 2, tzinfo=UTC), 2)
    add_at(live, monkeypatch, datetime(2099, 1, 2, tzinfo=UTC))  # no partition: in the DEFAULT one
    for table in ("audit_entry_y2031m01", "audit_entry_default", "audit_entry"):
        for statement in (
            f"UPDATE {table} SET action = action",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            with pytest.raises(DBAPIError, match="append-only"), live.engine.begin() as conn:
                conn.execute(text(statement))
    with live.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM audit_entry_y2031m01")) == 2
        assert conn.scalar(text("SELECT count(*) FROM audit_entry_default")) == 1
    # the retention record is append-only as well (its rows: test_retention.py)
    with pytest.raises(DBAPIError, match="append-only"), live.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_retention"))


@postgres_only
def test_a_partition_without_its_triggers_fails_verification(
    live: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live.sessions() as session, session.begin():
        partitions.prepare(session, now=datetime(2031, 1, 1, tzinfo=UTC), ahead=0)
    add_at(live, monkeypatch, datetime(2031, 1, 2, tzinfo=UTC), 2)
    assert verifies(live) == 2
    live.tamper("ALTER TABLE audit_entry_y2031m01 DISABLE TRIGGER audit_entry_no_truncate")
    with pytest.raises(VerificationFailed) as failed:
        verifies(live)
    assert failed.value.evidence["column_guard"] == [
        "audit_entry_y2031m01 has no enabled trigger audit_entry_no_truncate: it no longer refuses TRUNCATE"
    ]
    live.tamper(
        "ALTER TABLE audit_entry_y2031m01 ENABLE TRIGGER audit_entry_no_truncate",
        "ALTER TABLE audit_entry_default DISABLE TRIGGER audit_entry_append_only",
    )
    with pytest.raises(VerificationFailed) as failed:
        verifies(live)
    assert failed.value.evidence["column_guard"] == [
        "audit_entry_default has no enabled trigger audit_entry_append_only: it no longer refuses UPDATE "
        "and DELETE"
    ]


@postgres_only
def test_the_partitions_command_is_idempotent_and_reports_the_default_partition(
    live: LiveDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    wanted = [
        partitions.partition_name(partitions.add_months(partitions.month_start(now), n)) for n in range(4)
    ]
    first = CliRunner().invoke(main, ["audit", "partitions", "--ahead", "3"], env=live.env())
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(main, ["audit", "partitions", "--ahead", "3"], env=live.env())
    assert second.exit_code == 0, second.output
    assert "0 created, 4 already there" in second.output
    with live.sessions() as session:
        names = [p.name for p in partitions.month_partitions(session)]
    assert set(wanted) <= set(names)

    # An entry of a month without a partition goes to the DEFAULT one; that month can then not be made.
    add_at(live, monkeypatch, datetime(2099, 5, 17, tzinfo=UTC))
    assert placement(live)["audit_entry_default"] == ["2099-05"]
    result = CliRunner().invoke(main, ["audit", "partitions"], env=live.env())
    assert result.exit_code == 0, result.output
    assert "audit_entry_default holds 1 entries (months: 2099-05)" in result.output
    with live.sessions() as session, session.begin():
        refused = partitions.prepare(session, now=datetime(2099, 4, 2, tzinfo=UTC))
    assert refused.created == ["audit_entry_y2099m04", "audit_entry_y2099m06"]
    assert list(refused.refused) == ["audit_entry_y2099m05"]
    assert (
        "audit_entry_default holds entries of audit_entry_y2099m05" in refused.refused["audit_entry_y2099m05"]
    )
    assert (refused.default_rows, refused.default_months) == (1, [date(2099, 5, 1)])
    assert verifies(live) == 1


def test_sqlite_has_no_partitions(live: LiveDb) -> None:
    result = CliRunner().invoke(main, ["audit", "partitions"], env=live.env())
    assert result.exit_code == 0, result.output
    if live.postgres:
        assert "created" in result.output
    else:
        assert "nothing to do" in result.output


@postgres_only
def test_the_application_role_makes_partitions_but_cannot_drop_one(live: LiveDb) -> None:
    """audit_entry_add_month runs as the owner (SECURITY DEFINER); dropping stays the owner's."""
    role = f"audit_app_{uuid.uuid4().hex[:8]}"
    with live.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT SELECT, INSERT ON audit_entry, audit_leaf, audit_checkpoint TO {role}"))
    app_engine = make_engine(live.url.replace("postgres@", f"{role}@"))
    try:
        with make_sessionmaker(app_engine)() as session, session.begin():
            made = partitions.prepare(session, now=datetime(2032, 6, 1, tzinfo=UTC), ahead=0)
        assert made.created == ["audit_entry_y2032m06"]
        for statement in (
            "DROP TABLE audit_entry_y2032m06",
            "ALTER TABLE audit_entry DETACH PARTITION audit_entry_y2032m06",
            "TRUNCATE audit_entry_y2032m06",
        ):
            with (
                pytest.raises(DBAPIError, match=r"must be owner|permission denied"),
                app_engine.begin() as conn,
            ):
                conn.execute(text(statement))
    finally:
        app_engine.dispose()
        with live.engine.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON audit_entry, audit_leaf, audit_checkpoint FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
    with live.sessions() as session:
        assert "audit_entry_y2032m06" in [p.name for p in partitions.month_partitions(session)]
