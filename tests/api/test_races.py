"""Concurrent first writes of one thing: every loser gets the replay or a 409 naming the winner, never a 500.

Real concurrency (issue #14): an app on a migrated database of its own whose requests really commit,
N threads, each request on its own connection. A barrier holds every request after it has looked for
the record and before any of them writes, so all of them miss it and all of them try to insert it.
Under testing an unexpected exception is re-raised by the app: a thread records it as a 500.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from registry.app import create_app
from registry.audit.models import AuditEntry
from registry.models import BlockRequest, IdempotencyRecord, Identifier, Link, Referral, Subject, Violation
from registry.services import identifiers as identifier_service
from registry.services import links as link_service
from registry.services import violations as violation_service
from tests.blocking.helpers import SUBMITTER
from tests.blocking.helpers import URL as BLOCK_REQUESTS
from tests.blocking.helpers import body as block_body
from tests.factories import Actors, create_subject, create_violation, make_decision, make_violation

pytestmark = pytest.mark.postgres_only

ROUNDS = 3  # each test races this many times, on new values each time
Result = tuple[int, Any, dict[str, str]]


@pytest.fixture(scope="module")
def racing_app(settings, fresh_database) -> Iterator:
    app = create_app(dataclasses.replace(settings, database_url=fresh_database))
    yield app
    app.extensions["registry"].engine.dispose()


@dataclasses.dataclass
class Callers:
    """Committed callers of racing_app: headers("MOIT-DMS") and the OAuth client behind them."""

    actors: Actors
    session: Session

    def headers(self, agency: str, officer: str | None = None) -> dict[str, str]:
        made = self.actors.headers(agency, officer=officer)
        self.session.commit()  # every connection sees the client from now on
        return made

    def client_id(self, agency: str) -> str:
        return self.actors.oauth_client(agency).client_id


@pytest.fixture
def callers(racing_app) -> Iterator[Callers]:
    session = racing_app.extensions["registry"].sessionmaker()
    yield Callers(Actors(racing_app, session), session)
    session.close()


def held_first_call(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, barrier: threading.Barrier
) -> None:
    """Each thread waits at the barrier once, after its first call of module.name has returned."""
    original = getattr(module, name)
    passed = threading.local()

    def held(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        if not getattr(passed, "done", False):
            passed.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(module, name, held)


def race(app: Any, count: int, url: str, body: dict, headers: dict[str, str]) -> dict[str, Result]:
    """`count` POSTs of one body at once; their answers by request id."""
    results: dict[str, Result] = {}

    def post(request_id: str) -> None:
        try:
            response = app.test_client().post(url, json=body, headers={**headers, "X-Request-Id": request_id})
            results[request_id] = (response.status_code, response.get_json(), dict(response.headers))
        except Exception as exc:  # what a server would answer 500 for
            results[request_id] = (500, repr(exc), {})

    ids = [f"race-{uuid.uuid4().hex}" for _ in range(count)]
    threads = [threading.Thread(target=post, args=(rid,)) for rid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    assert sorted(results) == sorted(ids)
    return results


def audited(app: Any, results: dict[str, Result]) -> dict[str, tuple[str, int | None]]:
    """Each request's audit entry: outcome and status, by request id."""
    session = app.extensions["registry"].sessionmaker()
    try:
        rows = session.execute(
            select(AuditEntry.request_id, AuditEntry.outcome, AuditEntry.status_code).where(
                AuditEntry.request_id.in_(list(results))
            )
        ).all()
    finally:
        session.close()
    return {rid: (outcome, status) for rid, outcome, status in rows}


def count_of(app: Any, model: Any, *where: Any) -> int:
    session = app.extensions["registry"].sessionmaker()
    try:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    finally:
        session.close()


