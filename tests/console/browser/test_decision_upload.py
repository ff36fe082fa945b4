"""Recording a written decision with its signed PDF in a real browser: the file field's multipart form
under the console's Content-Security-Policy, and the signature check shown in Vietnamese."""

from __future__ import annotations

from datetime import date

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from registry.models import Decision
from tests.console.browser.test_block_workflow import Officer
from tests.signing import trusted


def test_a_decision_is_recorded_with_its_signed_pdf(live, committed, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base, _app = live
    document = tmp_path / "quyet-dinh-15.pdf"
    document.write_bytes(trusted().sign("Trần Văn Ký"))
    officer = Officer(browser, base)
    officer.log_in("dms.thu", "15/QĐ-QLTT")
    officer.open("/console/decisions")
    officer.click("new-decision")
    officer.wait("document").send_keys(str(document))
    Select(officer.wait("document_type")).select_by_value("decision")
    new_year = "01012025"  # 1 January 2025: the same keys whether the locale types the day or the month first
    fields = {
        "number": "15/QĐ-QLTT", "place": "Hà Nội", "issuing_body": "Cục Quản lý thị trường",
        "signer_name": "Trần Văn Ký", "signer_title": "Cục trưởng", "legal_bases": "Nghị định 98/2020/NĐ-CP",
        "reason": "Kinh doanh mỹ phẩm giả trên mạng",
    }  # fmt: skip
    for name, value in fields.items():
        browser.find_element(By.ID, name).send_keys(value)
    for name in ("issued_on", "effective_from"):
        browser.find_element(By.ID, name).send_keys(new_year)
    officer.click("record-decision")
    status = officer.wait("signature-status")
    assert status.text == "chữ ký số hợp lệ", browser.page_source[:2000]
    assert "Trần Văn Ký" in browser.find_element(By.ID, "signatures").text
    recorded = committed.scalars(select(Decision).where(Decision.number == "15/QĐ-QLTT")).one()
    assert recorded.signature_status == "verified" and recorded.recorded_by == "dms.thu"
    assert recorded.document_id is not None and recorded.issued_on == date(2025, 1, 1)
