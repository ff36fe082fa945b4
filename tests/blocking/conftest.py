"""Fixtures for block requests: a walker through the workflow and the usual legal grounds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.blocking.helpers import Walker
from tests.factories import make_decision, make_violation


@pytest.fixture
def walker(client, actors, db) -> Iterator[Walker]:  # type: ignore[no-untyped-def]
    yield Walker(client, actors, db)


@pytest.fixture
def grounds(db):  # type: ignore[no-untyped-def]
    """A MOST decision and a visible violation: the usual legal ground of a test request."""
    return make_decision(db), make_violation(db)
