"""Two State Bank officers check the same order at the same moment: exactly one wins.

This needs real concurrency: two threads, each request on its own connection, against a committed
database. The normal fixture runs each test inside one rolled-back transaction, so this test runs on
`committed_app`: a database of its own, migrated, and dropped afterwards.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.models import WorkflowTransition
from registry.services import workflow
from tests.factories import Actors
from tests.freezing.helpers import ORDERS, VCB, Freeze


@pytest.mark.postgres_only
def test_two_officers_check_at_once_exactly_one_wins(committed_app, monkeypatch):
    state = committed_app.extensions["registry"]
    session = state.sessionmaker()
    actors = Actors(committed_app, session)
    client = committed_app.test_client()
    setup = Freeze(client, actors, session)
    decision = setup.decision("MPS-C03")
    issuer = {**actors.headers("MPS-C03", officer="inv-1"), "Idempotency-Key": uuid.uuid4().hex}
    receiver = actors.headers("SBV", officer="sbv-a")
    checkers = [actors.headers("SBV", officer="sbv-b"), actors.headers("SBV", officer="sbv-c")]
    session.commit()  # the clients, keys and decision are seen by every connection from now on

    order = client.post(ORDERS, json=setup.body(decision, accounts=[VCB]), headers=issuer)
    assert order.status_code == 201, order.json
    url = f"{ORDERS}/{order.json['id']}"
    assert client.post(f"{url}/receive", json={}, headers=receiver).status_code == 200

    # Hold both requests after they have read the order (and the officers who received it) and
    # before either writes, so both act on the same version.
    barrier = threading.Barrier(2, timeout=10)
    original = workflow.officers_of

    def officers_then_wait(*args: Any, **kwargs: Any) -> set[str]:
        found = original(*args, **kwargs)
        barrier.wait()
        return found

    monkeypatch.setattr(workflow, "officers_of", officers_then_wait)
    results: list[tuple[int, dict]] = []

    def check(headers: dict[str, str]) -> None:
        response = committed_app.test_client().post(f"{url}/check", json={"note": "race"}, headers=headers)
        results.append((response.status_code, response.json))

    threads = [threading.Thread(target=check, args=(h,)) for h in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.undo()

    assert sorted(status for status, _ in results) == [200, 409], results
    loser = next(body for status, body in results if status == 409)
    assert "changed by someone else" in loser["detail"]
    final = client.get(url, headers=receiver).json
    assert final["state"] == "checked"
    checks = [t for t in final["transitions"] if t["action"] == "check"]
    assert len(checks) == 1 and checks[0]["officer"] in ("sbv-b", "sbv-c")
    count = select(func.count()).select_from(WorkflowTransition).where(WorkflowTransition.action == "check")
    assert session.scalar(count) == 1
    session.close()
