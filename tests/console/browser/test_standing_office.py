"""The Standing Office in a real browser: a late block request found by the agency whose move it is and
by province, then the sellers of a province listed from A to Z in Vietnamese order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from sqlalchemy import update

from registry.models import BlockRequest
from tests.console.browser.test_block_workflow import Officer
from tests.factories import make_decision, make_subject, make_violation


def test_the_office_finds_a_late_step_by_province_and_lists_sellers_a_to_z(
    live, committed, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    base, _app = live
    decision = make_decision(committed)
    violation = make_violation(committed, owner="MOIT-DMS")
    violation.province = "Lào Cai"
    for name in ("Đặng Văn Bình", "Bùi Hữu Nghĩa", "Âu Thị Hoa", "An Khang", "Ăn Uống Sạch"):
        make_subject(committed, owner="MOIT-DMS", name=name).province = "Hà Giang"
    committed.commit()
    officer = Officer(browser, base)

    officer.log_in("dms.an", "45/QĐ-XPVPHC")
    officer.open("/console/block-requests/new")
    Select(officer.wait("action")).select_by_value("block_at_isp")
    Select(officer.wait("decision_id")).select_by_value(str(decision.id))
    officer.click(f"violation-{violation.id}")
    browser.find_element(By.ID, "targets").send_keys("domain hang-gia-lao-cai.vn")
    browser.find_element(By.ID, "executors").send_keys("ISP-VNPT")
    browser.find_element(By.ID, "reason").send_keys("Website bán hàng giả")
    officer.click("submit-request")
    officer.wait("request-state")
    request_id = browser.current_url.rsplit("/", 1)[1]
    officer.log_out()
    # MOST has not reviewed it in time.
    committed.execute(
        update(BlockRequest)
        .where(BlockRequest.id == uuid.UUID(request_id))
        .values(state_due_at=datetime.now(UTC) - timedelta(hours=2))
    )
    committed.commit()

    officer.log_in("nsc.lan", "BC-389/2026")
    officer.open("/console/")
    browser.find_element(By.LINK_TEXT, "Các bước quá hạn, theo cơ quan và tỉnh/thành").click()
    assert "MOST" in officer.wait("by-agency").text  # whose move: the deciding agency
    officer.wait("by-province").find_element(By.LINK_TEXT, "Lào Cai").click()
    steps = officer.wait("overdue-steps")
    assert "province=" in browser.current_url
    assert "đã gửi" in steps.text and "Lào Cai" in steps.text  # the late step, in Vietnamese
    browser.save_screenshot(str(tmp_path / "console-overdue-by-province.png"))
    steps.find_element(By.CSS_SELECTOR, f"a[href$='{request_id}']").click()
    officer.wait("request-state")

    officer.open("/console/subjects")
    officer.wait("province").send_keys("Hà Giang")
    officer.click("list-by-name")
    names = [link.text for link in officer.wait("results").find_elements(By.CSS_SELECTOR, "tbody a")]
    assert names == ["An Khang", "Ăn Uống Sạch", "Âu Thị Hoa", "Bùi Hữu Nghĩa", "Đặng Văn Bình"]
