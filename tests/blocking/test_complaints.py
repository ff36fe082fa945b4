"""A blocked site's owner files a complaint without an account, reads its status with the receipt code,
and the deciding agency links, answers or turns it into an appeal (issue 15)."""

from __future__ import annotations

import dataclasses
import logging
import re

from sqlalchemy import select

from registry.app import create_app
from registry.models import BlockAppeal, BlockComplaint
from tests.blocking.helpers import APPROVER, REVIEWER, URL, body
from tests.blocking.helpers_complaints import (
    COMPLAINTS,
    OWNER,
    STATEMENT,
    complaint_body,
    file,
    status,
    the_complaint,
)

CODE = re.compile(r"^KN(-[A-Z2-7]{4}){5}$")


def test_owner_files_without_a_token_and_reads_the_status_with_the_receipt_code(walker, grounds):
    blocked = walker.in_effect(body(*grounds))
    receipt = file(walker.client, "https://HangGia-MyPham.vn/san-pham/1")
    assert CODE.match(receipt["receipt_code"]), receipt
    assert receipt["status"] == "received" and receipt["target"] == "https://hanggia-mypham.vn/san-pham/1"

    read = status(walker.client, receipt["receipt_code"])
    assert read.status_code == 200
    assert set(read.json) == {"target", "filed_at", "status", "answer", "answered_at"}  # nothing else
    assert read.json["status"] == "received" and read.json["answer"] is None
    spelled = receipt["receipt_code"].lower().replace("-", " ")
    assert status(walker.client, spelled).json["status"] == "received"  # as a person may type it
    assert status(walker.client, "KN-AAAA-AAAA-AAAA-AAAA-AAAA").status_code == 404

    # the one block in effect on the site's domain: linked at filing
    seen = the_complaint(walker, "https://hanggia-mypham.vn/san-pham/1")
    assert seen["block_request_id"] == blocked["id"] and seen["linked_by"] == "system"
    assert seen["statement"] == STATEMENT


def test_only_a_hash_of_the_code_and_encrypted_contact_details_are_stored(walker, db, actors, caplog):
    caplog.set_level(logging.DEBUG)
    receipt = file(walker.client, "hang-that.vn")
    row = db.scalars(select(BlockComplaint).where(BlockComplaint.target == "hang-that.vn")).one()
    stored = b" ".join(
        str(getattr(row, column.key)).encode() if not isinstance(getattr(row, column.key), bytes)
        else getattr(row, column.key)
        for column in BlockComplaint.__table__.columns
    )  # fmt: skip
    code = receipt["receipt_code"]
    for secret in (code, code.replace("-", ""), "Nguyễn", "345678", "345 678", "chu.web"):
        assert secret.encode() not in stored, secret
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (code, "Nguyễn", "345 678", "chu.web"):
        assert secret not in logged

    masked = the_complaint(walker, "hang-that.vn")
    assert (masked["complainant_name"], masked["complainant_phone"], masked["complainant_email"]) == (
        "N•••",
        "+•••678",
        "c•••@example.vn",
    )
    revealed = walker.client.get(
        f"{COMPLAINTS}/{masked['id']}?sensitive=true",
        headers=actors.headers("MOST", scopes=["blocking:decide", "registry:read_sensitive"]),
    )
    assert revealed.status_code == 200, revealed.json
    assert revealed.json["complainant_name"] == OWNER["name"]
    assert (revealed.json["complainant_phone"], revealed.json["complainant_email"]) == (
        "+84912345678",
        OWNER["email"],
    )
    without = walker.client.get(
        f"{COMPLAINTS}/{masked['id']}?sensitive=true",
        headers=actors.headers("MOST", scopes=["blocking:decide"]),
    )
    assert without.status_code == 403


def test_the_deciding_agency_answers_and_the_owner_reads_the_answer(walker, grounds):
    walker.in_effect(body(*grounds))
    receipt = file(walker.client)
    complaint = the_complaint(walker, "hanggia-mypham.vn")
    answer_url = f"{COMPLAINTS}/{complaint['id']}/answer"
    answer = {"outcome": "dismissed", "answer": "Quyết định xử phạt số 12/QĐ-XPHC vẫn còn hiệu lực."}
    assert (
        walker.client.post(answer_url, json=answer, headers=walker.h("MOST")).status_code == 403
    )  # no officer
    answered = walker.client.post(answer_url, json=answer, headers=walker.h("MOST", REVIEWER))
    assert answered.status_code == 200, answered.json
    assert answered.json["answered_by"].endswith(REVIEWER) and answered.json["answered_agency"] == "MOST"
    again = walker.client.post(
        answer_url, json={**answer, "outcome": "upheld"}, headers=walker.h("MOST", REVIEWER)
    )
    assert again.status_code == 409
    read = status(walker.client, receipt["receipt_code"]).json
    assert (read["status"], read["answer"]) == ("dismissed", answer["answer"]) and read["answered_at"]