def one_winner_and_duplicates(app: Any, results: dict[str, Result]) -> str:
    """Exactly one 201; every other answer a 409 `duplicate` naming the winner; each request audited
    with its own outcome. The winner's id."""
    statuses = sorted(status for status, _, _ in results.values())
    assert statuses == [201] + [409] * (len(results) - 1), results
    winner = next(body["id"] for status, body, _ in results.values() if status == 201)
    for status, body, _ in results.values():
        if status == 409:
            assert body["type"].endswith("/duplicate") and body["existing"] == winner, body
    entries = audited(app, results)
    assert entries == {
        rid: ("allowed" if status == 201 else "error", status) for rid, (status, _, _) in results.items()
    }
    return winner


def test_one_new_identifier_registered_at_once_one_201_the_others_409_with_the_winner(
    racing_app, callers, monkeypatch
):
    headers = callers.headers("MOIT-DMS")
    for _ in range(ROUNDS):
        barrier = threading.Barrier(8, timeout=20)
        held_first_call(monkeypatch, identifier_service, "_find", barrier)
        value = f"https://race-{uuid.uuid4().hex[:10]}.vn/cua-hang"
        results = race(racing_app, 8, "/api/v1/identifiers", {"kind": "url", "value": value}, headers)
        monkeypatch.undo()
        winner = one_winner_and_duplicates(racing_app, results)
        # Nothing of the losers is left: one URL and one domain (the URL implies it).
        assert count_of(racing_app, Identifier, Identifier.id == uuid.UUID(winner)) == 1
        host = value.split("/")[2]
        assert count_of(racing_app, Identifier, Identifier.kind == "domain", Identifier.value == host) == 1
        assert count_of(racing_app, Identifier, Identifier.kind == "url", Identifier.value == value) == 1


def test_one_link_asserted_at_once_one_201_the_others_409_with_the_winner(racing_app, callers, monkeypatch):
    headers = callers.headers("MOIT-DMS")
    client = racing_app.test_client()
    for _ in range(ROUNDS):
        subject = create_subject(client, headers)
        phone = f"09{uuid.uuid4().int % 10**8:08d}"
        known = client.post("/api/v1/identifiers", json={"kind": "phone", "value": phone}, headers=headers)
        assert known.status_code == 201, known.json
        # Every request has found no link before any of them inserts one.
        barrier = threading.Barrier(6, timeout=20)
        held_first_call(monkeypatch, link_service, "_check_seen", barrier)
        body = {"subject_id": subject["id"], "source": "tip", "identifier_id": known.json["id"]}
        results = race(racing_app, 6, "/api/v1/links", body, headers)
        monkeypatch.undo()
        one_winner_and_duplicates(racing_app, results)
        assert count_of(racing_app, Link, Link.subject_id == uuid.UUID(subject["id"])) == 1


def test_one_link_to_a_new_identifier_at_once_one_201_the_others_409_with_the_winner(
    racing_app, callers, monkeypatch
):
    headers = callers.headers("MOIT-DMS")
    client = racing_app.test_client()
    for _ in range(ROUNDS):
        subject = create_subject(client, headers)
        # Every request has found no identifier before any of them registers it.
        barrier = threading.Barrier(6, timeout=20)
        held_first_call(monkeypatch, identifier_service, "_find", barrier)
        shop = f"https://shopee.vn/shop/{uuid.uuid4().int % 10**9}"
        body = {"subject_id": subject["id"], "source": "tip", "identifier": {"kind": "url", "value": shop}}
        results = race(racing_app, 6, "/api/v1/links", body, headers)
        monkeypatch.undo()
        one_winner_and_duplicates(racing_app, results)
        assert count_of(racing_app, Link, Link.subject_id == uuid.UUID(subject["id"])) == 1
        assert count_of(racing_app, Identifier, Identifier.kind == "url", Identifier.value == shop) == 1


def violation_body(subject_id: str, summary: str) -> dict:
    return {
        "subjects": [subject_id],
        "categories": ["COUNTERFEIT"],
        "goods_groups": ["cosmetics"],
        "summary": summary,
        "detected_at": "2026-10-01T08:00:00+07:00",
    }


