"""The read replica's routing without a replica server: unset it changes nothing, and what a session
given one would send where. tests/drills/test_replica.py runs it against a real streaming standby."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from registry.api.context import POSITION
from registry.app import create_app
from registry.config import ConfigError, Settings
from registry.db import RoutingSession, make_engine, make_sessionmaker, read_from_replica
from registry.metrics import ReplicaCollector
from registry.models import Agency, OAuthClient, RevokedToken, Subject
from registry.replica import Replica, ReplicaStatus, format_lsn, parse_lsn


def test_without_a_replica_nothing_changes(app, client, db, actors):
    state = app.extensions["registry"]
    assert state.settings.read_database_url is None and state.replica is None
    headers = actors.headers("MOIT-DMS")
    name = f"Công ty Không bản sao {uuid.uuid4().hex[:8]}"
    created = client.post("/api/v1/subjects", json={"kind": "organisation", "name": name}, headers=headers)
    assert created.status_code == 201
    assert POSITION not in created.headers  # no replica: no position to wait for
    listed = client.get("/api/v1/subjects", headers=headers)
    assert listed.status_code == 200
    assert name in {item["name"] for item in listed.get_json()["items"]}
    assert "replica" not in client.get("/readyz").get_json()["checks"]


def test_a_session_never_given_a_replica_binds_everything_to_the_primary(tmp_path):
    primary = make_engine(f"sqlite:///{tmp_path / 'primary.sqlite3'}")
    session = make_sessionmaker(primary)()
    assert isinstance(session, RoutingSession)
    for statement in (select(Subject), select(OAuthClient), insert(Subject), text("SELECT 1")):
        assert session.get_bind(clause=statement) is primary
    assert session.get_bind() is primary


@dataclasses.dataclass
class StubReplica:
    engine: Any
    answers = staticmethod(Replica.answers)


def test_a_session_given_a_replica_sends_it_only_selects_of_the_domain(tmp_path):
    primary = make_engine(f"sqlite:///{tmp_path / 'primary.sqlite3'}")
    replica = StubReplica(make_engine(f"sqlite:///{tmp_path / 'replica.sqlite3'}"))
    session = make_sessionmaker(primary)()
    read_from_replica(session, replica)
    assert session.get_bind(clause=select(Subject).where(Subject.name == "x")) is replica.engine
    on_primary = (
        select(OAuthClient),  # the access checks
        select(Agency.code),
        select(RevokedToken.jti),
        select(Subject).where(Subject.id.in_(select(Agency.id))),  # an access table in a subquery
        select(Subject).with_for_update(),
        insert(Subject),
        text("SELECT name FROM subject"),  # its tables are not known
    )
    for statement in on_primary:
        assert session.get_bind(clause=statement) is primary, statement
    assert session.get_bind() is primary  # session.connection(): the audit entry's Core insert


def test_the_reads_the_replica_may_answer_are_marked_and_write_nothing(app):
    marked = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "replica_reads", False)
    }
    for expected in (
        "/api/v1/subjects",
        "/api/v1/subjects/<uuid:subject_id>/history",
        "/api/v1/public/check",
        "/api/v1/public/violators",
        "/console/subjects",
        "/violators",
    ):
        assert expected in marked, expected
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "replica_reads", False):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
            assert not getattr(view, "writes_on_read", False), rule.rule
            assert not rule.rule.startswith(("/oauth", "/api/v1/audit")), rule.rule
    # One record by its id is read right after it is written: the primary's.
    assert "/api/v1/subjects/<uuid:subject_id>" not in marked
    assert "/api/v1/public/ranges/<kind>/<prefix>" not in marked  # brings the digests up to date first
    # A report counts the cases changed since the last one first (services.reports.summary), in a
    # transaction of its own: on PostgreSQL a read's statements would autocommit, and its lock with them.
    for path in ("/api/v1/reports", "/api/v1/reports/charts/<section>.png", "/console/reports"):
        view = next(app.view_functions[r.endpoint] for r in app.url_map.iter_rules() if r.rule == path)
        assert getattr(view, "writes_on_read", False) and path not in marked, path


def test_the_setting_needs_postgresql_on_both_sides(tmp_path):
    base = {"REGISTRY_VAR_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="REGISTRY_READ_DATABASE_URL needs PostgreSQL"):
        Settings.from_env({**base, "REGISTRY_READ_DATABASE_URL": f"sqlite:///{tmp_path}/r.sqlite3"})
    with pytest.raises(ConfigError, match="REGISTRY_READ_DATABASE_URL needs PostgreSQL"):
        Settings.from_env({**base, "REGISTRY_READ_DATABASE_URL": "postgresql://reader@replica/registry"})
    production = {
        **base,
        "REGISTRY_ENV": "production",
        "REGISTRY_DATABASE_URL": "postgresql://registry@primary/registry",
        "REGISTRY_ISSUER": "https://registry.example",
        "REGISTRY_DATA_KEY": "A" * 43 + "=",
        "REGISTRY_LOOKUP_KEY": "A" * 43 + "=",
    }
    with pytest.raises(ConfigError, match="REGISTRY_READ_DATABASE_URL needs PostgreSQL"):
        Settings.from_env({**production, "REGISTRY_READ_DATABASE_URL": f"sqlite:///{tmp_path}/r.sqlite3"})
    chosen = Settings.from_env(
        {**production, "REGISTRY_READ_DATABASE_URL": "postgresql://reader@replica/registry"}
    )
    assert chosen.read_database_url == "postgresql://reader@replica/registry" and chosen.read_max_lag == 30
    assert Settings.from_env(base).read_database_url is None
    with pytest.raises(ConfigError, match="REGISTRY_READ_MAX_LAG"):
        Settings.from_env({**base, "REGISTRY_READ_MAX_LAG": "0"})


def test_a_replica_that_does_not_answer_sends_its_reads_to_the_primary(settings, database_url, caplog):
    if not database_url.startswith("postgresql"):
        database_url = "postgresql://registry@127.0.0.1:1/registry"  # the primary is not read here
    gone = "postgresql://nobody@127.0.0.1:1/registry"  # nothing listens on port 1
    app = create_app(dataclasses.replace(settings, database_url=database_url, read_database_url=gone))
    replica = app.extensions["registry"].replica
    assert replica.status() == ReplicaStatus(reachable=False)
    assert not replica.usable()
    assert "nobody" not in caplog.text  # the driver's message (host, user) is not logged
    app.extensions["registry"].engine.dispose()


def test_a_replica_too_far_behind_or_short_of_a_position_is_not_used(monkeypatch):
    replica = Replica("postgresql://nobody@127.0.0.1:1/registry", max_lag=5)
    found = ReplicaStatus(reachable=True, lag_seconds=1.0, replayed=parse_lsn("1/100"))
    monkeypatch.setattr(replica, "status", lambda: found)
    assert replica.usable() and replica.usable(parse_lsn("1/100")) and replica.usable(parse_lsn("0/FFFF"))
    assert not replica.usable(parse_lsn("1/101"))  # the caller wrote after what it replayed
    found = ReplicaStatus(reachable=True, lag_seconds=6.0, replayed=parse_lsn("1/100"))
    assert not replica.usable()
    metrics = {family.name: family.samples[0].value for family in ReplicaCollector(replica).collect()}
    assert metrics == {"registry_replica_up": 1.0, "registry_replica_lag_seconds": 6.0}


def test_wal_positions_read_as_postgresql_writes_them():
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert format_lsn(parse_lsn("16/B374D848") or 0) == "16/B374D848"
    assert parse_lsn("0/0") == 0
    for bad in ("", "16", "16/", "/1", "xyz/1", "123456789/1", "1/2/3"):
        assert parse_lsn(bad) is None, bad
