"""Every freeze endpoint tried by every kind of party; the expected status of each is written out below.

The order is issued by MPS-C03 on one Vietcombank account (BIN 970436), so BANK-970436 is the bank
addressed and BANK-970418 another bank. Each cell starts from a fresh order in the state the endpoint
needs, so the status shows the permission, not the state. Callers hold every scope their agency's kind
allows (state bodies: freeze:submit and freeze:process; banks: freeze:execute only; associations:
registry:read and reports:read) and a named officer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.freezing.helpers import BIDV, DELAYS, ORDERS, VCB

ROLES = ("MPS-C03", "SBV", "BANK-970436", "BANK-970418", "MOIT-DMS", "VECOM", "NSC389")

MATRIX = """
endpoint        MPS-C03  SBV  BANK-970436  BANK-970418  MOIT-DMS  VECOM  NSC389
submit              201  422          403          403       422    403     422
list                200  200          200          200       200    403     200
overdue             403  200          403          403       403    403     200
read                200  200          200          404       404    403     200
receive             403  200          403          403       404    403     403
check               403  200          403          403       404    403     403
flags               403  200          403          403       404    403     403
answer_flag         200  403          403          403       404    403     403
dispatch            403  200          403          403       404    403     403
resubmit            200  403          403          403       404    403     403
report              403  403          200          404       403    403     403
confirm_release     403  403          200          404       403    403     403
amend               200  403          403          403       404    403     403
extend              200  403          403          403       404    403     403
lift                200  403          403          403       404    403     403
convert             200  403          403          403       404    403     403
close               403  200          403          403       404    403     403
withdraw            200  403          403          403       404    403     403
delay_report        403  403          201          201       403    403     403
delay_list          200  200          200          200       200    403     200
delay_read          200  200          200          404       404    403     200
delay_release       403  403          200          404       403    403     403
delay_sbv_report    403  403          200          404       403    403     403
"""


def _expected() -> dict[tuple[str, str], int]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert tuple(header) == ROLES
    return {(row[0], role): int(status) for row in rows for role, status in zip(header, row[1:], strict=True)}


EXPECTED = _expected()

# For tests/test_permission_matrix.py::test_every_route_is_covered: the calls this matrix exercises.
_ID = "00000000-0000-4000-8000-000000000000"
COVERED_CALLS = [
    ("POST", ORDERS),
    ("GET", ORDERS),
    ("GET", f"{ORDERS}/overdue"),
    ("GET", f"{ORDERS}/{_ID}"),
    *[
        ("POST", f"{ORDERS}/{_ID}/{action}")
        for action in (
            "receive",
            "check",
            "flags",
            "dispatch",
            "resubmit",
            "amend",
            "extend",
            "lift",
            "convert",
            "close",
            "withdraw",
        )
    ],
    ("POST", f"{ORDERS}/{_ID}/flags/{_ID}/answer"),
    ("POST", f"{ORDERS}/{_ID}/accounts/{_ID}/report"),
    ("POST", f"{ORDERS}/{_ID}/accounts/{_ID}/confirm-release"),
    ("POST", DELAYS),
    ("GET", DELAYS),
    ("GET", f"{DELAYS}/{_ID}"),
    ("POST", f"{DELAYS}/{_ID}/release"),
    ("POST", f"{DELAYS}/{_ID}/sbv-report"),
]
assert len(COVERED_CALLS) == len(EXPECTED) // len(ROLES)

# The state each endpoint needs, reached by the parties whose step it is.
SETUP = {
    "receive": "submitted",
    "check": "received",
    "flags": "received",
    "answer_flag": "flagged",
    "dispatch": "checked",
    "resubmit": "received",
    "read": "dispatched",
    "report": "dispatched",
    "amend": "in_effect",
    "extend": "in_effect",
    "lift": "in_effect",
    "convert": "in_effect",
    "close": "released",
    "confirm_release": "lifted",
    "withdraw": "submitted",
}


def _order(freeze, state: str) -> dict:
    order = freeze.submit(accounts=[VCB])
    steps = {
        "received": [("receive", "SBV", "sbv-setup")],
        "checked": [("receive", "SBV", "sbv-setup"), ("check", "SBV", "sbv-setup-2")],
    }
    for action, agency, officer in steps.get(state, []):
        freeze.step(order, action, agency, officer, note="setup")
    if state == "flagged":
        order = freeze.step(order, "flags", "SBV", "sbv-setup", defect="setup")
    if state in ("dispatched", "in_effect", "lifted", "released"):
        order = freeze.submit(accounts=[VCB])
        freeze.step(order, "receive", officer="sbv-setup")
        freeze.step(order, "check", officer="sbv-setup-2")
        order = freeze.step(order, "dispatch", officer="sbv-setup-2")
    if state in ("in_effect", "lifted", "released"):
        order = freeze.execute(order, "970436", 1_000)
    if state in ("lifted", "released"):
        order = freeze.step(
            order, "lift", "MPS-C03", "inv-setup", decision_id=freeze.decision(), note="setup"
        )
    if state == "released":
        account = order["accounts"][0]["id"]
        path = f"{ORDERS}/{order['id']}/accounts/{account}/confirm-release"
        freeze.post(path, "BANK-970436", None, release_reference="setup")
    return order


def _delay(freeze) -> dict:
    body = {
        "account": VCB,
        "amount_vnd": 1_000_000,
        "reason": "setup",
        "reported_to": ["MPS-C03"],
        "delayed_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    headers = {**freeze.headers("BANK-970436", None), "Idempotency-Key": uuid.uuid4().hex}
    response = freeze.client.post(DELAYS, json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def _call(freeze, endpoint: str, role: str):  # type: ignore[no-untyped-def]
    client, headers = freeze.client, freeze.headers(role, "officer-a")
    if endpoint == "submit":
        body = freeze.body(freeze.decision("MPS-C03"), accounts=[VCB])
        return client.post(ORDERS, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    if endpoint == "list":
        return client.get(ORDERS, headers=headers)
    if endpoint == "overdue":
        return client.get(f"{ORDERS}/overdue", headers=headers)
    if endpoint.startswith("delay_"):
        if endpoint == "delay_report":
            body = {
                "account": BIDV if role == "BANK-970418" else VCB,
                "amount_vnd": 1,
                "reason": "x",
                "delayed_at": datetime.now(UTC).isoformat(),
                "reported_to": ["MPS-C03"],
            }
            return client.post(DELAYS, json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        if endpoint == "delay_list":
            return client.get(DELAYS, headers=headers)
        delay = _delay(freeze)
        if endpoint == "delay_read":
            return client.get(f"{DELAYS}/{delay['id']}", headers=headers)
        if endpoint == "delay_sbv_report":
            body = {"sbv_reported_at": datetime.now(UTC).isoformat(), "sbv_reference": "NHNN-1"}
            return client.post(f"{DELAYS}/{delay['id']}/sbv-report", json=body, headers=headers)
        return client.post(f"{DELAYS}/{delay['id']}/release", json={}, headers=headers)
    order = _order(freeze, SETUP[endpoint])
    url = f"{ORDERS}/{order['id']}"
    if endpoint == "read":
        return client.get(url, headers=headers)
    decision = freeze.decision("MPS-C03")
    bodies = {
        "flags": {"defect": "x"},
        "answer_flag": {"answer": "x"},
        "resubmit": {"note": "x"},
        "withdraw": {"note": "x"},
        "report": {"outcome": "executed", "amount_frozen_vnd": 1, "bank_reference": "R"},
        "confirm_release": {"release_reference": "R"},
        "amend": {"decision_id": decision, "amount_vnd": 400_000_000, "note": "x"},
        "extend": {"decision_id": decision, "valid_until": "2030-01-01", "note": "x"},
        "lift": {"decision_id": decision, "note": "x"},
        "convert": {"decision_id": decision, "kind": "deduction", "note": "x"},
    }
    if endpoint == "report":
        url += f"/accounts/{order['accounts'][0]['id']}"
    if endpoint == "confirm_release":
        path = f"{url}/accounts/{order['accounts'][0]['id']}/confirm-release"
        return client.post(path, json=bodies[endpoint], headers=headers)
    if endpoint == "answer_flag":
        return client.post(
            f"{url}/flags/{order['flags'][0]['id']}/answer", json=bodies[endpoint], headers=headers
        )
    return client.post(f"{url}/{endpoint}", json=bodies.get(endpoint, {}), headers=headers)


@pytest.mark.parametrize(("endpoint", "role"), sorted(EXPECTED))
def test_permission_matrix(freeze, endpoint, role):
    response = _call(freeze, endpoint, role)
    assert response.status_code == EXPECTED[(endpoint, role)], response.json
