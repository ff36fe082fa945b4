"""Who may pull the partner exchange: a partner (exchange:read) and the Standing Office; no one else,
whatever else it may read; nothing without a token. What each one receives is in the other tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.services.exchange.taxii import COLLECTION_ID
from tests.exchange.conftest import PARTNER

COLLECTION = f"/api/v1/exchange/taxii2/registry/collections/{COLLECTION_ID}"
EXAMPLE = "00000000-0000-4000-8000-000000000000"
OBJECT = f"indicator--{EXAMPLE}"

# (method, example URL, status for a caller holding exchange:read: 200, or 404 for an example id).
CALLS = [
    ("GET", "/api/v1/exchange/stix", 200),
    ("GET", "/api/v1/exchange/misp/manifest.json", 200),
    ("GET", "/api/v1/exchange/misp/hashes.csv", 200),
    ("GET", f"/api/v1/exchange/misp/{EXAMPLE}.json", 404),
    ("GET", "/api/v1/exchange/taxii2/", 200),
    ("GET", "/api/v1/exchange/taxii2/registry/", 200),
    ("GET", "/api/v1/exchange/taxii2/registry/collections/", 200),
    ("GET", f"{COLLECTION}/", 200),
    ("GET", f"{COLLECTION}/objects/", 200),
    ("GET", f"{COLLECTION}/manifest/", 200),
    ("GET", f"{COLLECTION}/objects/{OBJECT}/", 404),
    ("GET", f"{COLLECTION}/objects/{OBJECT}/versions/", 404),
    ("POST", "/api/v1/exchange/exports", 202),
    ("GET", f"/api/v1/exchange/exports/{EXAMPLE}", 404),
    ("GET", f"/api/v1/exchange/exports/{EXAMPLE}/bundle", 404),
]
# For tests/test_permission_matrix.py::test_every_route_is_covered.
COVERED_CALLS = [(method, url) for method, url, _ in CALLS]

# caller: (agency, scopes or None for its ceiling) -> allowed?
CALLERS = {
    "partner": (PARTNER, None),
    "office": ("NSC389", None),
    "state": ("MOIT-DMS", None),  # a state body reads the registry itself, not the partner feeds
    "assoc": ("VECOM", None),
    "isp": ("ISP-VNPT", None),
    "partner-nothing": (PARTNER, []),  # a partner's client registered without the scope
}
ALLOWED = {"partner", "office"}


@pytest.mark.parametrize(("method", "url", "status"), CALLS, ids=[c[1] for c in CALLS])
@pytest.mark.parametrize("caller", [*CALLERS, "anon"])
def test_permission_matrix(client, actors, partner, method, url, status, caller) -> None:  # type: ignore[no-untyped-def]
    if caller == "anon":
        headers = {}
        expected = 401
    else:
        agency, scopes = CALLERS[caller]
        headers = actors.headers(agency, scopes=scopes, purpose="EXPORT-1" if method == "POST" else None)
        expected = status if caller in ALLOWED else 403
    answer = client.open(url, method=method, headers=headers, json={} if method == "POST" else None)
    assert answer.status_code == expected, answer.get_data(as_text=True)[:300]
    if expected >= 400:
        assert answer.mimetype == "application/problem+json"


def test_every_pull_is_audited_with_the_sellers_it_reached(client, actors, data, db) -> None:  # type: ignore[no-untyped-def]
    client.get("/api/v1/exchange/stix", headers=actors.headers(PARTNER, purpose=None))
    entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.agency, entry.outcome, entry.resource_id) == (
        "exchange:stix", PARTNER, "allowed", "stix"
    )  # fmt: skip
    assert set(entry.subjects or []) == {data.ids["public"], data.ids["named"], data.ids["person"]}
