"""Who sees which order and which account number; the seller history shows the orders to those allowed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from tests.freezing.helpers import DELAYS, ORDERS, TCB, VCB

FULL = "970436:0011001234567"


def test_account_numbers_masked_unless_revealed_to_issuer_or_state_bank(freeze, actors, client):
    order = freeze.dispatched()
    url = f"{ORDERS}/{order['id']}"
    issuer = freeze.get(order, "MPS-C03")
    assert all(a["account_number"] is None for a in issuer["accounts"]) and len(issuer["accounts"]) == 2
    revealed = freeze.get(order, "MPS-C03", sensitive="true")
    assert freeze.account_of(revealed, "970436")["account_number"] == FULL
    assert freeze.account_of(freeze.get(order, "SBV", sensitive="true"), "970436")["account_number"] == FULL
    nsc = freeze.get(order, "NSC389")
    assert len(nsc["accounts"]) == 2 and all(a["account_number"] is None for a in nsc["accounts"])
    assert freeze.get(order, "NSC389", expect=403, sensitive="true")["status"] == 403
    no_scope = actors.headers("MPS-C03", scopes=["freeze:submit"])
    assert client.get(url, query_string={"sensitive": "true"}, headers=no_scope).status_code == 403
    no_purpose = actors.headers("MPS-C03", purpose=None)
    assert client.get(url, query_string={"sensitive": "true"}, headers=no_purpose).status_code == 422
    # A bank: its own account in full without asking; nothing of the other bank's.
    bank = freeze.get(order, "BANK-970436")
    assert [a["account_number"] for a in bank["accounts"]] == [FULL]
    assert all(t["officer"] is None for t in bank["transitions"] if t["agency"] != "BANK-970436")
    assert FULL not in json.dumps(freeze.get(order, "BANK-970418"))
    for agency, status in (("MOIT-DMS", 404), ("MOF-CUSTOMS", 404), ("BANK-970407", 404), ("VECOM", 403)):
        assert client.get(url, headers=freeze.headers(agency)).status_code == status, agency


def test_lists_follow_the_same_rule(freeze, client):
    vcb_order = freeze.dispatched(accounts=[VCB])
    tcb_order = freeze.dispatched(accounts=[TCB])
    freeze.submit(agency="SPC", decision_id=freeze.decision("SPC"))  # submitted, not dispatched

    def listed(agency: str, **query: str) -> list[str]:
        response = client.get(ORDERS, query_string=query, headers=freeze.headers(agency))
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert len(listed("SBV")) == 3 and len(listed("NSC389")) == 3
    assert set(listed("MPS-C03")) == {vcb_order["id"], tcb_order["id"]}
    assert len(listed("SPC")) == 1
    assert listed("BANK-970436") == [vcb_order["id"]]
    assert listed("BANK-970407") == [tcb_order["id"]]
    assert listed("BANK-970418") == [] and listed("MOIT-DMS") == []
    assert listed("SBV", state="submitted") != [] and listed("SBV", state="closed") == []
    assert client.get(ORDERS, headers=freeze.headers("VECOM")).status_code == 403
    page = client.get(ORDERS, query_string={"sensitive": "true"}, headers=freeze.headers("MPS-C03")).json
    assert {a["account_number"] for item in page["items"] for a in item["accounts"]} == {
        FULL,
        "970407:19033333333333",
    }
    assert (
        client.get(ORDERS, query_string={"sensitive": "true"}, headers=freeze.headers("NSC389")).status_code
        == 403
    )


def test_seller_history_shows_freeze_orders_and_delays_to_those_allowed(freeze, client):
    owner = freeze.headers("MPS-C03")
    subject = client.post(
        "/api/v1/subjects", json={"kind": "organisation", "name": "Công ty TNHH Đại Phát"}, headers=owner
    ).json
    link = client.post(
        "/api/v1/links",
        headers=owner,
        json={
            "subject_id": subject["id"],
            "source": "inspection",
            "identifier": {"kind": "bank_account", "value": "970436:001-100-123-4567"},
        },
    )
    assert link.status_code == 201, link.json
    delay = client.post(
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
    assert delay.status_code == 201, delay.json
    order = freeze.submit(transaction_delay_ids=[delay.json["id"]])
    assert freeze.account_of(order, "970436")["subject_id"] == subject["id"]  # found from the link
    assert freeze.account_of(order, "970418")["subject_id"] is None
    other = freeze.submit(accounts=[TCB])  # not this subject's account

    def history(agency: str) -> dict:
        response = client.get(f"/api/v1/subjects/{subject['id']}/history", headers=freeze.headers(agency))
        assert response.status_code == 200, response.json
        return response.json

    for agency in ("MPS-C03", "SBV", "NSC389"):
        seen = history(agency)
        orders = seen["orders"]["freeze_orders"]
        assert [o["id"] for o in orders] == [order["id"]], agency
        assert orders[0]["issuer"] == "MPS-C03" and orders[0]["amount_vnd"] == 500_000_000
        touching = [a for a in orders[0]["accounts"] if a["touches_subject"]]
        assert [a["display"] for a in touching] == ["VCB ••••4567"]
        assert [d["id"] for d in seen["orders"]["transaction_delays"]] == [delay.json["id"]]
        assert {"freeze_order", "transaction_delay"} <= {e["kind"] for e in seen["timeline"]}
        assert "0011001234567" not in json.dumps(seen)
        assert other["id"] not in json.dumps(seen)
    for agency in ("MOF-CUSTOMS", "MOIT-DMS", "MOF-TAX"):
        seen = history(agency)
        assert seen["orders"]["freeze_orders"] == [] and seen["orders"]["transaction_delays"] == [], agency
        assert "freeze_order" not in {e["kind"] for e in seen["timeline"]}
    reader = freeze.actors.headers("NSC389", scopes=["registry:read"])
    response = client.get(f"/api/v1/subjects/{subject['id']}/history", headers=reader)
    assert [o["id"] for o in response.json["orders"]["freeze_orders"]] == [order["id"]]


def test_an_order_showing_an_accounts_holder_is_an_access_to_the_holder(freeze, client, actors):
    owner = freeze.headers("MPS-C03")
    subject = client.post(
        "/api/v1/subjects", json={"kind": "organisation", "name": "Công ty TNHH Đại Phát"}, headers=owner
    ).json
    client.post(
        "/api/v1/links",
        headers=owner,
        json={
            "subject_id": subject["id"],
            "source": "inspection",
            "identifier": {"kind": "bank_account", "value": "970436:001-100-123-4567"},
        },
    )
    order = freeze.submit()
    read = client.get(f"{ORDERS}/{order['id']}", headers=freeze.headers("SBV", "sbv-reader"))
    assert read.status_code == 200
    assert [a["subject_id"] for a in read.json["accounts"] if a["subject_id"]] == [subject["id"]]
    found = client.get(
        "/api/v1/audit/search",
        query_string={"resource": f"subject:{subject['id']}", "per_page": 100},
        headers=actors.headers("AUDIT"),
    ).json["items"]
    assert [h["action"] for h in found if h["officer"] == "sbv-reader"] == ["freeze_order:read"]
