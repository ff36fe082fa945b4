"""A page of freeze orders or transaction delays costs the same statements whatever its size: what the
Read schemas show of each record is loaded for the whole page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

ORDERS = "/api/v1/freeze-orders"
DELAYS = "/api/v1/transaction-delays"
VCB = "VCB:0011001234567"


def page_statements(freeze, statements, path: str, agency: str, expected: int) -> int:
    headers = freeze.headers(agency)  # minting the token is not the page's cost
    freeze.client.get(path, headers=headers)  # caches warm (agency codes, verified token)
    statements.clear()
    answer = freeze.client.get(path, headers=headers)
    assert answer.status_code == 200 and len(answer.json["items"]) == expected, answer.json
    return len(statements)


def delay(freeze) -> None:
    response = freeze.client.post(
        DELAYS,
        headers={**freeze.headers("BANK-970436", None), "Idempotency-Key": uuid.uuid4().hex},
        json={
            "account": VCB,
            "amount_vnd": 5_000_000,
            "reason": "Đáng ngờ",
            "delayed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "reported_to": ["MPS-C03"],
        },
    )
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("agency", ["SBV", "BANK-970436", "MPS-C03"])
def test_a_page_of_orders_costs_the_same_statements_whatever_its_size(freeze, statements, agency):
    freeze.in_effect()
    one = page_statements(freeze, statements, ORDERS, agency, 1)
    freeze.in_effect()
    freeze.in_effect()
    assert page_statements(freeze, statements, ORDERS, agency, 3) == one


def test_a_page_of_delays_costs_the_same_statements_whatever_its_size(freeze, statements):
    delay(freeze)
    one = page_statements(freeze, statements, DELAYS, "SBV", 1)
    delay(freeze)
    delay(freeze)
    assert page_statements(freeze, statements, DELAYS, "SBV", 3) == one
