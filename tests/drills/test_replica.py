"""Reads on a real streaming replica (REGISTRY_READ_DATABASE_URL): a primary cluster made by the test,
a standby copied from it with `pg_basebackup -R`, both dropped at the end (the machine's own cluster is
not touched). Replay paused on the standby shows which server answered: a read the replica may answer
sees the state before the pause, while its audit entry, the writes and the access checks are the
primary's."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import event, select

from registry.app import create_app
from registry.audit.models import AuditEntry
from registry.replica import parse_lsn
from tests.databases import admin_execute, alembic_config
from tests.factories import Actors
from tests.servers import free_port

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("app")]

LIST = "/api/v1/subjects"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/lib/postgresql/bin")
    assert found, f"{name} not found"
    return found


def _run(*args: str, user: str | None = None) -> None:
    command_line = ["runuser", "-u", user, "--", *args] if user else list(args)
    done = subprocess.run(command_line, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr


@dataclasses.dataclass
class Pair:
    primary: str  # the registry database on each
    standby: str

    def standby_sql(self, statement: str) -> Any:
        with psycopg.connect(self.standby.replace("/registry", "/postgres"), autocommit=True) as conn:
            return conn.execute(statement).fetchone()

    def primary_sql(self, statement: str) -> Any:
        with psycopg.connect(self.primary.replace("/registry", "/postgres"), autocommit=True) as conn:
            return conn.execute(statement).fetchone()

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the standby has replayed everything the primary has written so far."""
        target = parse_lsn(self.primary_sql("SELECT pg_current_wal_lsn()::text")[0])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replayed = parse_lsn(self.standby_sql("SELECT pg_last_wal_replay_lsn()::text")[0])
            if replayed is not None and target is not None and replayed >= target:
                return
            time.sleep(0.1)
        raise AssertionError("the standby did not catch up")


@pytest.fixture(scope="module")
def replicated() -> Iterator[Pair]:
    """A primary cluster and a streaming standby of it, made with Debian's tools (as root)."""
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        if os.environ.get("CI") == "true":
            pytest.fail("the replica test needs root and Debian's pg_createcluster in CI")
        pytest.skip("the replica test needs root and Debian's pg_createcluster (CI has both)")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    tag = uuid.uuid4().hex[:6]
    primary, standby = f"primary{tag}", f"standby{tag}"
    primary_port, standby_port = free_port(), free_port()
    made: list[str] = []
    try:
        # --auth=trust covers the replication lines of pg_hba.conf too; wal_level is `replica` by default.
        _run(
            _tool("pg_createcluster"),
            version,
            primary,
            "-p",
            str(primary_port),
            "--start",
            "--",
            "--auth=trust",
        )
        made.append(primary)
        _run(_tool("pg_createcluster"), version, standby, "-p", str(standby_port), "--", "--auth=trust")
        made.append(standby)
        data = f"/var/lib/postgresql/{version}/{standby}"
        for child in os.listdir(data):  # emptied, kept: its parent may not be the postgres user's
            path = os.path.join(data, child)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        # -R: standby.signal and primary_conninfo, so the copy starts as a streaming standby.
        _run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
            "-D", data, "-R", "-X", "stream", user="postgres",
        )  # fmt: skip
        _run(_tool("pg_ctlcluster"), version, standby, "start")
        base = f"postgresql://postgres@127.0.0.1:{primary_port}"
        admin_execute(f"{base}/postgres", 'CREATE DATABASE "registry"')
        command.upgrade(alembic_config(url=f"{base}/registry"), "heads")
        pair = Pair(f"{base}/registry", f"postgresql://postgres@127.0.0.1:{standby_port}/registry")
        assert pair.standby_sql("SELECT pg_is_in_recovery()")[0] is True
        pair.caught_up()
        yield pair
    finally:
        for name in reversed(made):
            subprocess.run(  # noqa: S603
                [_tool("pg_dropcluster"), version, name, "--stop"], capture_output=True, check=False
            )


@pytest.fixture
def replica_app(settings, replicated):  # type: ignore[no-untyped-def]
    app = create_app(
        dataclasses.replace(settings, database_url=replicated.primary, read_database_url=replicated.standby)
    )
    yield app
    replicated.standby_sql("SELECT pg_wal_replay_resume()")
    state = app.extensions["registry"]
    state.engine.dispose()
    state.replica.dispose()