def submission(
    app: Any, callers: Callers, kind: str
) -> tuple[str, dict[str, str], Callable[[str], dict], Any]:
    """What is submitted: its URL, the submitter's headers, a body naming a key, and the model whose rows
    carry that text (a violation's summary, a block request's reason)."""
    if kind == "violation":
        headers = callers.headers("MOIT-DMS")
        subject = create_subject(app.test_client(), headers)
        return (
            "/api/v1/violations",
            headers,
            lambda marker: violation_body(subject["id"], marker),
            Violation.summary,
        )
    headers = callers.headers("MOST", officer=SUBMITTER)
    decision, violation = make_decision(callers.session), make_violation(callers.session)
    callers.session.commit()

    def request_body(marker: str) -> dict:  # a new domain each time: the view registers it as an identifier
        domain = f"race-{uuid.uuid4().hex[:10]}.vn"
        return block_body(decision, violation, reason=marker, targets=[{"kind": "domain", "value": domain}])

    return BLOCK_REQUESTS, headers, request_body, BlockRequest.reason


@pytest.mark.parametrize("kind", ["violation", "block_request"])
def test_one_idempotency_key_submitted_at_once_every_loser_gets_the_first_answer(
    racing_app, callers, monkeypatch, kind
):
    from registry.api import idempotency

    url, headers, body_of, column = submission(racing_app, callers, kind)
    for _ in range(ROUNDS):
        key = f"race-{uuid.uuid4()}"
        marker = f"Bán hàng giả {key}"
        # Every request has hashed its body (and so passed its checks) before any looks for the key.
        # 12 at once: each holds a connection at the barrier, within the pool's 15.
        barrier = threading.Barrier(12, timeout=20)
        held_first_call(monkeypatch, idempotency, "_request_hash", barrier)
        results = race(racing_app, 12, url, body_of(marker), {**headers, "Idempotency-Key": key})
        monkeypatch.undo()

        assert {status for status, _, _ in results.values()} == {201}, results
        first = [rid for rid, (_, _, h) in results.items() if h.get("Idempotent-Replayed") != "true"]
        assert len(first) == 1, results
        answer = results[first[0]][1]
        assert all(got == answer for _, got, _ in results.values()), "every replay is the first answer"
        assert count_of(racing_app, column.class_, column == marker) == 1
        assert count_of(racing_app, IdempotencyRecord, IdempotencyRecord.key == key) == 1
        entries = audited(racing_app, results)
        assert entries == {rid: ("allowed", 201) for rid in results}
        replays = [rid for rid in results if rid not in first]
        session = racing_app.extensions["registry"].sessionmaker()
        try:
            bodies = session.scalars(select(AuditEntry.body).where(AuditEntry.request_id.in_(replays))).all()
        finally:
            session.close()
        assert all(json.loads(b)["detail"] == {"idempotent_replay": True} for b in bodies)


def first_attempt_in_flight(app: Any, client_id: str, key: str) -> Session:
    """A transaction that holds the key's claim as a first attempt does while its view runs."""
    session = app.extensions["registry"].sessionmaker()
    claim = IdempotencyRecord(client_id=client_id, key=key, request_hash="0" * 64, status_code=0, body=b"")
    session.add(claim)
    session.flush()
    return session


def post_in_thread(app: Any, body: dict, headers: dict[str, str]) -> tuple[threading.Thread, list[Any]]:
    results: list[Any] = []

    def post() -> None:
        try:
            results.append(app.test_client().post("/api/v1/violations", json=body, headers=headers))
        except Exception as exc:  # what a server would answer 500 for
            results.append(exc)

    thread = threading.Thread(target=post)
    thread.start()
    return thread, results


