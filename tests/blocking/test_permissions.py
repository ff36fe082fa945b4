"""Permission matrix: every block request endpoint tried by every kind of caller, expected table written out.

MOST: the telecom authority (since 2025), submits and decides ISP blocks. MOIT-DMS: a submitting state
body that does not decide. MOIT-ECOM: decides marketplace takedowns (remove_listing) only.
ISP-VNPT: executor the orders are addressed to. ISP-FPT: executor not addressed. VECOM: association.
NSC389: Standing Office (oversight: sees everything, decides nothing, reads every feed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.blocking.helpers import APPROVER, URL, Walker, body
from tests.factories import make_subject, make_violation

AGENCIES = ("MOST", "MOIT-DMS", "ISP-VNPT", "ISP-FPT", "VECOM", "NSC389", "MOIT-ECOM")
OFFICER = "matrix-officer"  # neither the submitting nor the approving officer of the prepared requests

# endpoint: status per agency, in the order of AGENCIES
MATRIX: dict[str, tuple[int, ...]] = {
    #                        MOST  MOIT-DMS ISP-VNPT ISP-FPT VECOM NSC389 MOIT-ECOM
    "create": (201, 201, 403, 403, 403, 201, 201),
    "list": (200, 200, 200, 200, 403, 200, 200),
    "read": (200, 404, 200, 404, 403, 200, 200),
    "update draft": (200, 404, 403, 403, 403, 404, 404),
    "submit draft": (200, 404, 403, 403, 403, 404, 404),
    "review": (200, 404, 403, 403, 403, 403, 403),
    "return": (200, 404, 403, 403, 403, 403, 403),
    "reject": (200, 404, 403, 403, 403, 403, 403),
    "approve": (200, 404, 403, 403, 403, 403, 403),
    "override": (200, 404, 403, 403, 403, 403, 403),
    "dispatch": (200, 404, 403, 403, 403, 403, 403),
    "confirm mirror": (200, 404, 403, 403, 403, 403, 403),
    "acknowledge": (403, 403, 200, 404, 403, 403, 403),
    "platform acknowledge": (403, 404, 403, 403, 403, 403, 200),
    "redispatch": (200, 404, 403, 403, 403, 403, 403),
    "lift": (200, 404, 403, 403, 403, 403, 403),
    "revoke": (200, 404, 403, 403, 403, 403, 403),
    "file appeal": (201, 404, 403, 403, 403, 403, 403),
    "decide appeal": (200, 404, 403, 403, 403, 403, 403),
    "confirm removal": (403, 403, 200, 404, 403, 403, 403),
    "platform confirm removal": (403, 404, 403, 403, 403, 403, 200),
    "overdue": (200, 200, 403, 403, 403, 200, 200),
    "feed json": (403, 403, 200, 403, 403, 200, 403),
    "feed rpz": (403, 403, 200, 403, 403, 200, 403),
}

_ID, _T = "00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001"
ROUTES: dict[str, tuple[str, str]] = {
    "create": ("POST", URL),
    "list": ("GET", URL),
    "read": ("GET", f"{URL}/{_ID}"),
    "update draft": ("PATCH", f"{URL}/{_ID}"),
    "submit draft": ("POST", f"{URL}/{_ID}/submit"),
    **{
        name: ("POST", f"{URL}/{_ID}/{name}")
        for name in ("review", "return", "reject", "approve", "dispatch")
    },
    "override": ("POST", f"{URL}/{_ID}/targets/{_T}/override"),
    "confirm mirror": ("POST", f"{URL}/{_ID}/confirm-mirror"),
    "acknowledge": ("POST", f"{URL}/{_ID}/acknowledgements"),
    "platform acknowledge": ("POST", f"{URL}/{_ID}/platform-acknowledgements"),
    "redispatch": ("POST", f"{URL}/{_ID}/executors"),
    "lift": ("POST", f"{URL}/{_ID}/lift"),
    "revoke": ("POST", f"{URL}/{_ID}/revoke"),
    "file appeal": ("POST", f"{URL}/{_ID}/appeals"),
    "decide appeal": ("POST", f"{URL}/{_ID}/appeals/{_T}/decision"),
    "confirm removal": ("POST", f"{URL}/{_ID}/removal-acknowledgement"),
    "platform confirm removal": ("POST", f"{URL}/{_ID}/platform-removal-acknowledgement"),
    "overdue": ("GET", f"{URL}/overdue"),
    "feed json": ("GET", "/api/v1/blocklists/ISP-VNPT.json"),
    "feed rpz": ("GET", "/api/v1/blocklists/ISP-VNPT.rpz"),
}
# For tests/test_permission_matrix.py (OTHER_MATRICES): the (method, example URL) pairs exercised here.
COVERED_CALLS = [ROUTES[name] for name in MATRIX]

PROTECTED = {
    "kind": "ip",
    "value": "104.16.1.1",
    "override_requested": True,
    "override_justification": "Máy chủ riêng của đối tượng, đã xác minh",
}


def _under_review(w: Walker, data: dict[str, Any]) -> dict[str, Any]:
    created = w.submit_ok(data)
    return w.ok(created["id"], "review")


def _listing_dispatched(w: Walker, grounds: Any) -> dict[str, Any]:
    data = body(
        *grounds,
        action="remove_listing",
        executors=[],
        targets=[{"kind": "marketplace_shop", "value": "shopee:998877"}],
    )
    return w.dispatched(data)


def _appealed(w: Walker, grounds: Any) -> tuple[dict[str, Any], str]:
    request = w.in_effect(body(*grounds))
    filed = w.client.post(
        f"{URL}/{request['id']}/appeals",
        json={"appellant": "A", "grounds": "B"},
        headers={**w.h("MOST", "x"), "Idempotency-Key": uuid.uuid4().hex},
    )
    return request, filed.json["id"]


def call(w: Walker, grounds: Any, endpoint: str, agency: str):  # type: ignore[no-untyped-def]
    """Prepare a request in the state the endpoint needs (as MOST), then call the endpoint as `agency`."""
    h = w.h(agency, OFFICER)
    post: Callable[..., Any] = w.client.post
    if endpoint == "create":
        return post(URL, json=body(*grounds), headers={**h, "Idempotency-Key": uuid.uuid4().hex})
    if endpoint == "list":
        return w.client.get(URL, headers=h)
    if endpoint == "overdue":
        return w.client.get(f"{URL}/overdue", headers=h)
    if endpoint in ("feed json", "feed rpz"):
        w.in_effect(body(*grounds))
        return w.client.get(f"/api/v1/blocklists/ISP-VNPT.{endpoint[-4:].strip()}", headers=h)
    if endpoint in ("update draft", "submit draft"):
        draft = w.submit_ok(body(*grounds, draft=True))
        if endpoint == "update draft":
            return w.client.patch(f"{URL}/{draft['id']}", json={"urgent": True}, headers=h)
        return post(f"{URL}/{draft['id']}/submit", json={}, headers=h)
    if endpoint == "review":
        return post(f"{URL}/{w.submit_ok(body(*grounds))['id']}/review", json={}, headers=h)
    if endpoint in ("return", "reject", "approve"):
        rid = _under_review(w, body(*grounds))["id"]
        return post(f"{URL}/{rid}/{endpoint}", json={"reason": "Bổ sung hồ sơ"}, headers=h)
    if endpoint == "override":
        request = _under_review(w, body(*grounds, targets=[PROTECTED]))
        url = f"{URL}/{request['id']}/targets/{request['targets'][0]['id']}/override"
        return post(url, json={"justification": "Đã xác minh máy chủ riêng, biên bản 7/BB"}, headers=h)
    if endpoint in ("read", "dispatch", "acknowledge"):
        request = w.approved(body(*grounds))
        if endpoint == "dispatch":
            return post(f"{URL}/{request['id']}/dispatch", json={}, headers=h)
        w.ok(request["id"], "dispatch", officer=APPROVER)
        if endpoint == "read":
            return w.client.get(f"{URL}/{request['id']}", headers=h)
        items = [{"target_id": request["targets"][0]["id"], "outcome": "executed"}]
        return post(f"{URL}/{request['id']}/acknowledgements", json={"acknowledgements": items}, headers=h)
    if endpoint == "platform acknowledge":
        request = _listing_dispatched(w, grounds)
        items = [{"target_id": request["targets"][0]["id"], "outcome": "executed"}]
        return post(
            f"{URL}/{request['id']}/platform-acknowledgements",
            json={"platform": "shopee", "acknowledgements": items},
            headers=h,
        )
    if endpoint == "confirm mirror":
        subject = make_subject(w.db)
        original = w.in_effect(body(grounds[0], make_violation(w.db, subjects=[subject])))
        guong = {"kind": "domain", "value": "guong.vn"}
        link = {"subject_id": str(subject.id), "source": "inspection", "identifier": guong}
        assert w.client.post("/api/v1/links", json=link, headers=w.h("MOST")).status_code == 201
        rid = _under_review(w, body(None, None, mirror_of=original["id"], targets=[guong]))["id"]
        return post(
            f"{URL}/{rid}/confirm-mirror", json={"reason": "Cùng chủ sở hữu, cùng nội dung"}, headers=h
        )
    if endpoint == "redispatch":
        request = w.dispatched(body(*grounds, executors=["ISP-VNPT"]))
        more = {"executors": ["ISP-FPT"], "reason": "VNPT không chặn được URL HTTPS"}
        return post(f"{URL}/{request['id']}/executors", json=more, headers=h)
    if endpoint == "confirm removal":
        request = w.in_effect(body(*grounds))
        w.ok(request["id"], "lift", officer=APPROVER, reason="Đã khắc phục", decision_id=w.decision())
        return post(f"{URL}/{request['id']}/removal-acknowledgement", json={}, headers=h)
    if endpoint == "platform confirm removal":
        request = _listing_dispatched(w, grounds)
        items = [{"target_id": request["targets"][0]["id"], "outcome": "executed"}]
        ecom = w.h("MOIT-ECOM", APPROVER)
        url = f"{URL}/{request['id']}"
        assert (
            post(
                f"{url}/platform-acknowledgements",
                json={"platform": "shopee", "acknowledgements": items},
                headers=ecom,
            ).status_code
            == 200
        )
        lift = {"reason": "Đã khắc phục", "decision_id": w.decision()}
        assert post(f"{url}/lift", json=lift, headers=ecom).status_code == 200
        return post(f"{url}/platform-removal-acknowledgement", json={"platform": "shopee"}, headers=h)
    if endpoint in ("lift", "revoke"):
        request = w.in_effect(body(*grounds))
        ending = {"reason": "Đã khắc phục", "decision_id": w.decision()}
        return post(f"{URL}/{request['id']}/{endpoint}", json=ending, headers=h)
    if endpoint == "file appeal":
        request = w.in_effect(body(*grounds))
        return post(
            f"{URL}/{request['id']}/appeals",
            json={"appellant": "A", "grounds": "B"},
            headers={**h, "Idempotency-Key": uuid.uuid4().hex},
        )
    if endpoint == "decide appeal":
        request, appeal = _appealed(w, grounds)
        return post(
            f"{URL}/{request['id']}/appeals/{appeal}/decision",
            json={"outcome": "dismissed", "reason": "Không có căn cứ", "decision_id": w.decision()},
            headers=h,
        )
    raise AssertionError(endpoint)


@pytest.mark.parametrize(
    ("endpoint", "agency", "expected"),
    [(e, a, s) for e, row in MATRIX.items() for a, s in zip(AGENCIES, row, strict=True)],
)
def test_permission_matrix(walker, grounds, endpoint, agency, expected):
    response = call(walker, grounds, endpoint, agency)
    assert response.status_code == expected, (endpoint, agency, response.get_json(silent=True))


def test_every_blocking_route_is_in_the_matrix(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/v1/block-requests", "/api/v1/blocklists"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    adapter = app.url_map.bind("localhost")
    covered = {
        (method, adapter.match(url, method=method, return_rule=True)[0].rule) for method, url in COVERED_CALLS
    }
    assert covered == routes and set(ROUTES) == set(MATRIX)