@contextlib.contextmanager
def statements_on(engine: Any) -> Iterator[list[str]]:
    """The SQL statements run on `engine` (its autocommit variants included) inside the block."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["name"] for item in response.get_json()["items"]}


def _audited(app: Any, request_id: str) -> AuditEntry:
    """The request's audit entry, read on the primary (the standby's replay is paused)."""
    with app.extensions["registry"].sessionmaker() as session:
        found = session.scalars(select(AuditEntry).where(AuditEntry.request_id == request_id)).one()
        session.expunge(found)
        return found


def test_a_list_is_read_from_the_replica_and_everything_else_from_the_primary(replica_app, replicated):
    state = replica_app.extensions["registry"]
    with state.sessionmaker() as session:
        actors = Actors(replica_app, session)
        headers = actors.headers("MOIT-DMS")
        doomed = actors.headers("MOIT-DMS")  # a second token of the same client, revoked below
        session.commit()
    client = replica_app.test_client()
    first = f"Công ty Bản sao {uuid.uuid4().hex[:8]}"
    created = client.post(LIST, json={"kind": "organisation", "name": first}, headers=headers)
    assert created.status_code == 201
    # A write tells the WAL position it committed at, for the caller's next reads.
    written_at = created.headers["X-Registry-Position"]
    assert parse_lsn(written_at) is not None
    replicated.caught_up()
    time.sleep(1.1)  # the replica's status is reused for a second: let it see the caught-up standby
    assert first in _names(client.get(LIST, headers=headers))

    replicated.standby_sql("SELECT pg_wal_replay_pause()")
    second = f"Công ty Bản sao {uuid.uuid4().hex[:8]}"
    later = client.post(LIST, json={"kind": "organisation", "name": second}, headers=headers)
    assert later.status_code == 201
    assert second not in _names(replicated_subjects(replicated))  # the standby stands still

    # The list is answered by the standby: the subject written since the pause is not in it...
    with statements_on(state.engine) as on_primary, statements_on(state.replica.engine) as on_replica:
        stale = client.get(LIST, headers={**headers, "X-Request-Id": "replica-read-0001"})
    assert first in _names(stale) and second not in _names(stale)
    # The subjects were read on the standby only; the primary had the access check and the audit entry.
    assert any("FROM subject" in statement for statement in on_replica)
    assert not any("FROM subject" in statement for statement in on_primary)
    assert any(statement.startswith("INSERT INTO audit_entry") for statement in on_primary)
    assert not any("audit_entry" in statement or "revoked_token" in statement for statement in on_replica)
    # ...while its audit entry was written on the primary, as the request's one write.
    entry = _audited(replica_app, "replica-read-0001")
    assert (entry.action, entry.outcome, entry.status_code) == ("subject:list", "allowed", 200)

    # Read-your-writes: with the position of its write, the caller reads from the primary.
    fresh = client.get(LIST, headers={**headers, "X-Registry-Position": later.headers["X-Registry-Position"]})
    assert {first, second} <= _names(fresh)
    # A position the replica has replayed keeps the read on it.
    assert second not in _names(client.get(LIST, headers={**headers, "X-Registry-Position": written_at}))
    # A read of one record by its id (not marked `replica_reads`) is the primary's.
    one = client.get(f"{LIST}/{later.get_json()['id']}", headers=headers)
    assert one.status_code == 200 and one.get_json()["name"] == second

    # A token revoked on the primary is refused at once, though the standby has not replayed the revocation.
    with state.sessionmaker() as session:
        claims = state.tokens.decode(session, doomed["Authorization"].removeprefix("Bearer "))
        state.tokens.revoke(session, claims)
        session.commit()
    assert client.get(LIST, headers=doomed).status_code == 401
    assert replicated.standby_sql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'registry'")[0] >= 1

    # /readyz and /metrics show how far behind the standby is.
    time.sleep(1.1)
    ready = client.get("/readyz").get_json()
    assert ready["checks"]["replica"]["status"] == "ok"
    assert ready["checks"]["replica"]["lag_seconds"] >= 0
    # More than REGISTRY_READ_MAX_LAG behind: reads go to the primary.
    state.replica.max_lag = 1
    time.sleep(2.2)
    assert {first, second} <= _names(client.get(LIST, headers=headers))
    time.sleep(1.1)
    assert client.get("/readyz").get_json()["checks"]["replica"]["status"] == "behind"


def replicated_subjects(pair: Pair) -> Any:
    """The standby's own view of the subjects, as a response-like object for `_names`."""
    with psycopg.connect(pair.standby, autocommit=True) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM subject")]

    class Answer:
        status_code = 200

        @staticmethod
        def get_json() -> dict[str, Any]:
            return {"items": [{"name": name} for name in names]}

    return Answer()


def test_an_officer_reads_the_console_lists_with_what_she_just_wrote(replica_app, replicated):
    """The console keeps its officer's last write position in her session: her lists wait for it."""
    from tests.console.helpers import AppAdapter, choose_case, local, login, submit_block_request
    from tests.factories import make_decision, make_violation

    state = replica_app.extensions["registry"]
    with state.sessionmaker() as session:
        decision, violation = make_decision(session), make_violation(session, owner="MOIT-DMS")
        session.commit()
    replica_app.extensions["registry.console"].adapters[state.settings.issuer] = AppAdapter(replica_app)
    writer, colleague = replica_app.test_client(), replica_app.test_client()
    for client in (writer, colleague):
        login(client, "most.cuong" if client is writer else "most.binh")
        choose_case(client, "45/QĐ-XPVPHC")
    replicated.caught_up()
    time.sleep(1.1)

    replicated.standby_sql("SELECT pg_wal_replay_pause()")
    submitted = submit_block_request(writer, decision, violation)
    assert submitted.status_code == 302, submitted.text
    request_id = local(submitted.headers["Location"]).rsplit("/", 1)[1]
    assert parse_lsn(submitted.headers["X-Registry-Position"]) is not None
    mine = writer.get("/console/block-requests")
    assert mine.status_code == 200 and request_id in mine.text  # the primary: her write's position
    theirs = colleague.get("/console/block-requests")
    assert theirs.status_code == 200 and request_id not in theirs.text  # the standby, paused before it
    replicated.standby_sql("SELECT pg_wal_replay_resume()")
    replicated.caught_up()
    time.sleep(1.1)
    assert request_id in colleague.get("/console/block-requests").text