def test_an_attempt_whose_first_is_still_in_flight_gets_a_409_saying_so(racing_app, callers, monkeypatch):
    from registry.api import idempotency

    headers = callers.headers("MOIT-DMS")
    subject = create_subject(racing_app.test_client(), headers)
    key = f"race-{uuid.uuid4()}"
    body = violation_body(subject["id"], f"Bán hàng giả {key}")
    monkeypatch.setattr(idempotency, "CLAIM_WAIT_MS", 300)
    first = first_attempt_in_flight(racing_app, callers.client_id("MOIT-DMS"), key)
    try:
        thread, results = post_in_thread(
            racing_app, body, {**headers, "Idempotency-Key": key, "X-Request-Id": key}
        )
        thread.join(timeout=10)
    finally:
        first.rollback()
        first.close()
    thread.join(timeout=30)
    [waited] = results
    assert waited.status_code == 409, waited.json
    assert waited.json["type"].endswith("/conflict") and "still in progress" in waited.json["detail"]
    assert audited(racing_app, {key: (409, None, {})}) == {key: ("error", 409)}
    assert count_of(racing_app, Violation, Violation.summary == body["summary"]) == 0
    # The first attempt failed (rolled back, nothing stored): the retry is a first attempt.
    retry = racing_app.test_client().post(
        "/api/v1/violations", json=body, headers={**headers, "Idempotency-Key": key}
    )
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert count_of(racing_app, Violation, Violation.summary == body["summary"]) == 1


def test_an_attempt_waiting_on_a_first_that_fails_runs_as_the_first(racing_app, callers):
    headers = callers.headers("MOIT-DMS")
    subject = create_subject(racing_app.test_client(), headers)
    key = f"race-{uuid.uuid4()}"
    body = violation_body(subject["id"], f"Bán hàng giả {key}")
    first = first_attempt_in_flight(racing_app, callers.client_id("MOIT-DMS"), key)
    try:
        thread, results = post_in_thread(racing_app, body, {**headers, "Idempotency-Key": key})
        watcher = racing_app.extensions["registry"].sessionmaker()
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        for _ in range(200):  # until the attempt waits on the first's claim (at most ~10 s)
            if watcher.scalar(waiting):
                break
            watcher.rollback()
            time.sleep(0.05)
        else:
            pytest.fail("the second attempt never waited on the first")
        watcher.close()
    finally:
        first.rollback()  # the first attempt fails: nothing of it is stored
        first.close()
    thread.join(timeout=30)
    [answer] = results
    assert answer.status_code == 201, answer.json
    assert "Idempotent-Replayed" not in answer.headers
    assert count_of(racing_app, Violation, Violation.summary == body["summary"]) == 1


def new_tax_code() -> str:
    """A valid 10-digit tax code no test has used."""
    while True:
        first_nine = f"{uuid.uuid4().int % 10**9:09d}"
        weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
        remainder = sum(w * int(d) for w, d in zip(weights, first_nine, strict=True)) % 11
        if remainder and first_nine[2:] != "0000000":
            return first_nine + str(10 - remainder)


def test_one_subject_created_at_once_one_201_the_others_409_with_the_winner(racing_app, callers, monkeypatch):
    """No unique key stops two subjects with one tax code (another agency's unshared subject is no
    duplicate); concurrent creations with one tax code take turns on PostgreSQL instead."""
    from registry.services import subjects as subject_service

    headers = callers.headers("MOIT-DMS")
    for _ in range(ROUNDS):
        tax_code = new_tax_code()
        # Every request has parsed the tax code, and not yet looked for a subject with it.
        barrier = threading.Barrier(6, timeout=20)
        held_first_call(monkeypatch, subject_service, "parse", barrier)
        body = {"kind": "organisation", "name": "Công ty TNHH Đua Nhau", "tax_code": tax_code}
        results = race(racing_app, 6, "/api/v1/subjects", body, headers)
        monkeypatch.undo()
        one_winner_and_duplicates(racing_app, results)
        assert count_of(racing_app, Subject, Subject.tax_code == tax_code) == 1
        assert (
            count_of(racing_app, Identifier, Identifier.kind == "tax_code", Identifier.value == tax_code) == 1
        )


