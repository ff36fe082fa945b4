"""The rest of the block workflow in the console, played by officers of several agencies: the over-blocking
guard's override, an executor's technically_infeasible answer and the decider's redispatch, lift and
revoke on a written decision, the executors' confirmation of removal, and appeals."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.models import BlockRequest
from tests.console.helpers import csrf_of, local, submit_block_request
from tests.console.test_accessibility import unlabelled
from tests.factories import agency_id, make_decision, make_violation

CASE = "45/QĐ-XPVPHC"
URL_PATH = "url https://hanggia-mypham.vn/san-pham/kem-tri-nam"


def _submit(client, decision, violation, targets: str = "domain hang-gia-my-pham.vn") -> str:  # type: ignore[no-untyped-def]
    answer = submit_block_request(client, decision, violation, targets)
    assert answer.status_code == 302, answer.text
    return local(answer.headers["Location"])


def _post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/console/").text)
    return client.post(path, data={**data, "csrf_token": token})


def _step(client, page: str, step: str, **data: str):  # type: ignore[no-untyped-def]
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    assert f'id="step-{step}"' in shown.text, step
    return client.post(f"{page}/{step}", data={"csrf_token": csrf_of(shown.text), **data})


def _dispatched(officer, db, targets: str = "domain hang-gia-my-pham.vn"):  # type: ignore[no-untyped-def]
    """dms.an submits; most.binh reviews, most.cuong approves, most.binh dispatches (to ISP-VNPT)."""
    decision, violation = make_decision(db), make_violation(db, owner="MOIT-DMS")
    page = _submit(officer("dms.an", CASE), decision, violation, targets)
    binh, cuong = officer("most.binh", CASE), officer("most.cuong", CASE)
    assert _step(binh, page, "start_review").status_code == 302
    assert _step(cuong, page, "approve").status_code == 302
    assert _step(binh, page, "dispatch").status_code == 302
    return page, binh, cuong


def _reply(executor, request_id: str, outcome: str, **extra: str):  # type: ignore[no-untyped-def]
    order = executor.get(f"/console/orders/{request_id}")
    assert order.status_code == 200, order.text
    target_id = re.search(r'name="target_id" value="([^"]+)"', order.text).group(1)
    data = {"csrf_token": csrf_of(order.text), "target_id": target_id, f"outcome-{target_id}": outcome}
    data.update({f"{key}-{target_id}": value for key, value in extra.items()})
    return executor.post(f"/console/orders/{request_id}/acknowledgements", data=data)


def _record(db, page: str) -> BlockRequest:  # type: ignore[no-untyped-def]
    record = db.get(BlockRequest, uuid.UUID(page.rsplit("/", 1)[1]))
    db.refresh(record)
    return record


def _acts(db, page: str, action: str) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    entries = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.resource_id == page.rsplit("/", 1)[1], AuditEntry.action == action)
        .order_by(AuditEntry.id)
    )
    return [(e.outcome, e.agency, e.officer) for e in entries]


def test_the_guard_finding_is_shown_and_a_reviewer_overrides_it(officer, db, client, actors) -> None:  # type: ignore[no-untyped-def]
    """A shared-infrastructure address needs a reviewer's justified override before approval; the
    officer who submitted the request cannot give it (four-eyes)."""
    decision, violation = make_decision(db), make_violation(db)
    sent = client.post(
        "/api/v1/block-requests",
        json={
            "action": "block_at_isp",
            "targets": [
                {
                    "kind": "ip",
                    "value": "104.16.1.1",
                    "override_requested": True,
                    "override_justification": "Máy chủ riêng của đối tượng, đã xác minh không dùng chung",
                },
                {"kind": "domain", "value": "hanggia.vn"},
            ],
            "executors": ["ISP-VNPT"],
            "violation_ids": [str(violation.id)],
            "decision_id": str(decision.id),
            "valid_until": (datetime.now(UTC) + timedelta(days=90)).isoformat(),
            "reason": "Website bán mỹ phẩm giả",
        },
        headers={**actors.headers("MOST", officer="most.cuong"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert sent.status_code == 201, sent.json
    page = f"/console/block-requests/{sent.json['id']}"
    protected, plain = (t["id"] for t in sent.json["targets"])

    binh, cuong = officer("most.binh", CASE), officer("most.cuong", CASE)
    assert _step(binh, page, "start_review").status_code == 302
    shown = binh.get(page).text
    assert "Cloudflare" in shown
    assert f'id="override-target-{protected}"' in shown and f'id="override-target-{plain}"' not in shown
    assert unlabelled(shown) == []
    assert _step(binh, page, "approve").status_code == 422  # the guard stands until overridden

    override = f"{page}/targets/{protected}/override"
    justification = "Đã kiểm tra: địa chỉ chỉ phục vụ trang vi phạm (biên bản 12/BB)"
    four_eyes = _post(cuong, override, justification=justification)
    assert four_eyes.status_code == 403, four_eyes.text
    assert _post(binh, override, justification="ngắn").status_code == 422
    assert _post(binh, f"{page}/targets/{plain}/override", justification=justification).status_code == 422
    assert _post(binh, override, justification=justification).status_code == 302
    target = next(t for t in _record(db, page).targets if str(t.id) == protected)
    assert (target.override_by, target.override_reason) == ("most.binh", justification)
    assert f'id="override-{protected}"' in binh.get(page).text
    assert _step(binh, page, "approve").status_code == 302
    assert _record(db, page).state == "approved"
    # The too short justification is refused before the request is read (as the API's): no resource.
    assert _acts(db, page, "block_request:override") == [
        ("denied", "MOST", "most.cuong"),
        ("error", "MOST", "most.binh"),
        ("allowed", "MOST", "most.binh"),
    ]


def test_an_infeasible_answer_reaches_the_deciders_list_and_is_redispatched(officer, db) -> None:  # type: ignore[no-untyped-def]
    page, binh, _ = _dispatched(officer, db, URL_PATH)
    request_id = page.rsplit("/", 1)[1]
    isp = officer("vnpt.dung", CASE)
    bare = _reply(isp, request_id, "not_executable", reason="technically_infeasible")
    assert bare.status_code == 422 and "note" in bare.text
    why = "HTTPS: chỉ chặn được theo tên miền, không chặn được đường dẫn"
    assert (
        _reply(isp, request_id, "not_executable", reason="technically_infeasible", note=why).status_code
        == 302
    )

    attention = binh.get("/console/block-requests?attention=technically_infeasible")
    assert attention.status_code == 200 and request_id in attention.text
    shown = binh.get(page).text
    assert 'id="infeasible"' in shown and why in shown and 'id="redispatch"' in shown
    assert unlabelled(shown) == [] and unlabelled(attention.text) == []

    again = _post(binh, f"{page}/executors", executors="ISP-VNPT", reason="Gửi lại")
    assert again.status_code == 422 and "already addressed" in again.text
    assert _post(binh, f"{page}/executors", executors="", reason="Gửi lại").status_code == 422
    assert (
        _post(officer("dms.an", CASE), f"{page}/executors", executors="ISP-FPT", reason="x").status_code
        == 403
    )
    done = _post(binh, f"{page}/executors", executors="ISP-FPT", reason="Chuyển FPT (lọc được URL)")
    assert done.status_code == 302, done.text
    record = _record(db, page)
    assert record.state == "dispatched"
    dispatched = {e.agency_id for e in record.executors if e.dispatched_at}
    assert dispatched == {agency_id(db, "ISP-VNPT"), agency_id(db, "ISP-FPT")}
    assert request_id not in binh.get("/console/block-requests?attention=technically_infeasible").text
    assert ("allowed", "MOST", "most.binh") in _acts(db, page, "block_request:redispatch")
    assert ("allowed", "ISP-VNPT", "vnpt.dung") in _acts(db, page, "block_request:acknowledge")


def test_a_lift_rests_on_a_decision_and_each_executor_confirms_the_removal(officer, db) -> None:  # type: ignore[no-untyped-def]
    page, binh, _ = _dispatched(officer, db)
    request_id = page.rsplit("/", 1)[1]
    isp = officer("vnpt.dung", CASE)
    assert _reply(isp, request_id, "executed").status_code == 302
    assert 'id="confirm-removal"' not in isp.get(f"/console/orders/{request_id}").text
    lifting = make_decision(db, number="88/QĐ-CVT")

    shown = binh.get(page).text
    assert 'id="step-lift"' in shown and "88/QĐ-CVT" in shown  # the decisions to choose from
    assert unlabelled(shown) == []
    no_decision = _step(binh, page, "lift", reason="Đối tượng đã khắc phục")
    assert no_decision.status_code == 422 and "decision_id" in no_decision.text
    assert _record(db, page).state == "in_effect"
    lifted = _step(binh, page, "lift", reason="Đối tượng đã khắc phục", decision_id=str(lifting.id))
    assert lifted.status_code == 302, lifted.text
    record = _record(db, page)
    assert record.state == "lifted"
    assert 'id="pending-unblock-ISP-VNPT"' in binh.get(page).text

    order = isp.get(f"/console/orders/{request_id}").text
    assert 'id="confirm-removal"' in order and unlabelled(order) == []
    confirmed = _post(isp, f"/console/orders/{request_id}/removal-acknowledgement", note="Đã gỡ chặn DNS")
    assert confirmed.status_code == 302, confirmed.text
    assert 'id="pending-unblock-ISP-VNPT"' not in binh.get(page).text
    executor = _record(db, page).executors[0]
    assert executor.unblocked_by == "vnpt.dung" and executor.unblock_note == "Đã gỡ chặn DNS"
    twice = _post(isp, f"/console/orders/{request_id}/removal-acknowledgement")
    assert twice.status_code == 409
    assert _acts(db, page, "block_request:confirm_removal") == [
        ("allowed", "ISP-VNPT", "vnpt.dung"),
        ("error", "ISP-VNPT", "vnpt.dung"),
    ]
    assert _acts(db, page, "block_request:lift") == [
        ("error", "MOST", "most.binh"),
        ("allowed", "MOST", "most.binh"),
    ]
    # another agency's officer does not see the request at all
    assert officer("customs.hoa", CASE).get(page).status_code == 403
    assert (
        _post(
            officer("viettel.giang", CASE), f"/console/orders/{request_id}/removal-acknowledgement"
        ).status_code
        == 404
    )


def test_a_dispatched_request_is_revoked_on_a_decision(officer, db) -> None:  # type: ignore[no-untyped-def]
    page, binh, _ = _dispatched(officer, db)
    annulling = make_decision(db)
    revoked = _step(binh, page, "revoke", reason="Quyết định bị hủy", decision_id=str(annulling.id))
    assert revoked.status_code == 302, revoked.text
    assert _record(db, page).state == "revoked"
    again = _post(binh, f"{page}/revoke", reason="Lần nữa", decision_id=str(annulling.id))
    assert again.status_code == 409
    assert 'id="step-revoke"' not in binh.get(page).text


def test_an_appeal_is_filed_and_decided_not_by_the_approving_officer(officer, db) -> None:  # type: ignore[no-untyped-def]
    page, binh, cuong = _dispatched(officer, db)
    request_id = page.rsplit("/", 1)[1]
    assert _reply(officer("vnpt.dung", CASE), request_id, "executed").status_code == 302

    submitter = officer("dms.an", CASE)
    form = submitter.get(page).text
    assert 'id="file-appeal"' in form
    appeal = {
        "appellant": "Công ty TNHH Mỹ Phẩm Sạch",
        "grounds": "Trang web bán hàng chính hãng, có hóa đơn",
    }
    assert _post(submitter, f"{page}/appeals", appellant="", grounds="x").status_code == 422
    assert _post(submitter, f"{page}/appeals", **appeal).status_code == 302
    assert _post(submitter, f"{page}/appeals", **appeal).status_code == 409  # one pending at a time
    record = _record(db, page)
    (filed,) = record.appeals
    assert (filed.status, filed.appellant, filed.filed_by) == ("pending", appeal["appellant"], "dms.an")

    ground = make_decision(db)
    decide = f"{page}/appeals/{filed.id}/decision"
    shown = binh.get(page).text
    assert f'id="decide-appeal-{filed.id}"' in shown and unlabelled(shown) == []
    outcome = {"outcome": "dismissed", "reason": "Không có căn cứ", "decision_id": str(ground.id)}
    approver = _post(cuong, decide, **outcome)
    assert approver.status_code == 403, approver.text  # the approving officer does not decide the appeal
    assert _post(binh, decide, **{**outcome, "outcome": "maybe"}).status_code == 422
    assert _post(binh, decide, **outcome).status_code == 302
    record = _record(db, page)
    assert (record.appeals[0].status, record.appeals[0].decided_by, record.state) == (
        "dismissed",
        "most.binh",
        "in_effect",
    )
    assert _post(binh, decide, **outcome).status_code == 409
    assert _acts(db, page, "block_request:file_appeal") == [
        ("allowed", "MOIT-DMS", "dms.an"),
        ("error", "MOIT-DMS", "dms.an"),
    ]
    assert _acts(db, page, "block_request:decide_appeal") == [  # "maybe" is refused before the read
        ("denied", "MOST", "most.cuong"),
        ("allowed", "MOST", "most.binh"),
        ("error", "MOST", "most.binh"),
    ]


def test_a_platforms_replies_are_recorded_by_the_deciding_agency(officer, db, client, actors) -> None:  # type: ignore[no-untyped-def]
    """A takedown goes to the platform hosting the listing, which has no account: the e-commerce agency
    records its written reply, and, once the takedown is lifted, its reinstatement."""
    from tests.blocking.helpers import APPROVER, REVIEWER, Walker, body

    walker = Walker(client, actors, db)
    decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS")
    listing = walker.submit_ok(
        body(
            decision,
            make_violation(db, owner="MOIT-DMS"),
            action="remove_listing",
            executors=[],
            targets=[{"kind": "marketplace_shop", "value": "https://shopee.vn/shop/123456"}],
        ),
        agency="MOIT-DMS",
    )
    walker.ok(listing["id"], "review", agency="MOIT-ECOM", officer=REVIEWER)
    walker.ok(listing["id"], "approve", agency="MOIT-ECOM", officer=APPROVER)
    walker.ok(listing["id"], "dispatch", agency="MOIT-ECOM", officer=APPROVER)
    page, target = f"/console/block-requests/{listing['id']}", listing["targets"][0]["id"]

    ecom = officer("ecom.hai", CASE)
    shown = ecom.get(page).text
    assert 'id="acknowledge-platform-shopee"' in shown and unlabelled(shown) == []
    reply = {"platform": "shopee", "target_id": target, f"outcome-{target}": "executed"}
    assert (
        _post(ecom, f"{page}/platform-acknowledgements", **{**reply, "platform": "lazada"}).status_code == 422
    )
    assert _post(officer("most.binh", CASE), f"{page}/platform-acknowledgements", **reply).status_code == 403
    assert _post(ecom, f"{page}/platform-acknowledgements", **reply).status_code == 302
    record = _record(db, page)
    assert record.state == "in_effect"
    assert [(a.outcome, a.officer) for a in record.executors[0].acknowledgements] == [
        ("executed", "ecom.hai")
    ]
    assert _post(ecom, f"{page}/platform-acknowledgements", **reply).status_code == 409  # already answered

    lifting = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS")
    walker.ok(
        listing["id"],
        "lift",
        agency="MOIT-ECOM",
        officer=APPROVER,
        reason="Đã khắc phục",
        decision_id=str(lifting.id),
    )
    assert 'id="platform-removal-shopee"' in ecom.get(page).text
    removal = f"{page}/platform-removal-acknowledgement"
    assert _post(ecom, removal, platform="shopee", note="Shopee đã khôi phục gian hàng").status_code == 302
    executor = _record(db, page).executors[0]
    assert (executor.unblocked_by, executor.unblock_note) == ("ecom.hai", "Shopee đã khôi phục gian hàng")
    assert _post(ecom, removal, platform="shopee").status_code == 409
    assert _acts(db, page, "block_request:acknowledge_platform") == [
        ("error", "MOIT-ECOM", "ecom.hai"),
        ("denied", "MOST", "most.binh"),  # a deciding agency, but not of takedowns
        ("allowed", "MOIT-ECOM", "ecom.hai"),
        ("error", "MOIT-ECOM", "ecom.hai"),
    ]
    assert _acts(db, page, "block_request:confirm_platform_removal") == [
        ("allowed", "MOIT-ECOM", "ecom.hai"),
        ("error", "MOIT-ECOM", "ecom.hai"),
    ]


def test_a_mirror_only_linked_to_the_subjects_is_confirmed_by_a_decider(officer, db, client, actors) -> None:  # type: ignore[no-untyped-def]
    from tests.blocking.helpers import Walker, body
    from tests.blocking.test_mirror_confirmation import _original

    walker = Walker(client, actors, db)
    original = _original(walker, db)
    linked = walker.create(
        body(None, None, mirror_of=original["id"], targets=[{"kind": "domain", "value": "guong-2.vn"}]),
        officer="most.cuong",
    )
    assert linked.status_code == 201, linked.json
    page = f"/console/block-requests/{linked.json['id']}"
    binh, cuong = officer("most.binh", CASE), officer("most.cuong", CASE)
    assert _step(binh, page, "start_review").status_code == 302
    shown = binh.get(page).text
    assert 'id="confirm-mirror"' in shown and unlabelled(shown) == []
    assert _step(binh, page, "approve").status_code == 422  # not without the confirmation

    why = "Cùng chủ sở hữu (biên bản 12/BB), nội dung trùng trang gốc"
    assert _post(cuong, f"{page}/confirm-mirror", reason=why).status_code == 403  # he submitted it
    assert _post(binh, f"{page}/confirm-mirror", reason="ngắn").status_code == 422
    assert _post(binh, f"{page}/confirm-mirror", reason=why).status_code == 302
    assert _step(binh, page, "approve").status_code == 302
    assert _record(db, page).state == "approved"
    assert _acts(db, page, "block_request:confirm_mirror") == [
        ("denied", "MOST", "most.cuong"),
        ("allowed", "MOST", "most.binh"),
    ]
