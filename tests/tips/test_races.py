"""A solved challenge sent several times at once files one tip: the others get 409, never a 500 or a
second tip (PostgreSQL: real concurrent connections; the spent nonce's primary key decides)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.app import create_app
from registry.models import Tip
from tests.tips.helpers import post_tip, solved

pytestmark = pytest.mark.postgres_only
SENDERS = 4


@pytest.fixture(scope="module")
def racing_app(settings, fresh_database) -> Iterator:  # type: ignore[no-untyped-def]
    app = create_app(dataclasses.replace(settings, database_url=fresh_database))
    yield app
    app.extensions["registry"].engine.dispose()


def test_one_challenge_files_one_tip_under_concurrency(racing_app) -> None:  # type: ignore[no-untyped-def]
    proof = solved(racing_app.test_client())
    start = threading.Barrier(SENDERS)
    statuses: list[int] = []

    def send(number: int) -> None:
        client = racing_app.test_client()
        start.wait()
        try:
            statuses.append(post_tip(client, proof=proof, value=f"dua-{number}.vn").status_code)
        except Exception:  # re-raised under testing: a 500
            statuses.append(500)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201] + [409] * (SENDERS - 1)
    with Session(racing_app.extensions["registry"].engine) as session:
        assert session.scalar(select(func.count()).select_from(Tip)) == 1
