"""A validity no deadline can be computed from (issue #14): 422 naming the field, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.models import BlockRequest
from tests.blocking.helpers import URL, body
from tests.factories import make_decision, make_violation

FAR = ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00"]


def count(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(BlockRequest))


@pytest.mark.parametrize("moment", FAR)
@pytest.mark.parametrize("bounded", [True, False])
def test_valid_until_beyond_any_deadline_is_422(walker, db, moment, bounded):
    """The decision's effective_to is checked in Vietnamese dates: 9999-12-31T23:59:59Z overflowed there."""
    decision = make_decision(db) if bounded else make_decision(db, effective_to=None)
    response = walker.create(body(decision, make_violation(db), valid_until=moment))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert "valid_until" in response.json["errors"]
    assert count(db) == 0


@pytest.mark.parametrize("moment", FAR)
def test_valid_from_and_until_beyond_any_deadline_on_a_draft_update_is_422(walker, db, moment):
    grounds = make_decision(db, effective_to=None), make_violation(db)
    draft = walker.submit_ok(body(*grounds, draft=True))
    for name in ("valid_from", "valid_until"):
        response = walker.client.patch(
            f"{URL}/{draft['id']}", json={name: moment}, headers=walker.h("MOST", "mic-officer-submit")
        )
        assert response.status_code == 422, response.json
        assert name in response.json["errors"]
