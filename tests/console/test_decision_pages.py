"""Written decisions in the console: recorded with a real PDF (signed, unsigned, signed by a stranger),
its signature check shown, the issuer's confirmation, a reviewing officer's override (four-eyes), the
download, what rests on a decision, and the refusals as the API answers them."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import uuid
from datetime import date, timedelta

from sqlalchemy import select

from registry.audit.models import AuditEntry
from registry.models import Decision, Violation
from tests.api.test_decision_documents import UNSAFE
from tests.console.helpers import csrf_of, local, submit_block_request
from tests.console.test_accessibility import unlabelled
from tests.factories import PDF, make_decision, make_violation, pdf_bytes
from tests.signing import stranger, trusted

CASE = "45/QĐ-XPVPHC"


def _form(**overrides: object) -> dict:
    today = date.today()
    return {
        "document_type": "decision",
        "number": f"{uuid.uuid4().hex[:4]}/QĐ-CVT",
        "issued_on": (today - timedelta(days=1)).isoformat(),
        "place": "Hà Nội",
        "issuing_body": "Cục Quản lý thị trường",
        "signer_name": "Nguyễn Văn A",
        "signer_title": "Cục trưởng",
        "legal_bases": "Nghị định 98/2020/NĐ-CP\nLuật Thương mại điện tử",
        "targets": "hanggia-mypham.vn",
        "reason": "Kinh doanh mỹ phẩm giả trên mạng",
        "effective_from": (today - timedelta(days=1)).isoformat(),
        "visibility": "state",
        **overrides,
    }


def _record(client, content: bytes, *, content_type: str = "application/pdf", **overrides):  # type: ignore[no-untyped-def]
    page = client.get("/console/decisions/new")
    assert page.status_code == 200, page.text
    assert unlabelled(page.text) == []
    data = {
        **_form(**overrides),
        "csrf_token": csrf_of(page.text),
        "document": (io.BytesIO(content), "quyet-dinh.pdf", content_type),
    }
    return client.post("/console/decisions", data=data, content_type="multipart/form-data")


def _post(client, path: str, data: dict):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/console/").text)
    return client.post(path, data={**data, "csrf_token": token})


def _entries(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_signed_decision_is_recorded_with_its_pdf_checked_shown_and_downloaded(officer, db) -> None:  # type: ignore[no-untyped-def]
    clerk = officer("dms.thu", CASE)
    signed = trusted().sign("Trần Văn Ký")
    answer = _record(clerk, signed, number="77/QĐ-QLTT")
    assert answer.status_code == 302, answer.text
    decision_id = answer.headers["Location"].rsplit("/", 1)[1]

    record = db.get(Decision, uuid.UUID(decision_id))
    assert record.number == "77/QĐ-QLTT" and record.document_id is not None
    assert record.signature_status == "verified" and record.recorded_by == "dms.thu"
    assert record.legal_bases == ["Nghị định 98/2020/NĐ-CP", "Luật Thương mại điện tử"]

    shown = clerk.get(f"/console/decisions/{decision_id}")
    assert shown.status_code == 200
    assert 'id="signature-status"' in shown.text and "Trần Văn Ký" in shown.text
    assert "Test Government Root CA" in shown.text  # the signer's certificate issuer
    assert 'id="download"' in shown.text and 'id="upload-document"' not in shown.text

    listed = clerk.get("/console/decisions?number=77/QĐ-QLTT")
    assert decision_id in listed.text and unlabelled(listed.text) == []
    assert decision_id not in clerk.get("/console/decisions?number=78/QĐ-QLTT").text
    download = clerk.get(f"/console/decisions/{decision_id}/document")
    assert download.status_code == 200 and download.data == signed
    assert download.mimetype == "application/pdf" and "attachment" in download.headers["Content-Disposition"]

    created = _entries(db, "decision:create")
    assert [(e.outcome, e.officer, e.agency, e.resource_id, e.purpose) for e in created] == [
        ("allowed", "dms.thu", "MOIT-DMS", decision_id, CASE)
    ]
    assert _entries(db, "decision:download_document")[0].officer == "dms.thu"


def test_a_refused_document_records_nothing(officer, db, app) -> None:  # type: ignore[no-untyped-def]
    clerk = officer("dms.thu", CASE)
    refused = _record(clerk, UNSAFE["open-action-javascript"])
    assert refused.status_code == 422 and "JavaScript" in refused.text, refused.text
    assert _record(clerk, PDF, content_type="text/plain").status_code == 415
    state = app.extensions["registry"]
    original = state.settings
    state.settings = dataclasses.replace(original, max_document_bytes=len(PDF) - 1)
    try:
        assert _record(clerk, PDF).status_code == 413
    finally:
        state.settings = original
    invalid = _record(clerk, PDF, issued_on="2999-01-01")
    assert invalid.status_code == 422 and "issued_on" in invalid.text
    missing = _record(clerk, b"", number="1/QĐ")
    assert missing.status_code == 422
    assert db.scalars(select(Decision)).all() == []
    assert {e.outcome for e in _entries(db, "decision:create")} == {"error"}


def test_a_decision_recorded_on_behalf_waits_for_its_issuer_to_confirm(officer, db) -> None:  # type: ignore[no-untyped-def]
    clerk = officer("dms.thu", CASE)
    answer = _record(clerk, PDF, issuer="MOST", visibility="owner")
    assert answer.status_code == 302, answer.text
    path = local(answer.headers["Location"])
    decision_id = path.rsplit("/", 1)[1]
    assert "confirm-decision" not in clerk.get(path).text
    assert _post(clerk, f"{path}/confirmation", {"confirmed": "true"}).status_code == 403  # not the issuer

    head = officer("most.cuong", CASE)
    page = head.get(path)
    assert page.status_code == 200 and 'id="confirm-decision"' in page.text
    assert unlabelled(page.text) == []
    assert _post(head, f"{path}/confirmation", {"confirmed": "maybe"}).status_code == 422
    done = _post(head, f"{path}/confirmation", {"confirmed": "true", "note": "Đúng quyết định của Bộ"})
    assert done.status_code == 302, done.text
    record = db.get(Decision, uuid.UUID(decision_id))
    db.refresh(record)
    assert (record.issuer_confirmation, record.issuer_confirmed_by) == ("confirmed", "most.cuong")
    again = _post(head, f"{path}/confirmation", {"confirmed": "true"})
    assert again.status_code == 409
    confirmations = [(e.outcome, e.officer) for e in _entries(db, "decision:confirm")]
    assert confirmations == [
        ("denied", "dms.thu"),
        ("error", "most.cuong"),
        ("allowed", "most.cuong"),
        ("error", "most.cuong"),
    ]

    # Another agency's officer, to whom the record is not shown (visibility owner, shared with MOST only);
    # a reader without registry:write does not get the form to record one.
    customs = officer("customs.hoa", CASE)
    assert customs.get(path).status_code == 404
    assert customs.get(f"{path}/document").status_code == 404
    assert customs.get("/console/decisions/new").status_code == 403
    assert decision_id not in customs.get("/console/decisions").text


def test_a_failed_signature_check_is_overridden_by_a_reviewing_officer_only(officer, db) -> None:  # type: ignore[no-untyped-def]
    recorder = officer("most.cuong", CASE)  # MOST records it, and decides blocks too
    answer = _record(recorder, stranger().sign("Kẻ Lạ"))
    assert answer.status_code == 302, answer.text
    path = local(answer.headers["Location"])
    decision_id = path.rsplit("/", 1)[1]
    page = recorder.get(path).text
    assert "Kẻ Lạ" in page and 'id="override-signature"' in page and unlabelled(page) == []

    reason = {"reason": "Chữ ký số của Cục đã được xác minh qua điện thoại"}
    four_eyes = _post(recorder, f"{path}/signature-override", reason)
    assert four_eyes.status_code == 403 and "bốn mắt" in four_eyes.text  # the refusal, in Vietnamese
    assert _post(officer("dms.thu", CASE), f"{path}/signature-override", reason).status_code == 403
    reviewer = officer("most.binh", CASE)
    assert _post(reviewer, f"{path}/signature-override", {"reason": "short"}).status_code == 422
    assert _post(reviewer, f"{path}/signature-override", reason).status_code == 302
    record = db.get(Decision, uuid.UUID(decision_id))
    db.refresh(record)
    assert (record.signature_status, record.signature_override_by) == ("failed", "most.binh")
    shown = reviewer.get(path).text
    assert 'id="signature-override"' in shown and reason["reason"] in shown
    assert 'id="override-signature"' not in shown
    assert _post(reviewer, f"{path}/signature-override", reason).status_code == 409
    overrides = [(e.outcome, e.officer) for e in _entries(db, "decision:override_signature")]
    assert overrides == [
        ("denied", "most.cuong"),
        ("denied", "dms.thu"),
        ("error", "most.binh"),
        ("allowed", "most.binh"),
        ("error", "most.binh"),
    ]


def test_a_decision_recorded_without_its_document_gets_it_from_its_owner(officer, db) -> None:  # type: ignore[no-untyped-def]
    decision = make_decision(db, issuer="MOIT-DMS", owner="MOIT-DMS", document=False)
    path = f"/console/decisions/{decision.id}"
    decision.document_sha256 = hashlib.sha256(PDF).hexdigest()
    db.flush()
    other = officer("most.cuong", CASE)
    assert 'id="upload-document"' not in other.get(path).text
    upload = {"document": (io.BytesIO(PDF), "qd.pdf", "application/pdf")}
    token = csrf_of(other.get("/console/").text)
    refused = other.post(
        f"{path}/document", data={**upload, "csrf_token": token}, content_type="multipart/form-data"
    )
    assert refused.status_code == 403

    clerk = officer("dms.thu", CASE)
    assert 'id="upload-document"' in clerk.get(path).text
    token = csrf_of(clerk.get("/console/").text)
    wrong = {"document": (io.BytesIO(pdf_bytes(lambda pdf: None) + b"\n"), "qd.pdf", "application/pdf")}
    mismatch = clerk.post(
        f"{path}/document", data={**wrong, "csrf_token": token}, content_type="multipart/form-data"
    )
    assert mismatch.status_code == 422 and "SHA-256" in mismatch.text
    upload = {"document": (io.BytesIO(PDF), "qd.pdf", "application/pdf")}
    done = clerk.post(
        f"{path}/document", data={**upload, "csrf_token": token}, content_type="multipart/form-data"
    )
    assert done.status_code == 302, done.text
    db.refresh(decision)
    assert decision.document_id is not None and decision.signature_status == "unsigned"
    uploads = [(e.outcome, e.officer) for e in _entries(db, "decision:upload_document")]
    assert uploads == [("denied", "most.cuong"), ("error", "dms.thu"), ("allowed", "dms.thu")]


def test_the_decision_page_shows_what_rests_on_it_as_far_as_the_officer_sees(officer, db) -> None:  # type: ignore[no-untyped-def]
    decision = make_decision(db)
    violation = make_violation(db, owner="MOIT-DMS")
    violation.status, violation.sanction_decision_id = "sanctioned", decision.id
    hidden = make_violation(db, owner="MOIT-DMS")  # the recording agency's own: not shown to others
    hidden.status, hidden.sanction_decision_id, hidden.visibility = "sanctioned", decision.id, "owner"
    hidden.summary = "Vụ việc nội bộ của QLTT"
    db.flush()
    submitter = officer("dms.an", CASE)
    created = submit_block_request(submitter, decision, violation)
    assert created.status_code == 302, created.text
    request_id = created.headers["Location"].rsplit("/", 1)[1]

    page = submitter.get(f"/console/decisions/{decision.id}").text
    block_table = page[page.index('id="resting-block-requests"') :]
    assert f"/console/block-requests/{request_id}" in block_table
    assert violation.summary in page[page.index('id="resting-violations"') :]
    assert 'id="resting-freeze-orders"' not in page  # no freeze scope: that kind is not shown at all

    # An officer of an agency without a blocking scope sees the violation but not the request.
    customs = officer("customs.hoa", CASE).get(f"/console/decisions/{decision.id}").text
    assert 'id="resting-block-requests"' not in customs and violation.summary in customs
    assert hidden.summary in page and hidden.summary not in customs
    assert db.get(Violation, violation.id).sanction_decision_id == decision.id
