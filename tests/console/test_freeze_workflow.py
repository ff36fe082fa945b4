"""Freeze orders in the console: the State Bank's steps under four-eyes, then the bank's execution."""

from __future__ import annotations

import re

from sqlalchemy import select

from registry.audit.models import AuditEntry
from tests.console.helpers import AppAdapter, choose_case, csrf_of, login
from tests.freezing.helpers import Freeze


def _step(console, order_id: str, step: str):  # type: ignore[no-untyped-def]
    page = console.get(f"/console/freeze-orders/{order_id}")
    assert page.status_code == 200, page.text
    assert f'id="freeze-step-{step}"' in page.text, step
    return console.post(f"/console/freeze-orders/{order_id}/{step}", data={"csrf_token": csrf_of(page.text)})


def test_state_bank_receives_checks_dispatches_and_the_bank_executes(app, db, actors) -> None:  # type: ignore[no-untyped-def]
    order = Freeze(app.test_client(), actors, db).submit()  # by the police, through the API
    order_id = order["id"]
    first, second, bank = (app.test_client() for _ in range(3))
    state = app.extensions["registry.console"]
    state.adapters[app.extensions["registry"].settings.issuer] = AppAdapter(app)
    try:
        login(first, "sbv.khanh")
        choose_case(first, "Công văn 88/NHNN-TTGSNH")
        queue = first.get("/console/freeze-orders?state=submitted")
        assert order_id in queue.text
        assert _step(first, order_id, "receive").status_code == 302
        assert _step(first, order_id, "check").status_code == 403  # four-eyes: not who received it

        login(second, "sbv.long")
        choose_case(second, "Công văn 88/NHNN-TTGSNH")
        assert _step(second, order_id, "check").status_code == 302
        assert _step(second, order_id, "dispatch").status_code == 302

        login(bank, "vcb.nga")
        choose_case(bank, "Công văn 88/NHNN-TTGSNH")
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
    finally:
        state.adapters.clear()

    entries = db.scalars(select(AuditEntry).where(AuditEntry.resource_id == order_id)).all()
    acts = {(e.action, e.outcome, e.agency, e.officer) for e in entries}
    assert ("freeze_order:receive", "allowed", "SBV", "sbv.khanh") in acts
    assert ("freeze_order:check", "denied", "SBV", "sbv.khanh") in acts
    assert ("freeze_order:check", "allowed", "SBV", "sbv.long") in acts
    assert ("freeze_order:report_execution", "allowed", "BANK-970436", "vcb.nga") in acts
