"""The busiest reads cost a fixed number of statements and database round trips (issue #16).

The seller history and the identifier lookup are what Customs and Tax call for every declaration, so
each statement or round trip they gain costs throughput at national scale (bench/README.md). Here they
run as production runs them: the app's own engine and pool (not the tests' outer transaction), real
commits, on a database of their own. On PostgreSQL libpq's protocol trace of every connection counts
the round trips (one `ReadyForQuery` ends each) and the statements the server was sent; on SQLite the
engine's statements are counted. The counts are exact, so a new statement on either path fails here,
and they do not grow with the size of the history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from registry.app import create_app
from registry.config import Settings
from tests.factories import DATA_KEY, LOOKUP_KEY, Actors, create_link, create_subject, create_violation
from tests.signing import write_trust_dir

TAX_CODE = "0100109106"


@dataclass
class Exchange:
    sent: list[str]  # what the database was sent, one label per statement (see `label`), in order
    round_trips: int  # synchronous exchanges with the server (PostgreSQL only; 0 on SQLite)
    limiter_calls: int  # calls to the rate limiter's storage (memory here: one a request; Redis batches)


def label(sql: str) -> str:
    """A statement named by its verb and first table: `SELECT access_generation`, `INSERT audit_entry`,
    `WITH s` (the one-statement history), `BEGIN`, `COMMIT`, `ping` (a pool's pre-ping `;`)."""
    words = sql.replace('"', " ").split()
    if not words or words == [";"]:
        return "ping"
    verb = words[0].upper()
    if verb in ("SELECT", "DELETE"):
        table = next((words[i + 1] for i, w in enumerate(words[:-1]) if w.upper() == "FROM"), "")
        return f"{verb} {table.split('.')[0]}".strip()
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    if verb == "WITH":  # named by its first CTE: `WITH s` the history, `WITH entry` the audit entry
        return f"WITH {words[1]}"
    return verb


# Frontend messages in libpq's trace: a simple query, a statement parsed (named when psycopg prepares
# it; its text may run over several lines), a statement bound to run (each execution binds once).
_QUERY = re.compile(r'^F\t\d+\tQuery\t "(.*)')
_PARSE = re.compile(r'^F\t\d+\tParse\t "([^"]*)" "(.*)')
_BIND = re.compile(r'^F\t\d+\tBind\t "[^"]*" "([^"]*)"')


class Recorder:
    """Counts what one request costs the database, on every connection of the app's engine."""

    def __init__(self, engine: Engine, tmp_path: Path) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.files: list[Path] = []
        self.statements: list[str] = []
        self.tmp_path = tmp_path
        engine.dispose()  # every connection from now on is made, and traced, here
        event.listen(engine, "connect", self._connect)
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _connect(self, dbapi_connection: Any, _record: Any) -> None:
        if not self.postgres:
            return
        import psycopg

        path = self.tmp_path / f"trace-{len(self.files)}.txt"
        handle = path.open("w")
        dbapi_connection.pgconn.trace(handle.fileno())
        dbapi_connection.pgconn.set_trace_flags(
            psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE
        )
        dbapi_connection._registry_trace = handle  # closed with the connection
        self.files.append(path)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(label(statement))

    def _commit(self, _conn: Any) -> None:
        self.statements.append("COMMIT")

    def close(self) -> None:
        for name, listener in (
            ("connect", self._connect),
            ("before_cursor_execute", self._statement),
            ("commit", self._commit),
        ):
            event.remove(self.engine, name, listener)
        self.engine.dispose()

    def mark(self) -> tuple[list[int], int]:
        return [len(path.read_text().splitlines()) for path in self.files], len(self.statements)

    def since(self, mark: tuple[list[int], int], limiter_calls: int) -> Exchange:
        lines_before, statements_before = mark
        if not self.postgres:
            return Exchange(self.statements[statements_before:], 0, limiter_calls)
        sent, round_trips = [], 0
        for index, path in enumerate(self.files):
            lines = path.read_text().splitlines()
            named: dict[str, str] = {}  # prepared statements: their text is traced once, when parsed
            start = lines_before[index] if index < len(lines_before) else 0
            for number, line in enumerate(lines):
                if parsed := _PARSE.match(line):
                    text = [parsed.group(2)]
                    for more in lines[number + 1 :]:
                        if more[:2] in ("F\t", "B\t"):
                            break
                        text.append(more)
                    named[parsed.group(1)] = " ".join(text)
                if number < start:
                    continue
                if line.startswith("B\t") and "\tReadyForQuery\t" in line:
                    round_trips += 1
                elif query := _QUERY.match(line):
                    sent.append(label(query.group(1).rstrip('"')))
                elif bound := _BIND.match(line):
                    sent.append(label(named.get(bound.group(1), "")))
        return Exchange(sent, round_trips, limiter_calls)


@pytest.fixture(autouse=True)
def history_paths_agree() -> None:
    """Here the history runs as in production: not also through the ORM path to compare (conftest)."""


@pytest.fixture(scope="module")
def live(fresh_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = Settings.from_env(
        {},
        env="testing",
        database_url=fresh_database,
        var_dir=tmp_path_factory.mktemp("var"),
        data_key=DATA_KEY,
        lookup_key=LOOKUP_KEY,
        rate_limit="100000 per minute",
        trust_dir=write_trust_dir(tmp_path_factory.mktemp("trust")),
        public_rate_limit="100000 per minute",
    )
    app = create_app(settings)
    state = app.extensions["registry"]
    session = state.sessionmaker()
    actors = Actors(app, session)
    writer, customs = actors.headers("MOIT-DMS"), actors.headers("MOF-CUSTOMS", ["registry:read"])
    session.commit()
    client = app.test_client()
    subject = create_subject(client, writer, tax_code=TAX_CODE, visibility="state")
    yield app, client, writer, customs, subject
    session.close()
    state.engine.dispose()


@pytest.fixture
def measure(live: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    app, client, *_ = live
    recorder = Recorder(app.extensions["registry"].engine, tmp_path)
    limiter = app.extensions["registry_limits"]
    calls = [0]
    real_incr = limiter._shared.storage.incr

    def counted_incr(*args: Any, **kwargs: Any) -> int:
        calls[0] += 1
        return real_incr(*args, **kwargs)

    monkeypatch.setattr(limiter._shared.storage, "incr", counted_incr)

    def run(path: str, headers: dict[str, str], **kwargs: Any) -> Exchange:
        for _ in range(6):  # connections, caches, and statements prepared (psycopg: the 5th run)
            assert client.get(path, headers=headers, **kwargs).status_code == 200
        mark, before = recorder.mark(), calls[0]
        response = client.get(path, headers=headers, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return recorder.since(mark, calls[0] - before)

    yield run
    recorder.close()


def _add_case(client: Any, headers: dict[str, str], subject_id: str, n: int) -> None:
    link = create_link(client, headers, subject_id, "domain", f"ban-hang-{n}.vn")
    create_violation(client, headers, [subject_id], [link["identifier_id"]])


# On PostgreSQL a read runs in autocommit (api.context.db) with no pre-ping (db.make_engine), and its audit
# entry is one statement with the subjects it reached (audit.recorder): three round trips, where the
# history took six and the lookup seven (pre-ping, BEGIN, ..., a second INSERT for the subjects, COMMIT).
# On SQLite the ORM path answers the history, in a transaction.
EXPECTED = {
    ("history", "postgresql"): Exchange(["SELECT access_generation", "WITH s", "INSERT audit_entry"], 3, 1),
    ("history", "sqlite"): Exchange(
        [
            "BEGIN",
            "SELECT access_generation",
            "SELECT subject",
            "SELECT violation",
            "SELECT violation_referral",
            "SELECT block_request",
            "SELECT violation_subject",
            "SELECT violation_tax_recovery",
            "SELECT violation_referral",
            "INSERT audit_entry",
            "COMMIT",
        ],
        0,
        1,
    ),
    ("lookup", "postgresql"): Exchange(
        ["SELECT access_generation", "SELECT identifier", "INSERT audit_entry"], 3, 1
    ),
    ("lookup", "sqlite"): Exchange(
        [
            "BEGIN",
            "SELECT access_generation",
            "SELECT identifier",
            "INSERT audit_entry",
            "COMMIT",
        ],
        0,
        1,
    ),
}


def test_the_seller_history_costs_a_fixed_number_of_statements_and_round_trips(live, measure):
    _app, client, writer, customs, subject = live
    dialect = _app.extensions["registry"].engine.dialect.name
    path = f"/api/v1/subjects/{subject['id']}/history"
    _add_case(client, writer, subject["id"], 0)
    small = measure(path, customs)
    assert small == EXPECTED[("history", dialect)]
    for n in range(1, 6):
        _add_case(client, writer, subject["id"], n)
    assert measure(path, customs) == small


def test_the_lookup_costs_a_fixed_number_of_statements_and_round_trips(live, measure):
    _app, _client, _writer, customs, _subject = live
    dialect = _app.extensions["registry"].engine.dialect.name
    query = {"kind": "tax_code", "value": "0100-109-106"}
    found = measure("/api/v1/identifiers/lookup", customs, query_string=query)
    assert found == EXPECTED[("lookup", dialect)]


@pytest.mark.parametrize("path", ["/api/v1/audit/checkpoint", "/api/v1/audit/verifier-key"])
def test_the_audit_logs_reads_write_in_the_requests_own_transaction(live, path):
    """The audit log's reads sequence what is committed (and in development make the first key) before
    they answer: their views are `writes_on_read`, so that write is the request's own transaction. On a
    real engine a second session for it would wait on SQLite's write lock that the read holds."""
    _app, client, _writer, customs, _subject = live
    response = client.get(path, headers=customs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/plain"
