"""Permission matrix of tips: the three public routes answer anyone (a token sent anyway changes
nothing); the rest needs registry:write and is the routed agency's alone (MOIT-DMS here): another state
agency, the Standing Office included, gets 404 as for a missing tip (and empty lists), agencies without
the scope 403, no token 401."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import create_subject
from tests.tips.helpers import PNG, TIPS, file_tip, post_tip, solved

CALLERS = ("MOIT-DMS", "MOST", "ISP-VNPT", "VECOM", "NSC389", None)  # None: no token

# endpoint: status per caller, in the order of CALLERS
MATRIX: dict[str, tuple[int, ...]] = {
    #                   DMS  MOST ISP  VECOM NSC389 anon
    "challenge (public)": (200, 200, 200, 200, 200, 200),
    "file (public)": (201, 201, 201, 201, 201, 201),
    "status (public)": (200, 200, 200, 200, 200, 200),
    "list": (200, 200, 403, 403, 200, 401),
    "groups": (200, 200, 403, 403, 200, 401),
    "read": (200, 404, 403, 403, 404, 401),
    "attachment": (200, 404, 403, 403, 404, 401),
    "triage": (200, 404, 403, 403, 404, 401),
    "link": (200, 404, 403, 403, 404, 401),
    "reroute": (200, 404, 403, 403, 404, 401),
    "close": (200, 404, 403, 403, 404, 401),
}
_ID = "00000000-0000-4000-8000-000000000000"
_FILE = "00000000-0000-4000-8000-00000000000f"
ROUTES: dict[str, tuple[str, str]] = {
    "challenge (public)": ("GET", f"{TIPS}/challenge"),
    "file (public)": ("POST", TIPS),
    "status (public)": ("POST", f"{TIPS}/status"),
    "list": ("GET", TIPS),
    "groups": ("GET", f"{TIPS}/groups"),
    "read": ("GET", f"{TIPS}/{_ID}"),
    "attachment": ("GET", f"{TIPS}/{_ID}/attachments/{_FILE}"),
    "triage": ("POST", f"{TIPS}/{_ID}/triage"),
    "link": ("POST", f"{TIPS}/{_ID}/links"),
    "reroute": ("POST", f"{TIPS}/{_ID}/reroute"),
    "close": ("POST", f"{TIPS}/{_ID}/close"),
}
COVERED_CALLS = [ROUTES[name] for name in MATRIX]


def call(client, actors, endpoint: str, agency: str | None):  # type: ignore[no-untyped-def]
    headers = actors.headers(agency) if agency else {}
    receipt = file_tip(client, files=[(PNG, "a.png")])
    owner = actors.headers("MOIT-DMS")
    tip = client.get(TIPS, headers=owner).json["items"][0]
    method, path = ROUTES[endpoint]
    path = path.replace(_ID, tip["id"]).replace(_FILE, tip["attachments"][0]["id"])
    if endpoint == "file (public)":
        return post_tip(client, proof=solved(client), headers=headers)
    payload: dict[str, Any] | None = {
        "status (public)": {"receipt_code": receipt["receipt_code"]},
        "link": {"subject_id": create_subject(client, owner)["id"]},
        "reroute": {"agency": "MOF-TAX"},
        "close": {"outcome": "dismissed", "note": "Không đủ căn cứ."},
    }.get(endpoint)
    return client.open(path, method=method, json=payload, headers=headers)


@pytest.mark.parametrize(
    ("endpoint", "agency", "expected"),
    [(e, a, s) for e, row in MATRIX.items() for a, s in zip(CALLERS, row, strict=True)],
)
def test_tip_permission_matrix(client, actors, endpoint, agency, expected) -> None:  # type: ignore[no-untyped-def]
    response = call(client, actors, endpoint, agency)
    assert response.status_code == expected, (endpoint, agency, response.get_json(silent=True))
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
    if endpoint == "list" and expected == 200:
        mine = {t["agency"] for t in response.json["items"]}
        assert mine <= {agency}, mine  # only the tips routed to the caller


def test_every_tip_route_is_in_the_matrix(app) -> None:  # type: ignore[no-untyped-def]
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/tips")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    adapter = app.url_map.bind("localhost")
    covered = {(m, adapter.match(url, method=m, return_rule=True)[0].rule) for m, url in COVERED_CALLS}
    assert covered == routes
