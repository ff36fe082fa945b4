"""The loser's path of a race, without threads, on SQLite and PostgreSQL alike.

A concurrent winner's row is one the loser's look-up missed and its insert then collides with. Here the
look-up is made to miss a row that is there: the insert collides (on its savepoint), and the request
must answer as the loser of the race does (tests/api/test_races.py has the real concurrency).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.models import IdempotencyRecord, Identifier, Link, Violation
from registry.services import identifiers as identifier_service
from registry.services import links as link_service
from tests.factories import create_subject


def misses_once(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """module.name answers None on its first call, as a look-up before the winner committed would."""
    original, calls = getattr(module, name), []

    def missing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else original(*args, **kwargs)

    monkeypatch.setattr(module, name, missing)


def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_an_identifier_registered_meanwhile_is_a_409_naming_it(client, actors, db, monkeypatch):
    headers = actors.headers("MOIT-DMS")
    body = {"kind": "url", "value": "https://thua-cuoc.vn/cua-hang"}
    first = client.post("/api/v1/identifiers", json=body, headers=headers)
    assert first.status_code == 201, first.json
    misses_once(monkeypatch, identifier_service, "_find")
    again = client.post("/api/v1/identifiers", json=body, headers=headers)
    assert again.status_code == 409, again.json
    assert again.json["type"].endswith("/duplicate") and again.json["existing"] == first.json["id"]
    assert count(db, Identifier, Identifier.kind == "url", Identifier.value == body["value"]) == 1


def test_a_link_asserted_meanwhile_is_a_409_naming_it(client, actors, db, monkeypatch):
    headers = actors.headers("MOIT-DMS")
    subject = create_subject(client, headers)
    body = {
        "subject_id": subject["id"],
        "source": "tip",
        "identifier": {"kind": "phone", "value": "0912345678"},
    }
    first = client.post("/api/v1/links", json=body, headers=headers)
    assert first.status_code == 201, first.json
    misses_once(monkeypatch, link_service, "_asserted")
    again = client.post("/api/v1/links", json=body, headers=headers)
    assert again.status_code == 409, again.json
    assert again.json["type"].endswith("/duplicate") and again.json["existing"] == first.json["id"]
    assert count(db, Link, Link.subject_id == uuid.UUID(subject["id"])) == 1


def test_an_idempotency_key_answered_meanwhile_replays_the_answer(client, actors, db, monkeypatch):
    from registry.api import idempotency

    headers = {**actors.headers("MOIT-DMS"), "Idempotency-Key": "lost-race-0001"}
    subject = create_subject(client, headers)
    body = {
        "subjects": [subject["id"]],
        "categories": ["COUNTERFEIT"],
        "goods_groups": ["cosmetics"],
        "summary": "Bán hàng giả, thua cuộc đua",
        "detected_at": "2026-10-01T08:00:00+07:00",
    }
    first = client.post("/api/v1/violations", json=body, headers=headers)
    assert first.status_code == 201, first.json
    misses_once(monkeypatch, idempotency, "_stored")
    again = client.post("/api/v1/violations", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert count(db, Violation, Violation.summary == body["summary"]) == 1
    assert count(db, IdempotencyRecord, IdempotencyRecord.key == "lost-race-0001") == 1
