"""Every endpoint of this feature with every kind of caller; the expected statuses are written out."""

from __future__ import annotations

import pytest

from tests.factories import create_link, create_subject
from tests.screening.helpers import MATCH, SCREENINGS

AGENCIES = ("MOF-CUSTOMS", "MOF-TAX", "MOIT-DMS", "ISP-VNPT", "BANK-970436", "VECOM", "AUDIT")
# ISPs and banks hold no registry:read (403). VECOM, an association, sees public records only, so the
# state-visible subject and its identifier are 404 to it. Only the submitting agency sees its job.
EXPECTED = {
    #              screen  job  match graph-s graph-i
    "MOF-CUSTOMS": (200, 200, 200, 200, 200),
    "MOF-TAX":     (200, 404, 200, 200, 200),
    "MOIT-DMS":    (200, 404, 200, 200, 200),
    "ISP-VNPT":    (403, 403, 403, 403, 403),
    "BANK-970436": (403, 403, 403, 403, 403),
    "VECOM":       (200, 404, 200, 404, 404),
    "AUDIT":       (200, 404, 200, 200, 200),
}  # fmt: skip
EXAMPLE = "00000000-0000-4000-8000-000000000000"
# Read by tests/test_permission_matrix.py to check every route has a matrix.
COVERED_CALLS = [
    ("POST", SCREENINGS),
    ("GET", f"{SCREENINGS}/{EXAMPLE}"),
    ("GET", MATCH),
    ("GET", f"/api/v1/subjects/{EXAMPLE}/graph"),
    ("GET", f"/api/v1/identifiers/{EXAMPLE}/graph"),
]


@pytest.fixture
def targets(client, actors):
    dms = actors.headers("MOIT-DMS")
    seller = create_subject(client, dms, tax_code="0100109106")
    phone = create_link(client, dms, seller["id"], "phone", "0912345678")
    customs = actors.headers("MOF-CUSTOMS")
    items = [{"kind": "phone", "value": "0912345678"}] * 10_001
    job = client.post(SCREENINGS, json={"items": items}, headers=customs)
    assert job.status_code == 202
    return {"subject": seller["id"], "identifier": phone["identifier_id"], "job": job.json["url"]}


@pytest.mark.parametrize("agency", AGENCIES)
def test_permission_matrix(client, actors, targets, agency):
    headers = actors.headers(agency)
    responses = (
        client.post(SCREENINGS, json={"items": [{"value": "0912345678"}]}, headers=headers),
        client.get(targets["job"], headers=headers),
        client.get(MATCH, query_string={"kind": "phone", "value": "0912345678"}, headers=headers),
        client.get(f"/api/v1/subjects/{targets['subject']}/graph", headers=headers),
        client.get(f"/api/v1/identifiers/{targets['identifier']}/graph", headers=headers),
    )
    assert tuple(r.status_code for r in responses) == EXPECTED[agency]


def test_no_token_is_401(client, targets):
    assert client.post(SCREENINGS, json={"items": [{"value": "x"}]}).status_code == 401
    assert client.get(targets["job"]).status_code == 401
    assert client.get(MATCH, query_string={"kind": "phone", "value": "0912345678"}).status_code == 401
    assert client.get(f"/api/v1/subjects/{targets['subject']}/graph").status_code == 401
