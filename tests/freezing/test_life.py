"""The whole life of a freeze order through the HTTP API: submission to closing, with every party."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from registry.audit.models import AuditEntry
from registry.models import FreezeOrder, IdempotencyRecord, WorkflowTransition
from tests.freezing.helpers import BIDV, ORDERS, VCB


def test_whole_life_of_an_order(freeze, client, db):
    decision = freeze.decision("MPS-C03")
    body = freeze.body(decision)
    key = uuid.uuid4().hex

    # Submission, and its retry: the same answer, no second order.
    order = freeze.submit(body, key=key)
    assert order["state"] == "submitted" and order["issuer"] == "MPS-C03"
    assert order["decision"]["id"] == decision and order["decision"]["issuer"] == "MPS-C03"
    assert order["due_at"] is not None  # the State Bank's dispatch deadline
    assert [a["account_number"] for a in order["accounts"]] == [None, None]  # masked, even to the issuer
    assert [a["display"] for a in order["accounts"]] == ["VCB ••••4567", "BIDV ••••4567"]
    assert order["holders"] == ["Công ty TNHH Đại Phát"]
    retry = client.post(
        ORDERS, json=body, headers={**freeze.headers("MPS-C03", "inv-1"), "Idempotency-Key": key}
    )
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["id"] == order["id"]
    assert db.scalar(select(func.count()).select_from(FreezeOrder)) == 1
    stored = db.scalars(select(IdempotencyRecord)).one()
    assert b"0011001234567" not in stored.body  # the kept answer never holds a full account number

    # The State Bank: received by one officer, checked by another, then dispatched.
    freeze.step(order, "receive", officer="sbv-a")
    same = freeze.step(order, "check", officer="sbv-a", expect=403)
    assert "Four-eyes" in same["detail"] and "received" in same["detail"]
    early = freeze.step(order, "dispatch", officer="sbv-b", expect=409)
    assert early["current_state"] == "received"
    assert early["allowed"] == ["check", "expire", "lift", "resubmit", "withdraw"]
    freeze.step(order, "check", officer="sbv-b")
    dispatched = freeze.step(order, "dispatch", officer="sbv-b")
    assert dispatched["state"] == "dispatched"
    assert {a["state"] for a in dispatched["accounts"]} == {"dispatched"}
    assert all(a["due_at"] for a in dispatched["accounts"])  # each bank's execution deadline

    # Each bank sees its own account only, in full; the other bank's is absent.
    vcb = freeze.get(order, "BANK-970436")
    assert [a["account_number"] for a in vcb["accounts"]] == ["970436:0011001234567"]
    bidv = freeze.get(order, "BANK-970418")
    assert [a["account_number"] for a in bidv["accounts"]] == ["970418:12010001234567"]
    assert freeze.get(order, "BANK-970407", expect=404)["status"] == 404  # a bank not addressed

    # Wrong bank: BIDV cannot report on Vietcombank's account.
    vcb_account = freeze.account_of(dispatched, "970436")
    wrong = freeze.report(
        order,
        "BANK-970418",
        vcb_account["id"],
        expect=404,
        outcome="executed",
        amount_frozen_vnd=1,
        bank_reference="X",
    )
    assert wrong["status"] == 404

    # Partial execution across two banks: the order takes effect with the first; the sum is reported.
    after_vcb = freeze.execute(order, "970436", 300_000_000)
    assert after_vcb["state"] == "in_effect"
    after_bidv = freeze.execute(order, "970418", 150_000_000)
    assert after_bidv["state"] == "in_effect"
    full = freeze.get(order, "SBV")
    assert full["amount_vnd"] == 500_000_000
    assert full["executed_total_vnd"] == 450_000_000 and full["outstanding_vnd"] == 50_000_000
    assert {a["bank"]: a["amount_frozen_vnd"] for a in full["accounts"]} == {
        "BANK-970436": 300_000_000,
        "BANK-970418": 150_000_000,
    }
    assert freeze.get(order, "BANK-970436")["executed_total_vnd"] == 300_000_000  # its own accounts only
    again = freeze.execute(order, "970436", 1, expect=409)
    assert again["current_state"] == "executed" and again["allowed"] == ["instruct_release"]

    # Amendment on a new decision; the terms before are kept in the history.
    amending = freeze.decision("MPS-C03")
    amended = freeze.step(
        order,
        "amend",
        "MPS-C03",
        "inv-2",
        decision_id=amending,
        amount_vnd=450_000_000,
        note="Điều chỉnh số tiền theo kết quả xác minh",
    )
    assert amended["state"] == "amended" and amended["amount_vnd"] == 450_000_000
    assert amended["current_decision"]["id"] == amending and amended["decision"]["id"] == decision
    assert amended["outstanding_vnd"] == 0
    amend = next(t for t in amended["transitions"] if t["action"] == "amend")
    assert amend["detail"]["before"]["amount_vnd"] == 500_000_000
    assert amend["detail"]["after"]["amount_vnd"] == 450_000_000
    assert amend["decision_id"] == amending and amend["officer"] == "inv-2"

    # Extension, then lifting on a cancellation decision, then closing by the State Bank.
    extended = freeze.step(
        order,
        "extend",
        "MPS-C03",
        "inv-2",
        decision_id=freeze.decision("MPS-C03"),
        valid_until="2027-12-31",
        note="Gia hạn",
    )
    assert extended["state"] == "extended" and extended["valid_until"] == "2027-12-31"
    cancellation = freeze.decision("MPS-C03")
    lifted = freeze.step(order, "lift", "MPS-C03", "inv-1", decision_id=cancellation, note="Hủy bỏ phong tỏa")
    assert lifted["state"] == "lifted" and lifted["current_decision"]["id"] == cancellation
    # Each bank is told to release what it froze; until it confirms, the money is still frozen there.
    shown = {
        a["bank"]: (a["state"], a["amount_frozen_vnd"], a["release_pending_vnd"]) for a in lifted["accounts"]
    }
    assert shown == {
        "BANK-970436": ("release_pending", 300_000_000, 300_000_000),
        "BANK-970418": ("release_pending", 150_000_000, 150_000_000),
    }
    assert lifted["executed_total_vnd"] == 450_000_000
    waiting = freeze.step(order, "close", officer="sbv-c", expect=409)
    assert "await the banks' confirmation" in waiting["detail"]
    for bank_bin in ("970436", "970418"):
        account = freeze.account_of(lifted, bank_bin)
        path = f"{ORDERS}/{order['id']}/accounts/{account['id']}/confirm-release"
        freeze.post(path, f"BANK-{bank_bin}", None, release_reference=f"REL-{bank_bin}")
    released = freeze.get(order, "SBV")
    assert {(a["state"], a["amount_frozen_vnd"], a["released_vnd"]) for a in released["accounts"]} == {
        ("released", 0, 300_000_000),
        ("released", 0, 150_000_000),
    }
    assert released["executed_total_vnd"] == 0
    closed = freeze.step(order, "close", officer="sbv-c")
    assert closed["state"] == "closed" and closed["allowed_actions"] == []
    late = freeze.step(order, "lift", "MPS-C03", "inv-1", expect=409, decision_id=cancellation, note="x")
    assert late["current_state"] == "closed" and late["allowed"] == []

    # Every transition: who, when, why and the decision.
    actions = [(t["action"], t["account_id"] is not None) for t in closed["transitions"]]
    assert actions == [
        ("create", False),
        ("receive", False),
        ("check", False),
        ("dispatch", False),
        ("dispatch", True),
        ("dispatch", True),
        ("execute", True),
        ("take_effect", False),
        ("execute", True),
        ("amend", False),
        ("extend", False),
        ("lift", False),
        ("instruct_release", True),
        ("instruct_release", True),
        ("confirm_release", True),
        ("confirm_release", True),
        ("close", False),
    ]
    by_action = {t["action"]: t for t in closed["transitions"] if t["account_id"] is None}
    assert by_action["receive"]["officer"] == "sbv-a" and by_action["check"]["officer"] == "sbv-b"
    assert by_action["create"]["officer"] == "inv-1" and by_action["create"]["decision_id"] == decision
    assert (
        by_action["lift"]["reason"] == "Hủy bỏ phong tỏa" and by_action["lift"]["decision_id"] == cancellation
    )
    assert all(t["at"] and t["agency"] for t in closed["transitions"])
    rows = db.scalar(
        select(func.count())
        .select_from(WorkflowTransition)
        .where(WorkflowTransition.record_id == uuid.UUID(order["id"]))
    )
    assert rows == 9  # the order's own transitions (account steps are recorded on the accounts)


def test_writes_are_audited_without_account_numbers(freeze, db):
    order = freeze.submit()
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "freeze_order:submit")).one()
    assert entry.resource_type == "freeze_order" and entry.resource_id == order["id"]
    assert entry.outcome == "allowed" and b"change_hash" in entry.body
    assert b"0011001234567" not in entry.body
    freeze.step(order, "check", officer="sbv-b", expect=409)
    denied = db.scalars(select(AuditEntry).where(AuditEntry.action == "freeze_order:check")).one()
    assert denied.outcome == "error" and denied.status_code == 409 and denied.resource_id == order["id"]


def test_a_flagged_defect_answered_and_corrected_before_dispatch(freeze):
    order = freeze.submit(accounts=[VCB])
    freeze.step(order, "receive", officer="sbv-a")
    flagged = freeze.step(order, "flags", officer="sbv-b", defect="Thiếu căn cứ pháp lý")
    assert flagged["state"] == "received"  # a flag holds nothing back
    flag = flagged["flags"][0]
    assert (flag["agency"], flag["officer"], flag["answer"]) == ("SBV", "sbv-b", None)
    freeze.post(f"{ORDERS}/{order['id']}/return", "SBV", "sbv-b", expect=404, note="x")  # no such power
    freeze.step(order, "resubmit", "MPS-C03", None, expect=403, note="x")  # needs an officer
    freeze.step(order, "resubmit", "SBV", "sbv-b", expect=403, note="x")  # not the issuer
    corrected = freeze.step(
        order,
        "resubmit",
        "MPS-C03",
        "inv-1",
        note="Bổ sung căn cứ và tài khoản",
        legal_bases=["BLTTHS 2015, Điều 128", "Thông tư 35/2018"],
        accounts=[{"account": VCB}, {"account": BIDV, "holder_name": "Trần Văn B"}],
    )
    assert corrected["state"] == "resubmitted" and len(corrected["legal_bases"]) == 2
    assert [a["bank_bin"] for a in corrected["accounts"]] == ["970436", "970418"]
    # The receiver still cannot check it; another officer can, and dispatches.
    freeze.step(order, "check", officer="sbv-a", expect=403)
    freeze.step(order, "check", officer="sbv-b")
    dispatched = freeze.step(order, "dispatch", officer="sbv-b")
    assert dispatched["state"] == "dispatched" and len(dispatched["accounts"]) == 2
    resubmit = next(t for t in dispatched["transitions"] if t["action"] == "resubmit")
    assert resubmit["detail"]["before"]["legal_bases"] == ["Bộ luật Tố tụng hình sự 2015, Điều 128"]
    assert resubmit["detail"]["accounts_replaced"] is True
    answer = f"flags/{flag['id']}/answer"
    freeze.step(order, answer, "SBV", "sbv-b", expect=403, answer="x")  # not the issuer
    answered = freeze.step(order, answer, "MPS-C03", "inv-1", answer="Đã bổ sung căn cứ")
    assert (answered["flags"][0]["answer"], answered["flags"][0]["answered_by"]) == (
        "Đã bổ sung căn cứ",
        "MPS-C03",
    )
    assert freeze.step(order, answer, "MPS-C03", "inv-1", expect=409, answer="again")["status"] == 409
    assert freeze.get(order, "BANK-970436")["flags"] == []  # between the State Bank and the issuer


def test_no_account_executable_then_closed(freeze):
    order = freeze.dispatched()
    for bank_bin, reason in (("970436", "account_closed"), ("970418", "account_not_found")):
        account = freeze.account_of(order, bank_bin)
        answer = freeze.report(
            order, f"BANK-{bank_bin}", account["id"], outcome="not_executable", reason=reason
        )
    assert answer["state"] == "not_executed"
    sbv = freeze.get(order, "SBV")
    assert {a["not_executable_reason"] for a in sbv["accounts"]} == {"account_closed", "account_not_found"}
    assert sbv["executed_total_vnd"] == 0
    assert freeze.step(order, "close", officer="sbv-c")["state"] == "closed"


def test_whole_balance_and_conversion(freeze):
    order = freeze.dispatched(amount_vnd=None, whole_balance=True, accounts=[VCB])
    executed = freeze.execute(order, "970436", 987_654_321)
    assert executed["whole_balance"] is True and executed["amount_vnd"] is None
    assert executed["executed_total_vnd"] == 987_654_321 and executed["outstanding_vnd"] is None
    too_much = freeze.step(
        order,
        "convert",
        "MPS-C03",
        "inv-1",
        expect=422,
        decision_id=freeze.decision("SPC"),
        kind="confiscation",
        amount_vnd=987_654_322,
        note="x",
    )
    assert "amount_vnd" in too_much["errors"]
    converted = freeze.step(
        order,
        "convert",
        "MPS-C03",
        "inv-1",
        decision_id=freeze.decision("SPC"),
        kind="confiscation",
        note="Tịch thu theo bản án",
    )
    assert converted["state"] == "converted" and converted["conversion_kind"] == "confiscation"
    assert converted["converted_amount_vnd"] == 987_654_321
    assert freeze.step(order, "close", officer="sbv-c")["state"] == "closed"
