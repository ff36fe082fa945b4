"""Freeze orders in the console: the issuer's submission and follow-ups, the State Bank's steps under
four-eyes and its flags, the bank's execution and release confirmations, and the banks' transaction
delays; each as the API would play it (same states, same refusals, same audit entries)."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.models.freezing import FreezeOrder, TransactionDelay
from tests.console.helpers import AppAdapter, choose_case, csrf_of, local, login
from tests.freezing.helpers import Freeze, report_delay

CASE = "Công văn 88/NHNN-TTGSNH"
NUMBER = "0011001234567"  # the Vietcombank account of tests.freezing.helpers.VCB
FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')


def _step(console, order_id: str, step: str):  # type: ignore[no-untyped-def]
    page = console.get(f"/console/freeze-orders/{order_id}")
    assert page.status_code == 200, page.text
    assert f'id="freeze-step-{step}"' in page.text, step
    return console.post(f"/console/freeze-orders/{order_id}/{step}", data={"csrf_token": csrf_of(page.text)})


def _post(console, page_path: str, path: str, **data: Any):  # type: ignore[no-untyped-def]
    """Send a form of `page_path` to `path` (the page gives the session's CSRF token)."""
    page = console.get(page_path)
    assert page.status_code == 200, page.text
    return console.post(path, data={"csrf_token": csrf_of(page.text), **data})


def _order(db, order_id: str) -> FreezeOrder:  # type: ignore[no-untyped-def]
    order = db.get(FreezeOrder, uuid.UUID(order_id))
    db.refresh(order)
    for account in order.accounts:
        db.refresh(account)
    return order


def _acts(db, resource_id: str) -> set[tuple[str, str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    entries = db.scalars(select(AuditEntry).where(AuditEntry.resource_id == resource_id)).all()
    return {(e.action, e.outcome, e.agency, e.officer) for e in entries}


def _vietnam(delta: timedelta) -> str:
    """A time as an officer types it in a datetime-local field (Vietnam time, to the minute)."""
    return (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + delta).strftime("%Y-%m-%dT%H:%M")


def test_state_bank_receives_checks_dispatches_and_the_bank_executes(app, db, actors) -> None:  # type: ignore[no-untyped-def]
    order = Freeze(app.test_client(), actors, db).submit()  # by the police, through the API
    order_id = order["id"]
    first, second, bank = (app.test_client() for _ in range(3))
    state = app.extensions["registry.console"]
    state.adapters[app.extensions["registry"].settings.issuer] = AppAdapter(app)
    try:
        login(first, "sbv.khanh")
        choose_case(first, CASE)
        queue = first.get("/console/freeze-orders?state=submitted")
        assert order_id in queue.text
        assert _step(first, order_id, "receive").status_code == 302
        refused = _step(first, order_id, "check")
        assert refused.status_code == 403  # four-eyes: not who received it
        assert _order(db, order_id).state == "received"

        login(second, "sbv.long")
        choose_case(second, CASE)
        assert _step(second, order_id, "check").status_code == 302
        assert _step(second, order_id, "dispatch").status_code == 302
        assert _order(db, order_id).state == "dispatched"

        login(bank, "vcb.nga")
        choose_case(bank, CASE)
        page = bank.get(f"/console/freeze-orders/{order_id}")
        assert page.status_code == 200
        assert "BIDV" not in page.text  # a bank sees its own accounts only
        account = re.search(r"/accounts/([0-9a-f-]{36})/report", page.text).group(1)
        done = bank.post(
            f"/console/freeze-orders/{order_id}/accounts/{account}/report",
            data={
                "csrf_token": csrf_of(page.text),
                "outcome": "executed",
                "amount_frozen_vnd": "300.000.000",
                "bank_reference": "VCB-2026-001",
            },
        )
        assert done.status_code == 302, done.text
        shown = bank.get(f"/console/freeze-orders/{order_id}").text
        assert "300.000.000" in shown  # VND with the Vietnamese thousands separator
        assert NUMBER not in shown  # masked, as the API's `display`
    finally:
        state.adapters.clear()

    record = _order(db, order_id)
    assert record.state == "in_effect"
    assert record.frozen_total_vnd == 300_000_000
    acts = _acts(db, order_id)
    assert ("freeze_order:receive", "allowed", "SBV", "sbv.khanh") in acts
    assert ("freeze_order:check", "denied", "SBV", "sbv.khanh") in acts
    assert ("freeze_order:check", "allowed", "SBV", "sbv.long") in acts
    assert ("freeze_order:report_execution", "allowed", "BANK-970436", "vcb.nga") in acts


def _submission(form: str, decision_id: str, **fields: str) -> dict[str, Any]:
    return {
        "csrf_token": csrf_of(form),
        "form_id": FORM_ID.search(form).group(1),
        "decision_id": decision_id,
        "bank-0": "VCB",
        "number-0": NUMBER,
        "holder-0": "Công ty TNHH Đại Phát",
        "amount_vnd": "500.000.000",
        "legal_bases": "Bộ luật Tố tụng hình sự 2015, Điều 128",
        "valid_from": datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat(),
        "reason": "Thu giữ tiền do buôn bán hàng giả",
        "procuracy": "SPP",
        "procuracy_reference": "15/TB-CSKT",
        "procuracy_notified_at": _vietnam(timedelta(hours=-2)),
        **fields,
    }


def test_the_issuer_submits_through_the_form_once(app, db, actors, officer, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    freeze = Freeze(app.test_client(), actors, db)
    decision_id = freeze.decision("MPS-C03")
    issuer = officer("c03.phong", CASE)
    form = issuer.get("/console/freeze-orders/new")
    assert form.status_code == 200, form.text
    assert decision_id in form.text  # the decisions the agency sees, to choose from
    data = _submission(form.text, decision_id)

    # Refused and rolled back (the amount is not a number): nothing is recorded, the form stays usable.
    invalid = issuer.post("/console/freeze-orders", data={**data, "amount_vnd": "năm trăm triệu"})
    assert invalid.status_code == 422
    assert "amount_vnd" in invalid.text
    # An account number that does not parse: the page says why, never repeating the number.
    bad = issuer.post("/console/freeze-orders", data={**data, "number-0": "00110012345678901234567"})
    assert bad.status_code == 422
    assert "accounts.0.account" in bad.text and "00110012345678901234567" not in bad.text
    # Not an investigation body's order without its notification to the procuracy (the service's rule).
    unnotified = issuer.post(
        "/console/freeze-orders", data={**data, "procuracy": "", "procuracy_reference": ""}
    )
    assert unnotified.status_code == 422 and "procuracy_notified_at" in unnotified.text
    assert db.scalars(select(FreezeOrder)).all() == []

    sent = issuer.post("/console/freeze-orders", data=data)
    assert sent.status_code == 302, sent.text
    order_id = local(sent.headers["Location"]).rsplit("/", 1)[1]
    again = issuer.post("/console/freeze-orders", data=data)
    assert again.status_code == 409  # the same form twice: one order
    assert len(db.scalars(select(FreezeOrder)).all()) == 1

    record = _order(db, order_id)
    assert (record.state, record.amount_vnd, record.whole_balance) == ("submitted", 500_000_000, False)
    assert [a.bank_bin for a in record.accounts] == ["970436"]
    assert record.procuracy_reference == "15/TB-CSKT"
    shown = issuer.get(f"/console/freeze-orders/{order_id}").text
    assert "500.000.000" in shown and NUMBER not in shown  # masked for the issuer too
    assert ("freeze_order:submit", "allowed", "MPS-C03", "c03.phong") in _acts(db, order_id)
    for entry in db.scalars(select(AuditEntry)).all():
        assert NUMBER.encode() not in entry.body
    assert NUMBER not in caplog.text and "00110012345678901234567" not in caplog.text  # nor in the logs


def test_the_issuer_withdraws_and_resubmits_before_dispatch(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    freeze = Freeze(app.test_client(), actors, db)
    corrected, withdrawn = freeze.submit()["id"], freeze.submit()["id"]
    issuer = officer("c03.phong", CASE)
    page = issuer.get(f"/console/freeze-orders/{corrected}").text
    assert 'id="freeze-resubmit"' in page and 'id="freeze-lift"' in page
    assert 'id="freeze-step-receive"' not in page  # the State Bank's steps are not the issuer's

    no_note = _post(
        issuer, f"/console/freeze-orders/{corrected}", f"/console/freeze-orders/{corrected}/resubmit"
    )
    assert no_note.status_code == 422 and "note" in no_note.text  # the API's schema: a note is required
    done = _post(
        issuer,
        f"/console/freeze-orders/{corrected}",
        f"/console/freeze-orders/{corrected}/resubmit",
        note="Sửa số tiền theo cờ của NHNN",
        amount_vnd="450.000.000",
    )
    assert done.status_code == 302, done.text
    assert (_order(db, corrected).state, _order(db, corrected).amount_vnd) == ("resubmitted", 450_000_000)

    gone = _post(
        issuer,
        f"/console/freeze-orders/{withdrawn}",
        f"/console/freeze-orders/{withdrawn}/withdraw",
        note="Đã thu hồi quyết định",
    )
    assert gone.status_code == 302, gone.text
    assert _order(db, withdrawn).state == "withdrawn"
    twice = _post(
        issuer,
        f"/console/freeze-orders/{withdrawn}",
        f"/console/freeze-orders/{withdrawn}/withdraw",
        note="Lần nữa",
    )
    assert twice.status_code == 409  # not possible in its state: the page says so, nothing changes
    assert _order(db, withdrawn).state == "withdrawn"

    acts = _acts(db, corrected) | _acts(db, withdrawn)
    assert ("freeze_order:resubmit", "allowed", "MPS-C03", "c03.phong") in acts
    assert ("freeze_order:withdraw", "allowed", "MPS-C03", "c03.phong") in acts
    assert ("freeze_order:withdraw", "error", "MPS-C03", "c03.phong") in acts  # the 409, recorded


def test_lift_release_confirmed_by_the_bank_then_closed(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    freeze = Freeze(app.test_client(), actors, db)
    lifted = freeze.in_effect()["id"]  # VCB froze 300.000.000 (through the API)
    untouched = freeze.in_effect()["id"]
    cancellation = freeze.decision("MPS-C03")

    issuer = officer("c03.phong", CASE)
    path = f"/console/freeze-orders/{lifted}"
    page = issuer.get(path).text
    assert 'id="freeze-lift"' in page and 'id="freeze-extend"' in page and 'id="freeze-convert"' in page
    assert 'id="freeze-withdraw"' not in page  # dispatched: too late to withdraw
    done = _post(issuer, path, f"{path}/lift", decision_id=cancellation, note="Đình chỉ điều tra")
    assert done.status_code == 302, done.text
    record = _order(db, lifted)
    assert record.state == "lifted"
    account = next(a for a in record.accounts if a.bank_bin == "970436")
    assert (account.state, account.release_pending_vnd) == ("release_pending", 300_000_000)

    sbv = officer("sbv.khanh", CASE)
    refused = _step(sbv, lifted, "close")
    assert refused.status_code == 409  # a release instruction awaits the bank's confirmation
    assert _order(db, lifted).state == "lifted"

    bank = officer("vcb.nga", CASE)
    pending = bank.get("/console/freeze-orders?account_state=release_pending")
    assert pending.status_code == 200
    assert lifted in pending.text and untouched not in pending.text
    assert untouched in bank.get("/console/freeze-orders").text
    page = bank.get(path).text
    assert f'id="confirm-release-{account.id}"' in page
    no_reference = bank.post(
        f"{path}/accounts/{account.id}/confirm-release", data={"csrf_token": csrf_of(page)}
    )
    assert no_reference.status_code == 422 and "release_reference" in no_reference.text
    confirmed = bank.post(
        f"{path}/accounts/{account.id}/confirm-release",
        data={"csrf_token": csrf_of(page), "release_reference": "VCB-REL-9"},
    )
    assert confirmed.status_code == 302, confirmed.text
    record = _order(db, lifted)
    account = next(a for a in record.accounts if a.bank_bin == "970436")
    assert (account.state, account.released_vnd, record.frozen_total_vnd) == ("released", 300_000_000, 0)
    again = bank.post(
        f"{path}/accounts/{account.id}/confirm-release",
        data={"csrf_token": csrf_of(page), "release_reference": "VCB-REL-9"},
    )
    assert again.status_code == 409

    assert _step(sbv, lifted, "close").status_code == 302
    assert _order(db, lifted).state == "closed"
    acts = _acts(db, lifted)
    assert ("freeze_order:lift", "allowed", "MPS-C03", "c03.phong") in acts
    assert ("freeze_order:close", "error", "SBV", "sbv.khanh") in acts  # the 409, recorded
    assert ("freeze_order:confirm_release", "allowed", "BANK-970436", "vcb.nga") in acts
    assert ("freeze_order:close", "allowed", "SBV", "sbv.khanh") in acts


def test_extend_and_convert_on_new_decisions(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    freeze = Freeze(app.test_client(), actors, db)
    order = freeze.in_effect()
    order_id, path = order["id"], f"/console/freeze-orders/{order['id']}"
    issuer = officer("c03.phong", CASE)
    later = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=400)).isoformat()
    earlier = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=1)).isoformat()
    extension = freeze.decision("MPS-C03")
    shorter = _post(
        issuer, path, f"{path}/extend", decision_id=extension, valid_until=earlier, note="Gia hạn"
    )
    assert shorter.status_code == 422 and "valid_until" in shorter.text  # the service's rule
    done = _post(issuer, path, f"{path}/extend", decision_id=extension, valid_until=later, note="Gia hạn")
    assert done.status_code == 302, done.text
    record = _order(db, order_id)
    assert (record.state, record.valid_until.isoformat()) == ("extended", later)

    too_much = _post(
        issuer,
        path,
        f"{path}/convert",
        decision_id=freeze.decision("MPS-C03"),
        kind="confiscation",
        amount_vnd="900.000.000",
        note="Tịch thu",
    )
    assert too_much.status_code == 422 and "amount_vnd" in too_much.text
    converted = _post(
        issuer,
        path,
        f"{path}/convert",
        decision_id=freeze.decision("MPS-C03"),
        kind="confiscation",
        amount_vnd="200.000.000",
        note="Tịch thu",
    )
    assert converted.status_code == 302, converted.text
    record = _order(db, order_id)
    assert (record.state, record.conversion_kind, record.converted_amount_vnd) == (
        "converted",
        "confiscation",
        200_000_000,
    )
    acts = _acts(db, order_id)
    assert ("freeze_order:extend", "allowed", "MPS-C03", "c03.phong") in acts
    assert ("freeze_order:convert", "allowed", "MPS-C03", "c03.phong") in acts


def test_amend_lowers_the_amount_and_adds_an_account(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    freeze = Freeze(app.test_client(), actors, db)
    order_id = freeze.in_effect()["id"]  # 500.000.000 ordered; VCB froze 300.000.000, BIDV has yet to
    path = f"/console/freeze-orders/{order_id}"
    issuer = officer("c03.phong", CASE)
    done = _post(
        issuer,
        path,
        f"{path}/amend",
        decision_id=freeze.decision("MPS-C03"),
        amount_vnd="200.000.000",
        **{"bank-added": "TCB", "number-added": "19033333333333", "holder-added": "Trần Văn B"},
        note="Quyết định sửa đổi",
    )
    assert done.status_code == 302, done.text
    record = _order(db, order_id)
    where = {a.bank_bin: (a.state, a.release_pending_vnd) for a in record.accounts}
    assert record.state == "amended" and record.amount_vnd == 200_000_000
    assert where["970436"] == ("release_pending", 100_000_000)  # VCB releases what exceeds the amount
    assert where["970407"] == ("dispatched", None)  # the added account goes to its bank at once
    assert "19033333333333" not in issuer.get(path).text
    assert ("freeze_order:amend", "allowed", "MPS-C03", "c03.phong") in _acts(db, order_id)


def test_an_order_follows_a_banks_delay(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    freeze = Freeze(app.test_client(), actors, db)
    delay_id = report_delay(freeze)["id"]  # VCB delayed a transfer on the account, reported to MPS-C03
    decision_id = freeze.decision("MPS-C03")
    issuer = officer("c03.phong", CASE)
    form = issuer.get("/console/freeze-orders/new").text
    assert f'id="delay-{delay_id}"' in form
    sent = issuer.post(
        "/console/freeze-orders", data={**_submission(form, decision_id), "transaction_delay_ids": delay_id}
    )
    assert sent.status_code == 302, sent.text
    order_id = local(sent.headers["Location"]).rsplit("/", 1)[1]
    delay = db.get(TransactionDelay, uuid.UUID(delay_id))
    db.refresh(delay)
    assert str(delay.followed_by_order_id) == order_id


def test_flag_and_answer(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    order_id = Freeze(app.test_client(), actors, db).submit()["id"]
    path = f"/console/freeze-orders/{order_id}"
    sbv = officer("sbv.khanh", CASE)
    raised = _post(sbv, path, f"{path}/flags", defect="Thiếu số hiệu văn bản thông báo")
    assert raised.status_code == 302, raised.text
    issuer = officer("c03.phong", CASE)
    page = issuer.get(path).text
    assert "Thiếu số hiệu văn bản thông báo" in page
    flag_id = re.search(r"/flags/([0-9a-f-]{36})/answer", page).group(1)
    answered = issuer.post(
        f"{path}/flags/{flag_id}/answer", data={"csrf_token": csrf_of(page), "answer": "Đã bổ sung"}
    )
    assert answered.status_code == 302, answered.text
    twice = issuer.post(
        f"{path}/flags/{flag_id}/answer", data={"csrf_token": csrf_of(page), "answer": "Lần nữa"}
    )
    assert twice.status_code == 409
    assert "Đã bổ sung" in sbv.get(path).text
    not_issuer = sbv.post(f"{path}/flags/{flag_id}/answer", data={"csrf_token": csrf_of(page), "answer": "x"})
    assert not_issuer.status_code == 403  # answering is the issuer's (freeze:submit)
    acts = _acts(db, order_id)
    assert ("freeze_order:flag", "allowed", "SBV", "sbv.khanh") in acts
    assert ("freeze_order:answer_flag", "allowed", "MPS-C03", "c03.phong") in acts


def test_another_banks_officer_gets_404(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    freeze = Freeze(app.test_client(), actors, db)
    order = freeze.dispatched(accounts=["BIDV:12010001234567"])  # BIDV's account only
    bidv = freeze.account_of(order, "970418")
    path = f"/console/freeze-orders/{order['id']}"
    bank = officer("vcb.nga", CASE)
    assert bank.get(path).status_code == 404
    assert order["id"] not in bank.get("/console/freeze-orders").text
    token = csrf_of(bank.get("/console/").text)
    report = bank.post(
        f"{path}/accounts/{bidv['id']}/report",
        data={"csrf_token": token, "outcome": "executed", "amount_frozen_vnd": "1", "bank_reference": "X"},
    )
    assert report.status_code == 404
    release = bank.post(
        f"{path}/accounts/{bidv['id']}/confirm-release", data={"csrf_token": token, "release_reference": "X"}
    )
    assert release.status_code == 404
    assert _order(db, order["id"]).accounts[0].state == "dispatched"
    # Another agency's issuer: a processor's order is not the police's own, and an unknown one is 404.
    issuer = officer("c03.phong", CASE)
    assert issuer.get(f"/console/freeze-orders/{uuid.uuid4()}").status_code == 404


def test_a_bank_reports_a_delay_records_its_report_and_releases_it(app, db, officer) -> None:  # type: ignore[no-untyped-def]
    bank = officer("vcb.nga", CASE)
    form = bank.get("/console/transaction-delays/new")
    assert form.status_code == 200, form.text
    assert 'value="970436"' in form.text  # the bank's own BIN, filled in
    data = {
        "csrf_token": csrf_of(form.text),
        "form_id": FORM_ID.search(form.text).group(1),
        "bank": "970436",
        "number": NUMBER,
        "holder_name": "Công ty TNHH Đại Phát",
        "amount_vnd": "120.000.000",
        "delayed_at": _vietnam(timedelta(hours=-1)),
        "reason": "Giao dịch đáng ngờ",
        "reported_to": "MPS-C03",
    }
    foreign = bank.post(
        "/console/transaction-delays", data={**data, "bank": "BIDV", "number": "12010001234567"}
    )
    assert foreign.status_code == 422  # a bank reports delays on its own accounts only
    assert "12010001234567" not in foreign.text
    sent = bank.post("/console/transaction-delays", data=data)
    assert sent.status_code == 302, sent.text
    assert bank.post("/console/transaction-delays", data=data).status_code == 409
    delay_path = local(sent.headers["Location"])
    delay_id = delay_path.rsplit("/", 1)[1]
    delay = db.get(TransactionDelay, uuid.UUID(delay_id))
    assert (delay.amount_vnd, delay.state, delay.bank_bin) == (120_000_000, "in_effect", "970436")

    page = bank.get(delay_path).text
    assert "120.000.000" in page and NUMBER not in page
    recorded = bank.post(
        f"{delay_path}/sbv-report",
        data={
            "csrf_token": csrf_of(page),
            "sbv_reported_at": _vietnam(timedelta(minutes=-30)),
            "sbv_reference": "NHNN-BC-12",
        },
    )
    assert recorded.status_code == 302, recorded.text
    twice = bank.post(
        f"{delay_path}/sbv-report",
        data={
            "csrf_token": csrf_of(page),
            "sbv_reported_at": _vietnam(timedelta(minutes=-5)),
            "sbv_reference": "Y",
        },
    )
    assert twice.status_code == 409  # recorded once
    police = officer("c03.phong", CASE)  # the authority it was reported to reads it, cannot release it
    assert delay_id in police.get("/console/transaction-delays").text
    assert police.get(delay_path).status_code == 200
    assert police.post(f"{delay_path}/release", data={"csrf_token": csrf_of(page)}).status_code == 403
    released = bank.post(f"{delay_path}/release", data={"csrf_token": csrf_of(page), "note": "Đã xác minh"})
    assert released.status_code == 302, released.text
    db.refresh(delay)
    assert (delay.state, delay.sbv_reference) == ("released", "NHNN-BC-12")
    sbv = officer("sbv.khanh", CASE)
    assert delay_id in sbv.get("/console/transaction-delays?state=released").text
    acts = _acts(db, delay_id)
    assert ("transaction_delay:report", "allowed", "BANK-970436", "vcb.nga") in acts
    assert ("transaction_delay:sbv_report", "allowed", "BANK-970436", "vcb.nga") in acts
    assert ("transaction_delay:release", "allowed", "BANK-970436", "vcb.nga") in acts
    for entry in db.scalars(select(AuditEntry)).all():
        assert NUMBER.encode() not in entry.body


def test_every_freeze_page_control_has_a_label(app, db, actors, officer) -> None:  # type: ignore[no-untyped-def]
    from tests.console.test_accessibility import unlabelled

    freeze = Freeze(app.test_client(), actors, db)
    freeze.decision("MPS-C03")
    submitted = freeze.submit()["id"]
    in_effect = freeze.in_effect()["id"]
    delay = report_delay(freeze)["id"]
    pages = {
        "c03.phong": [
            "/console/freeze-orders/new",
            f"/console/freeze-orders/{submitted}",
            f"/console/freeze-orders/{in_effect}",
            "/console/transaction-delays",
        ],
        "sbv.khanh": ["/console/freeze-orders", f"/console/freeze-orders/{submitted}"],
        "vcb.nga": [
            "/console/freeze-orders?account_state=release_pending",
            f"/console/freeze-orders/{in_effect}",
            "/console/transaction-delays/new",
            f"/console/transaction-delays/{delay}",
        ],
    }
    for sub, paths in pages.items():
        client = officer(sub, CASE)
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, (sub, path)
            assert unlabelled(page.text) == [], (sub, path)
            assert len(re.findall(r' id="([^"]+)"', page.text)) == len(
                set(re.findall(r' id="([^"]+)"', page.text))
            ), (sub, path)  # each id once: every label names one control
