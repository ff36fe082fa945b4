"""The total frozen across banks never exceeds the amount ordered; the next bank sees what is left."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from registry.models import FreezeOrder, Identifier
from registry.services import identifiers as identifier_service
from registry.services.freezing import execution
from tests.freezing.helpers import BIDV, ORDERS, VCB, at_once, committed_parties, held_first_call


def test_the_next_bank_sees_what_is_left_and_cannot_freeze_more(freeze):
    order = freeze.dispatched()  # 500,000,000 VND on a VCB and a BIDV account
    freeze.execute(order, "970436", 300_000_000)

    bidv = freeze.get(order, "BANK-970418")
    assert bidv["outstanding_vnd"] == 200_000_000  # not the 500,000,000 ordered
    assert [a["bank_bin"] for a in bidv["accounts"]] == ["970418"]  # VCB's account stays hidden

    refused = freeze.execute(order, "970418", 250_000_000, expect=422)
    assert "200000000" in refused["errors"]["amount_frozen_vnd"][0]
    done = freeze.execute(order, "970418", 200_000_000)
    assert done["outstanding_vnd"] == 0
    full = freeze.get(order, "SBV")
    assert full["executed_total_vnd"] == 500_000_000 and full["outstanding_vnd"] == 0


def test_a_whole_balance_order_has_no_remainder(freeze):
    order = freeze.dispatched(amount_vnd=None, whole_balance=True)
    assert freeze.execute(order, "970436", 900_000_000)["outstanding_vnd"] is None
    assert freeze.execute(order, "970418", 900_000_000)["outstanding_vnd"] is None


@pytest.mark.postgres_only
def test_two_banks_reporting_at_once_do_not_both_take_the_remainder(committed_app, monkeypatch):
    session, actors, setup = committed_parties(committed_app)
    decision = setup.decision("MPS-C03")
    issuer = {**actors.headers("MPS-C03", officer="inv-1"), "Idempotency-Key": uuid.uuid4().hex}
    sbv_a, sbv_b = actors.headers("SBV", officer="sbv-a"), actors.headers("SBV", officer="sbv-b")
    banks = {bin_: actors.headers(f"BANK-{bin_}") for bin_ in ("970436", "970418")}
    session.commit()
    client = committed_app.test_client()
    order = client.post(ORDERS, json=setup.body(decision, accounts=[VCB, BIDV]), headers=issuer).json
    url = f"{ORDERS}/{order['id']}"
    for action, headers in (("receive", sbv_a), ("check", sbv_b), ("dispatch", sbv_b)):
        assert client.post(f"{url}/{action}", json={}, headers=headers).status_code == 200
    accounts = {a["bank_bin"]: a["id"] for a in client.get(url, headers=sbv_a).json["accounts"]}

    # Both banks have loaded the order (nothing frozen yet) before either reports.
    held_first_call(monkeypatch, execution, "get_account", threading.Barrier(2, timeout=20))
    report = {"outcome": "executed", "amount_frozen_vnd": 300_000_000}
    results = at_once(
        committed_app,
        [
            (f"{url}/accounts/{accounts[b]}/report", {**report, "bank_reference": f"R-{b}"}, headers)
            for b, headers in banks.items()
        ],
    )
    monkeypatch.undo()

    assert sorted(status for status, _ in results) == [200, 422], results
    loser = next(body for status, body in results if status == 422)
    assert "200000000" in loser["errors"]["amount_frozen_vnd"][0]  # it saw the other bank's 300,000,000
    session.expire_all()
    frozen = session.get(FreezeOrder, uuid.UUID(order["id"])).frozen_total_vnd
    assert frozen == 300_000_000
    session.close()


@pytest.mark.postgres_only
def test_two_orders_naming_the_same_new_accounts_in_opposite_orders_both_succeed(committed_app, monkeypatch):
    """Accounts are registered in one order whatever the request's order, so the two submissions wait
    for each other instead of deadlocking (PostgreSQL would kill one: a 500)."""
    session, actors, setup = committed_parties(committed_app)
    decisions = [setup.decision("MPS-C03"), setup.decision("MPS-C03")]
    headers = actors.headers("MPS-C03", officer="inv-1")
    session.commit()
    first, second = f"VCB:{uuid.uuid4().int % 10**13:013d}", f"BIDV:{uuid.uuid4().int % 10**14:014d}"
    bodies = [
        setup.body(decision, accounts=accounts)
        for decision, accounts in zip(decisions, ([first, second], [second, first]), strict=True)
    ]
    # Both have looked for their first account before either registers one.
    held_first_call(monkeypatch, identifier_service, "_find", threading.Barrier(2, timeout=20))
    results = at_once(
        committed_app,
        [(ORDERS, body, {**headers, "Idempotency-Key": uuid.uuid4().hex}) for body in bodies],
    )
    monkeypatch.undo()
    assert sorted(status for status, _ in results) == [201, 201], results
    orders = [body for _, body in results]
    assert all(len(o["accounts"]) == 2 for o in orders)
    count = select(func.count()).select_from(Identifier).where(Identifier.kind == "bank_account")
    assert session.scalar(count) == 2
    session.close()
