"""Reads do not write: an order or a delay past its end is shown expired, its row and transitions
unchanged, until `registry workflows tick` records the expiry; a step meets it expired."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select, update

from registry.models import FreezeOrder, TransactionDelay, WorkflowTransition
from registry.services import freezing
from tests.factories import create_link, create_subject
from tests.freezing.helpers import get_delay, report_delay

ORDERS = "/api/v1/freeze-orders"
DELAYS = "/api/v1/transaction-delays"


def expirations(db, record_id) -> int:
    """The expire transitions recorded for a record (a read must record none)."""
    return db.scalar(
        select(func.count())
        .select_from(WorkflowTransition)
        .where(WorkflowTransition.record_id == uuid.UUID(record_id), WorkflowTransition.action == "expire")
    )


def test_an_order_past_its_validity_is_shown_expired_but_only_the_tick_records_it(freeze, db):
    order = freeze.in_effect()
    yesterday = date.today() - timedelta(days=2)
    db.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == uuid.UUID(order["id"]))
        .values(valid_from=yesterday, valid_until=yesterday)
    )
    shown = freeze.get(order, "BANK-970436")
    assert shown["state"] == "expired" and shown["allowed_actions"] == ["close"] and shown["due_at"] is None
    assert shown["transitions"][-1]["action"] != "expire"
    listed = freeze.client.get(ORDERS, headers=freeze.headers("SBV")).json["items"]
    assert [o["state"] for o in listed if o["id"] == order["id"]] == ["expired"]
    # Nothing was written by the reads: the row is as it was, and no transition was recorded.
    stored = db.scalar(select(FreezeOrder.state).where(FreezeOrder.id == uuid.UUID(order["id"])))
    assert stored == "in_effect" and expirations(db, order["id"]) == 0
    # A step meets the order as it is: expired (the refused step's work, the expiry too, is rolled back).
    refused = freeze.step(
        order,
        "extend",
        "MPS-C03",
        "inv-1",
        expect=409,
        decision_id=freeze.decision(),
        valid_until="2030-01-01",
        note="x",
    )
    assert refused["current_state"] == "expired" and refused["allowed"] == ["close"]
    assert freezing.tick(db)["freeze_orders_expired"] == 1
    db.flush()
    assert expirations(db, order["id"]) == 1
    recorded = freeze.get(order, "SBV")
    assert recorded["state"] == "expired" and recorded["transitions"][-1]["officer"] == "system"
    vcb = freeze.account_of(recorded, "970436")
    assert vcb["state"] == "release_pending"  # the tick instructed the bank
    path = f"{ORDERS}/{order['id']}/accounts/{vcb['id']}/confirm-release"
    freeze.post(path, "BANK-970436", None, release_reference="REL-1")
    assert freeze.step(order, "close", officer="sbv-c")["state"] == "closed"


def test_a_delay_past_its_end_is_shown_expired_but_only_the_tick_records_it(freeze, db):
    delay = report_delay(freeze, delayed_at="2026-10-02T10:00:00+07:00")
    assert delay["state"] == "in_effect"  # the answer to the report shows the record as recorded
    shown = get_delay(freeze, delay, "SBV")
    assert shown["state"] == "expired" and shown["allowed_actions"] == []
    assert [t["action"] for t in shown["transitions"]] == ["create"]
    listed = freeze.client.get(DELAYS, headers=freeze.headers("BANK-970436")).json["items"]
    assert [d["state"] for d in listed if d["id"] == delay["id"]] == ["expired"]
    stored = db.scalar(select(TransactionDelay.state).where(TransactionDelay.id == uuid.UUID(delay["id"])))
    assert stored == "in_effect" and expirations(db, delay["id"]) == 0
    assert freezing.tick(db)["transaction_delays_expired"] == 1
    db.flush()
    assert expirations(db, delay["id"]) == 1
    recorded = get_delay(freeze, delay, "SBV")
    assert recorded["state"] == "expired" and recorded["transitions"][-1]["officer"] == "system"


def test_the_seller_history_shows_a_due_order_expired_without_writing(freeze, client, db):
    owner = freeze.headers("MPS-C03")
    subject = create_subject(client, owner, name="Công ty TNHH Đại Phát")
    create_link(client, owner, subject["id"], "bank_account", "970436:001-100-123-4567")
    order = freeze.in_effect()
    past = date.today() - timedelta(days=2)
    db.execute(
        update(FreezeOrder)
        .where(FreezeOrder.id == uuid.UUID(order["id"]))
        .values(valid_from=past, valid_until=past)
    )
    seen = client.get(f"/api/v1/subjects/{subject['id']}/history", headers=freeze.headers("SBV")).json
    assert [(o["id"], o["state"]) for o in seen["orders"]["freeze_orders"]] == [(order["id"], "expired")]
    assert any(e["kind"] == "freeze_order" and e["summary"].endswith(": expired") for e in seen["timeline"])
    stored = db.scalar(select(FreezeOrder.state).where(FreezeOrder.id == uuid.UUID(order["id"])))
    assert stored == "in_effect" and expirations(db, order["id"]) == 0