def test_a_complaint_is_linked_by_hand_and_turned_into_an_appeal_whose_outcome_the_owner_reads(
    walker, grounds
):
    blocked = walker.in_effect(body(*grounds, targets=[{"kind": "domain", "value": "cua-hang-x.vn"}]))
    receipt = file(walker.client, "www.cua-hang-y.vn")  # another name: nothing to link at filing
    complaint = the_complaint(walker, "www.cua-hang-y.vn")
    assert complaint["block_request_id"] is None
    appeal_url = f"{COMPLAINTS}/{complaint['id']}/appeal"
    assert walker.client.post(appeal_url, headers=walker.h("MOST", REVIEWER)).status_code == 409  # not linked

    link_url = f"{COMPLAINTS}/{complaint['id']}/link"
    linked = walker.client.post(
        link_url, json={"block_request_id": blocked["id"]}, headers=walker.h("MOST", REVIEWER)
    )
    assert linked.status_code == 200, linked.json
    assert linked.json["status"] == "under_review" and linked.json["linked_by"].endswith(REVIEWER)
    assert status(walker.client, receipt["receipt_code"]).json["status"] == "under_review"

    appealed = walker.client.post(appeal_url, headers=walker.h("MOST", REVIEWER))
    assert appealed.status_code == 200, appealed.json
    request = walker.get(blocked["id"]).json
    appeal = request["appeals"][0]
    assert appeal["id"] == appealed.json["appeal_id"] and appeal["grounds"] == STATEMENT
    assert OWNER["name"] not in appeal["appellant"]  # the appeal names the complaint, not the person
    answer = {"outcome": "upheld", "answer": "Đủ căn cứ chấp nhận khiếu nại của chủ trang."}
    assert (
        walker.client.post(
            f"{COMPLAINTS}/{complaint['id']}/answer", json=answer, headers=walker.h("MOST", REVIEWER)
        ).status_code
        == 409
    )

    reason = "Chủ trang đã chứng minh nguồn gốc hàng hóa hợp pháp."
    decided = walker.client.post(
        f"{URL}/{blocked['id']}/appeals/{appeal['id']}/decision",
        json={"outcome": "upheld", "reason": reason, "decision_id": walker.decision()},
        headers=walker.h("MOST", REVIEWER),
    )
    assert decided.status_code == 200, decided.json
    read = status(walker.client, receipt["receipt_code"]).json
    assert (read["status"], read["answer"]) == ("upheld", reason)
    # a lifted block takes no new link
    other = file(walker.client, "cua-hang-z.vn")
    other_id = the_complaint(walker, other["target"])["id"]
    refused = walker.client.post(
        f"{COMPLAINTS}/{other_id}/link",
        json={"block_request_id": blocked["id"]},
        headers=walker.h("MOST", APPROVER),
    )
    assert refused.status_code == 409


def test_a_failed_appeal_leaves_the_complaint_as_it_was(walker, grounds, db):
    blocked = walker.in_effect(body(*grounds))
    pending = walker.client.post(
        f"{URL}/{blocked['id']}/appeals",
        json={"appellant": "Luật sư của chủ trang", "grounds": "Khiếu nại qua luật sư"},
        headers={**walker.h("MOST", REVIEWER), "Idempotency-Key": "complaint-appeal-1"},
    )
    assert pending.status_code == 201
    file(walker.client)
    complaint = the_complaint(walker, "hanggia-mypham.vn")
    refused = walker.client.post(f"{COMPLAINTS}/{complaint['id']}/appeal", headers=walker.h("MOST", REVIEWER))
    assert refused.status_code == 409  # one pending appeal per request
    after = the_complaint(walker, "hanggia-mypham.vn")
    assert (after["status"], after["appeal_id"]) == ("received", None)
    assert len(db.scalars(select(BlockAppeal)).all()) == 1


def test_the_form_checks_what_it_is_given_without_echoing_personal_data(walker):
    client = walker.client
    no_contact = client.post(COMPLAINTS, json=complaint_body(phone=None, email=None))
    assert no_contact.status_code == 422 and set(no_contact.json["errors"]) == {"phone", "email"}
    bad_phone = client.post(COMPLAINTS, json=complaint_body(phone="09-not-a-phone-77"))
    assert bad_phone.status_code == 422 and "not-a-phone" not in bad_phone.get_data(as_text=True)
    bad_target = client.post(COMPLAINTS, json=complaint_body(target="not a domain"))
    assert bad_target.status_code == 422 and "target" in bad_target.json["errors"]
    short = client.post(COMPLAINTS, json=complaint_body(statement="sai"))
    assert short.status_code == 422


def test_the_public_forms_are_limited_per_address(app, db, walker):
    settings = dataclasses.replace(app.extensions["registry"].settings, public_rate_limit="2 per minute")
    small = create_app(settings)
    small.extensions["registry"].sessionmaker = app.extensions["registry"].sessionmaker
    try:
        client = small.test_client()
        codes = [client.post(COMPLAINTS, json=complaint_body()).status_code for _ in range(2)]
        limited = client.post(f"{COMPLAINTS}/status", json={"receipt_code": "KN-AAAA"})
        assert codes == [201, 201] and limited.status_code == 429
        assert (
            limited.mimetype == "application/problem+json" and 1 <= int(limited.headers["Retry-After"]) <= 60
        )
        other = client.post(COMPLAINTS, json=complaint_body(), environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 201  # counted per address
    finally:
        small.extensions["registry"].engine.dispose()
