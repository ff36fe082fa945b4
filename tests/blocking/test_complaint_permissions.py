"""Permission matrix of the site owners' complaints: the two public forms answer anyone (a token sent
anyway changes nothing); the rest is the deciding agency's (MOST) alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.blocking.helpers import REVIEWER, Walker, body
from tests.blocking.helpers_complaints import COMPLAINTS, complaint_body, file, the_complaint

CALLERS = ("MOST", "MOIT-DMS", "ISP-VNPT", "VECOM", "NSC389", None)  # None: no token

# endpoint: status per caller, in the order of CALLERS
MATRIX: dict[str, tuple[int, ...]] = {
    #                MOST MOIT-DMS ISP-VNPT VECOM NSC389 anon
    "file (public)": (201, 201, 201, 201, 201, 201),
    "status (public)": (200, 200, 200, 200, 200, 200),
    "list": (200, 403, 403, 403, 403, 401),
    "read": (200, 403, 403, 403, 403, 401),
    "link": (200, 403, 403, 403, 403, 401),
    "answer": (200, 403, 403, 403, 403, 401),
    "appeal": (200, 403, 403, 403, 403, 401),
}
_ID = "00000000-0000-4000-8000-000000000000"
ROUTES: dict[str, tuple[str, str]] = {
    "file (public)": ("POST", COMPLAINTS),
    "status (public)": ("POST", f"{COMPLAINTS}/status"),
    "list": ("GET", COMPLAINTS),
    "read": ("GET", f"{COMPLAINTS}/{_ID}"),
    "link": ("POST", f"{COMPLAINTS}/{_ID}/link"),
    "answer": ("POST", f"{COMPLAINTS}/{_ID}/answer"),
    "appeal": ("POST", f"{COMPLAINTS}/{_ID}/appeal"),
}
COVERED_CALLS = [ROUTES[name] for name in MATRIX]


def call(w: Walker, grounds: Any, endpoint: str, agency: str | None):  # type: ignore[no-untyped-def]
    headers = w.h(agency, REVIEWER) if agency else {}
    blocked = w.in_effect(body(*grounds))
    receipt = file(w.client)
    complaint = the_complaint(w, "hanggia-mypham.vn")["id"]
    method, path = ROUTES[endpoint]
    path = path.replace(_ID, complaint)
    payload: dict[str, Any] | None = {
        "file (public)": complaint_body("khac.vn"),
        "status (public)": {"receipt_code": receipt["receipt_code"]},
        "link": {"block_request_id": blocked["id"]},
        "answer": {"outcome": "answered", "answer": "Đã tiếp nhận, đang xem xét hồ sơ."},
    }.get(endpoint)
    return w.client.open(path, method=method, json=payload, headers=headers)


@pytest.mark.parametrize(
    ("endpoint", "agency", "expected"),
    [(e, a, s) for e, row in MATRIX.items() for a, s in zip(CALLERS, row, strict=True)],
)
def test_complaint_permission_matrix(walker, grounds, endpoint, agency, expected):
    response = call(walker, grounds, endpoint, agency)
    assert response.status_code == expected, (endpoint, agency, response.get_json(silent=True))
    if expected >= 400:
        assert response.mimetype == "application/problem+json"


def test_every_complaint_route_is_in_the_matrix(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/block-complaints")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    adapter = app.url_map.bind("localhost")
    covered = {(m, adapter.match(url, method=m, return_rule=True)[0].rule) for m, url in COVERED_CALLS}
    assert covered == routes
