"""Freezing as the criminal procedure code expects: urgent orders, the State Bank's flags, the procuracy
notified, withdrawal before dispatch, amendments adding accounts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from registry.models import WorkflowTransition
from tests.freezing.helpers import BIDV, ORDERS, TCB, VCB


def test_an_urgent_police_order_reaches_the_banks_at_submission(freeze, db):
    order = freeze.submit(accounts=[VCB, BIDV], urgent=True)
    assert order["state"] == "dispatched" and order["urgent"] is True
    assert {a["state"] for a in order["accounts"]} == {"dispatched"}
    sent = datetime.fromisoformat(order["dispatched_at"])
    assert {datetime.fromisoformat(a["due_at"]) - sent for a in order["accounts"]} == {timedelta(hours=4)}
    # The bank sees it at once and executes it; nobody at the State Bank had to act first.
    assert freeze.get(order, "BANK-970436")["state"] == "dispatched"
    assert freeze.execute(order, "970436", 100_000_000)["state"] == "in_effect"
    # Who did what: the issuer's officer dispatched it.
    rows = db.scalars(select(WorkflowTransition).where(WorkflowTransition.action == "dispatch_urgent")).all()
    assert [(r.officer, r.from_state, r.to_state) for r in rows] == [("inv-1", "submitted", "dispatched")]
    # The State Bank checks the form afterwards: it may flag a defect, not hold the order back.
    flagged = freeze.step(order, "flags", officer="sbv-a", defect="Thiếu số hiệu văn bản thông báo VKS")
    assert flagged["state"] == "in_effect" and len(flagged["flags"]) == 1
    for action in ("receive", "check", "dispatch"):
        freeze.step(order, action, officer="sbv-b", expect=409)
    issuer_view = freeze.get(order, "MPS-C03")
    assert issuer_view["flags"][0]["defect"] == "Thiếu số hiệu văn bản thông báo VKS"


def test_only_police_and_courts_send_urgent_orders(freeze, db):
    tax = freeze.body(
        freeze.decision("MOF-TAX"),
        urgent=True,
        legal_bases=["Luật Quản lý thuế 2019, Điều 125"],
        procuracy_notified_at=None,
        procuracy_reference=None,
        procuracy=None,
    )
    refused = freeze.submit(tax, agency="MOF-TAX", expect=422)
    assert refused["errors"]["urgent"] == ["MOF-TAX may not mark an order urgent"]
    court = freeze.body(freeze.decision("SPC"), urgent=True, procuracy=None)
    assert freeze.submit(court, agency="SPC")["state"] == "dispatched"


def test_a_normal_order_waits_for_the_state_bank(freeze):
    order = freeze.submit()
    assert order["state"] == "submitted" and order["urgent"] is False
    assert freeze.get(order, "BANK-970436", expect=404)["status"] == 404


def test_the_procuracy_notified_reads_the_order(freeze, client):
    notified = freeze.submit(accounts=[VCB])
    assert notified["procuracy"] == "SPP"
    other = freeze.submit(accounts=[BIDV], decision_id=freeze.decision("SPC"), agency="SPC", procuracy=None)
    seen = freeze.get(notified, "SPP")
    assert seen["id"] == notified["id"] and [a["display"] for a in seen["accounts"]] == ["VCB ••••4567"]
    assert seen["transitions"][0]["officer"] == "inv-1"  # the whole order, as its issuer sees it
    freeze.get(other, "SPP", expect=404)
    listed = client.get(ORDERS, headers=freeze.headers("SPP"))
    assert [o["id"] for o in listed.json["items"]] == [notified["id"]]
    # With only registry:read, as its reading clients would hold.
    reader = freeze.actors.headers("SPP", scopes=["registry:read"])
    assert client.get(f"{ORDERS}/{notified['id']}", headers=reader).status_code == 200
    # Full numbers stay with the issuer and the State Bank.
    revealed = client.get(
        f"{ORDERS}/{notified['id']}?sensitive=true",
        headers=freeze.actors.headers("SPP", scopes=["freeze:submit", "registry:read_sensitive"]),
    )
    assert revealed.status_code == 403


def test_an_investigation_body_names_a_procuracy(freeze):
    missing = freeze.submit(procuracy=None, expect=422)
    assert "procuracy" in missing["errors"]["procuracy_notified_at"][0]
    wrong = freeze.submit(procuracy="MOIT-DMS", expect=422)
    assert wrong["errors"]["procuracy"] == ["MOIT-DMS is not a procuracy"]


def test_the_issuer_withdraws_before_dispatch_only(freeze):
    order = freeze.submit()
    freeze.step(order, "receive")
    freeze.step(order, "withdraw", "SBV", "sbv-a", expect=403, note="x")  # not the issuer
    withdrawn = freeze.step(order, "withdraw", "MPS-C03", "inv-1", note="Đã thu hồi quyết định")
    assert withdrawn["state"] == "withdrawn" and withdrawn["allowed_actions"] == []
    freeze.step(order, "check", officer="sbv-b", expect=409)
    assert freeze.get(order, "BANK-970436", expect=404)["status"] == 404  # never reached a bank
    dispatched = freeze.dispatched()
    late = freeze.step(dispatched, "withdraw", "MPS-C03", "inv-1", expect=409, note="x")
    assert late["current_state"] == "dispatched"


def test_an_amendment_adds_accounts_dispatched_at_once(freeze):
    order = freeze.in_effect()  # VCB froze 300,000,000 of 500,000,000
    decision = freeze.decision()
    twice = freeze.step(
        order,
        "amend",
        "MPS-C03",
        "inv-1",
        expect=422,
        decision_id=decision,
        add_accounts=[{"account": VCB}],
        note="x",
    )
    assert twice["errors"] == {"add_accounts.0.account": ["already named in this order"]}
    amended = freeze.step(
        order,
        "amend",
        "MPS-C03",
        "inv-1",
        decision_id=decision,
        add_accounts=[{"account": TCB, "holder_name": "Trần Văn B"}],
        note="Bổ sung tài khoản tại Techcombank",
    )
    assert amended["state"] == "amended" and len(amended["accounts"]) == 3
    added = freeze.account_of(amended, "970407")
    assert added["state"] == "dispatched" and added["due_at"]
    step = next(t for t in amended["transitions"] if t["action"] == "amend")
    assert step["detail"]["accounts_added"][0]["bank_bin"] == "970407"
    tcb = freeze.get(order, "BANK-970407")  # the new bank sees it, and what remains
    assert [a["bank_bin"] for a in tcb["accounts"]] == ["970407"] and tcb["outstanding_vnd"] == 200_000_000
    assert freeze.execute(amended, "970407", 200_000_000)["outstanding_vnd"] == 0
