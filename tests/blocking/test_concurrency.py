"""Two officers acting at once on one request: exactly one transition wins, the other gets 409.

Real concurrency: a database of its own whose data is committed, two threads, each request on its own
connection. A barrier inside the approval check holds both until each has loaded the same version.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import select

from registry.app import create_app
from registry.models import BlockRequest, WorkflowTransition
from registry.services import workflow
from tests.blocking.helpers import REVIEWER, SUBMITTER, URL, body
from tests.databases import PG_URL, admin_execute, alembic_config
from tests.factories import Actors, make_decision, make_violation

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def committed_app(settings, worker_id) -> Iterator:  # type: ignore[no-untyped-def]
    assert PG_URL
    base, _, name = PG_URL.rpartition("/")
    database = f"{name}_{worker_id}_block_{uuid.uuid4().hex[:6]}".replace("-", "_")
    admin = f"{base}/postgres"
    admin_execute(admin, f'CREATE DATABASE "{database}"')
    url = f"{base}/{database}"
    try:
        command.upgrade(alembic_config(url=url), "heads")
        app = create_app(dataclasses.replace(settings, database_url=url))
        yield app
        app.extensions["registry"].engine.dispose()
    finally:
        admin_execute(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _prepared(app) -> tuple[str, dict[str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """A request under review in the committed database, and the callers' headers."""
    session = app.extensions["registry"].sessionmaker()
    actors = Actors(app, session)
    decision, violation = make_decision(session), make_violation(session)
    heads = {
        officer: actors.headers("MOST", officer=officer) for officer in (SUBMITTER, REVIEWER, "a-1", "a-2")
    }
    session.commit()
    session.close()
    client = app.test_client()
    created = client.post(
        URL, json=body(decision, violation), headers={**heads[SUBMITTER], "Idempotency-Key": "c" * 16}
    )
    assert created.status_code == 201, created.json
    rid = created.json["id"]
    assert client.post(f"{URL}/{rid}/review", json={}, headers=heads[REVIEWER]).status_code == 200
    return rid, heads


@pytest.mark.parametrize("second", ["approve", "reject"])
def test_two_officers_at_once_exactly_one_wins(committed_app, monkeypatch, second):
    rid, heads = _prepared(committed_app)
    barrier = threading.Barrier(2, timeout=20)
    original = workflow.begin

    def held_begin(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("action_name") in ("approve", "reject"):
            barrier.wait()  # both requests have loaded the same version before either writes
        return original(*args, **kwargs)

    # The deciding steps begin with workflow.begin (not apply): hold them there, so the race is real.
    monkeypatch.setattr(workflow, "begin", held_begin)
    results: dict[str, tuple[int, dict]] = {}

    def act(officer: str, action: str) -> None:
        response = committed_app.test_client().post(
            f"{URL}/{rid}/{action}", json={"reason": "Không đủ căn cứ"}, headers=heads[officer]
        )
        results[officer] = (response.status_code, response.get_json())

    threads = [
        threading.Thread(target=act, args=("a-1", "approve")),
        threading.Thread(target=act, args=("a-2", second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _ in results.values()) == [200, 409], results
    conflict = next(problem for status, problem in results.values() if status == 409)
    assert conflict["type"].endswith("/conflict") and "changed by someone else" in conflict["detail"]

    check = committed_app.extensions["registry"].sessionmaker()
    try:
        record = check.get(BlockRequest, uuid.UUID(rid))
        winner = next(o for o, (status, _) in results.items() if status == 200)
        assert record.state == ("approved" if winner == "a-1" or second == "approve" else "rejected")
        decided = check.scalars(
            select(WorkflowTransition.officer).where(
                WorkflowTransition.record_id == record.id,
                WorkflowTransition.action.in_(["approve", "reject"]),
            )
        ).all()
        assert decided == [winner]
    finally:
        check.close()


def test_a_late_second_officer_gets_409_naming_the_state(committed_app):
    rid, heads = _prepared(committed_app)
    client = committed_app.test_client()
    assert client.post(f"{URL}/{rid}/approve", json={}, headers=heads["a-1"]).status_code == 200
    late = client.post(f"{URL}/{rid}/approve", json={}, headers=heads["a-2"])
    assert late.status_code == 409
    assert late.json["current_state"] == "approved" and late.json["allowed"] == [
        "dispatch",
        "expire",
        "revoke",
    ]


def test_two_first_reads_of_a_feed_at_once_both_answer(committed_app, monkeypatch):
    """Both readers find no serial yet and both insert one: the loser re-reads the winner's row."""
    from registry.services.blocking import feed as blocking_feed

    session = committed_app.extensions["registry"].sessionmaker()
    headers = Actors(committed_app, session).headers("ISP-VNPT", purpose=None)
    session.commit()
    session.close()
    barrier = threading.Barrier(2, timeout=20)
    original = blocking_feed.utcnow

    def held_utcnow():  # type: ignore[no-untyped-def]
        barrier.wait()  # called only on the insert path: both readers have seen no row
        return original()

    monkeypatch.setattr(blocking_feed, "utcnow", held_utcnow)
    results: list[tuple[int, object]] = []

    def read() -> None:
        try:
            response = committed_app.test_client().get("/api/v1/blocklists/ISP-VNPT.json", headers=headers)
            results.append((response.status_code, response.json))
        except Exception as exc:
            results.append((500, repr(exc)))

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in results] == [200, 200], results
    assert {body["serial"] for _, body in results} == {1}