def test_two_submissions_naming_the_same_new_targets_in_opposite_orders_both_succeed(
    racing_app, callers, monkeypatch
):
    """Each registers its targets' identifiers in one order whatever the order given, so the two wait
    for each other instead of deadlocking (PostgreSQL would kill one: a 500)."""
    headers = callers.headers("MOST", officer=SUBMITTER)
    decision, violation = make_decision(callers.session), make_violation(callers.session)
    callers.session.commit()
    for _ in range(ROUNDS):
        first, second = (f"race-{uuid.uuid4().hex[:10]}.vn" for _ in range(2))
        bodies = [
            block_body(
                decision, violation, targets=[{"kind": "domain", "value": a}, {"kind": "domain", "value": b}]
            )
            for a, b in ((first, second), (second, first))
        ]
        # Both have looked for their first identifier before either registers one.
        barrier = threading.Barrier(2, timeout=20)
        held_first_call(monkeypatch, identifier_service, "_find", barrier)
        results: list[Any] = []

        def submit(body: dict, results: list[Any] = results) -> None:
            try:
                key = {"Idempotency-Key": uuid.uuid4().hex}
                response = racing_app.test_client().post(
                    BLOCK_REQUESTS, json=body, headers={**headers, **key}
                )
                results.append((response.status_code, response.get_json()))
            except Exception as exc:  # what a server would answer 500 for
                results.append((500, repr(exc)))

        threads = [threading.Thread(target=submit, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        monkeypatch.undo()
        assert sorted(status for status, _ in results) == [201, 201], results
        for domain in (first, second):
            assert (
                count_of(racing_app, Identifier, Identifier.kind == "domain", Identifier.value == domain) == 1
            )


def test_one_referral_made_at_once_one_201_the_others_409_with_the_winner(racing_app, callers, monkeypatch):
    headers = callers.headers("MOIT-DMS")
    client = racing_app.test_client()
    decision = make_decision(callers.session, issuer="MOIT-DMS", owner="MOIT-DMS")
    callers.session.commit()
    body = {"police_agency": "MPS-C03", "decision_id": str(decision.id), "evidence": [{"description": "x"}]}
    for _ in range(ROUNDS):
        case = create_violation(client, headers, [create_subject(client, headers)["id"]])
        # Every request has found no referral to MPS-C03 before any of them inserts one.
        barrier = threading.Barrier(6, timeout=20)
        held_first_call(monkeypatch, violation_service, "require_grounding", barrier)
        results = race(racing_app, 6, f"/api/v1/violations/{case['id']}/referrals", body, headers)
        monkeypatch.undo()
        one_winner_and_duplicates(racing_app, results)
        assert count_of(racing_app, Referral, Referral.violation_id == uuid.UUID(case["id"])) == 1


def test_one_acknowledgement_at_once_one_200_the_others_409(racing_app, callers, monkeypatch):
    headers = callers.headers("MOIT-DMS")
    police = callers.headers("MPS-C03")
    client = racing_app.test_client()
    decision = make_decision(callers.session, issuer="MOIT-DMS", owner="MOIT-DMS")
    callers.session.commit()
    body = {"police_agency": "MPS-C03", "decision_id": str(decision.id), "evidence": [{"description": "x"}]}
    case = create_violation(client, headers, [create_subject(client, headers)["id"]])
    url = f"/api/v1/violations/{case['id']}/referrals"
    referral = client.post(url, json=body, headers=headers)
    assert referral.status_code == 201, referral.json
    referred_at = datetime.fromisoformat(referral.json["referred_at"])
    received_on = (referred_at + timedelta(hours=7)).date().isoformat()  # the date in Vietnam
    # Every request has found the referral unacknowledged before any of them records its receipt.
    barrier = threading.Barrier(6, timeout=20)
    held_first_call(monkeypatch, violation_service, "id_or_not_found", barrier)
    ack = {"reference": "5/C03", "received_on": received_on}
    results = race(racing_app, 6, f"{url}/{referral.json['id']}/acknowledgement", ack, police)
    monkeypatch.undo()
    assert sorted(status for status, _, _ in results.values()) == [200] + [409] * 5, results
    assert {body["type"].rsplit("/", 1)[-1] for status, body, _ in results.values() if status == 409} == {
        "conflict"
    }
