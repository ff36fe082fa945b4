"""The block workflow played in the console by officers of three agencies, as the API would play it."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.models import BlockRequest
from tests.console.helpers import choose_case, csrf_of, local, login, submit_block_request
from tests.factories import make_decision, make_violation


def _submit(console, decision, violation) -> str:  # type: ignore[no-untyped-def]
    answer = submit_block_request(console, decision, violation)
    assert answer.status_code == 302, answer.text
    return local(answer.headers["Location"])


def _step(console, page_path: str, step: str, reason: str = ""):  # type: ignore[no-untyped-def]
    page = console.get(page_path)
    assert page.status_code == 200, page.text
    assert f'id="step-{step}"' in page.text, page.text
    return console.post(f"{page_path}/{step}", data={"csrf_token": csrf_of(page.text), "reason": reason})


def test_submit_four_eyes_approve_dispatch_and_acknowledge(app, db) -> None:  # type: ignore[no-untyped-def]
    decision, violation = make_decision(db), make_violation(db, owner="MOIT-DMS")
    submitter, decider, executor = (app.test_client() for _ in range(3))
    from tests.console.helpers import AppAdapter

    state = app.extensions["registry.console"]
    state.adapters[app.extensions["registry"].settings.issuer] = AppAdapter(app)
    try:
        login(submitter, "most.cuong")  # MOST: submits, and decides too (so four-eyes must stop him)
        choose_case(submitter, "45/QĐ-XPVPHC")
        request_page = _submit(submitter, decision, violation)
        request_id = request_page.rsplit("/", 1)[1]

        # The submitting officer may not review his own request: the service's four-eyes check refuses.
        refused = _step(submitter, request_page, "start_review")
        assert refused.status_code == 403, refused.text

        login(decider, "most.binh")
        choose_case(decider, "45/QĐ-XPVPHC")
        assert _step(decider, request_page, "start_review").status_code == 302
        assert _step(decider, request_page, "approve").status_code == 302
        assert _step(decider, request_page, "dispatch").status_code == 302
        shown = decider.get(request_page).text
        assert re.search(r'id="approved-by">most\.binh<', shown)

        login(executor, "vnpt.dung")
        choose_case(executor, "45/QĐ-XPVPHC")
        queue = executor.get("/console/orders")
        assert request_id in queue.text
        order = executor.get(f"/console/orders/{request_id}")
        target_id = re.search(r'name="target_id" value="([^"]+)"', order.text).group(1)
        acked = executor.post(
            f"/console/orders/{request_id}/acknowledgements",
            data={
                "csrf_token": csrf_of(order.text),
                "target_id": target_id,
                f"outcome-{target_id}": "executed",
            },
        )
        assert acked.status_code == 302, acked.text
    finally:
        state.adapters.clear()

    record = db.get(BlockRequest, uuid.UUID(request_id))
    db.refresh(record)
    assert record.state == "in_effect"
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.resource_id == request_id).order_by(AuditEntry.id)
    ).all()
    acts = [
        (e.action, e.outcome, e.agency, e.officer, e.client_id)
        for e in entries
        if e.action != "block_request:read"
    ]
    assert ("block_request:create", "allowed", "MOST", "most.cuong", "console:dev") in acts
    assert ("block_request:start_review", "denied", "MOST", "most.cuong", "console:dev") in acts
    assert ("block_request:approve", "allowed", "MOST", "most.binh", "console:dev") in acts
    assert ("block_request:acknowledge", "allowed", "ISP-VNPT", "vnpt.dung", "console:dev") in acts
    assert all(e.purpose == "45/QĐ-XPVPHC" for e in entries if e.action != "block_request:read")


def test_the_same_submission_form_sent_twice_makes_one_request(console, db) -> None:  # type: ignore[no-untyped-def]
    decision, violation = make_decision(db), make_violation(db, owner="MOIT-DMS")
    login(console, "dms.an")
    choose_case(console)
    form = console.get("/console/block-requests/new").text
    data = {
        "csrf_token": csrf_of(form),
        "form_id": re.search(r'name="form_id" value="([^"]+)"', form).group(1),
        "action": "block_at_isp",
        "decision_id": str(decision.id),
        "violation_ids": [str(violation.id)],
        "targets": "domain hai-lan.vn",
        "executors": "ISP-VNPT",
        "valid_days": "30",
        "reason": "Bán hàng giả",
    }
    invalid = console.post("/console/block-requests", data={**data, "targets": "planet hai-lan.vn"})
    assert invalid.status_code == 422  # refused and rolled back: the form's id stays usable
    assert console.post("/console/block-requests", data=data).status_code == 302
    again = console.post("/console/block-requests", data=data)
    assert again.status_code == 409
    assert len(db.scalars(select(BlockRequest)).all()) == 1
