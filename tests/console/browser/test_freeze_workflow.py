"""The freeze workflow in a real browser: officers of three agencies log in through the development
identity provider and play it end to end. The police's investigation body submits an order on its
decision; two State Bank officers receive it, then check and dispatch it (four-eyes: the one who received
it is refused the check); the bank executes its account and reports; the police lift the order and the
bank confirms the release."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.console.browser.test_block_workflow import WAIT, Officer
from tests.factories import make_decision

NUMBER = "0011001234567"  # a Vietcombank account


def _decision(committed: Any, number: str) -> Any:
    return make_decision(
        committed,
        issuer="MPS-C03",
        owner="MPS-C03",
        number=number,
        issuing_body="Cục Cảnh sát điều tra tội phạm về tham nhũng, kinh tế, buôn lậu",
        signer_title="Thủ trưởng",
        legal_bases=["Bộ luật Tố tụng hình sự 2015, Điều 128"],
        reason="Phong tỏa tài khoản",
        effective_to=None,
        issued_on=date.today() - timedelta(days=1),
        effective_from=date.today() - timedelta(days=1),
    )


def _state_becomes(driver: Any, element_id: str, text: str) -> None:
    WebDriverWait(driver, WAIT).until(seen.text_to_be_present_in_element((By.ID, element_id), text))


def test_freeze_order_from_submission_to_release(live, committed, browser) -> None:  # type: ignore[no-untyped-def]
    base, _app = live
    founding = _decision(committed, "88/QĐ-C03")
    cancellation = _decision(committed, "97/QĐ-C03")
    committed.commit()
    case = "Vụ án 12/2026/C03"
    officer = Officer(browser, base)

    # The police's investigation body (MPS-C03) submits the order on its decision.
    officer.log_in("c03.phong", case)
    assert browser.find_element(By.ID, "agency").text == "MPS-C03"
    officer.open("/console/freeze-orders/new")
    Select(officer.wait("decision_id")).select_by_value(str(founding.id))
    for field, value in (
        ("bank-0", "VCB"),
        ("number-0", NUMBER),
        ("holder-0", "Công ty TNHH Đại Phát"),
        ("amount_vnd", "500.000.000"),
        ("legal_bases", "Bộ luật Tố tụng hình sự 2015, Điều 128"),
        ("reason", "Thu giữ tiền do buôn bán hàng giả trên sàn thương mại điện tử"),
        ("procuracy", "SPP"),
        ("procuracy_reference", "15/TB-CSKT"),
    ):
        browser.find_element(By.ID, field).send_keys(value)
    notified = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    # A datetime-local field's typing depends on the browser's locale; its value does not.
    browser.execute_script(
        "arguments[0].value = arguments[1]", officer.wait("procuracy_notified_at"), notified
    )
    officer.click("submit-freeze-order")
    _state_becomes(browser, "freeze-state", "đã gửi")  # submitted, in Vietnamese
    assert NUMBER not in browser.page_source  # the account is shown masked
    order_path = browser.current_url.removeprefix(base)
    officer.log_out()

    # The State Bank: officer A receives it, and may not check it himself (four-eyes).
    officer.log_in("sbv.khanh", case)
    officer.open("/console/freeze-orders?state=submitted")
    assert "500.000.000" in officer.wait("freeze-queue").text
    officer.open(order_path)
    officer.click("freeze-step-receive")
    _state_becomes(browser, "freeze-state", "đã tiếp nhận")
    officer.click("freeze-step-check")
    assert officer.wait("problem").text  # the refusal's page (403), saying why
    officer.open(order_path)
    _state_becomes(browser, "freeze-state", "đã tiếp nhận")  # nothing changed
    officer.log_out()

    # Officer B checks and dispatches it to the bank.
    officer.log_in("sbv.long", case)
    officer.open(order_path)
    officer.click("freeze-step-check")
    _state_becomes(browser, "freeze-state", "đã kiểm tra")
    officer.click("freeze-step-dispatch")
    _state_becomes(browser, "freeze-state", "đã chuyển thực hiện")
    officer.log_out()

    # The bank executes its account and reports the amount frozen.
    officer.log_in("vcb.nga", case)
    officer.open("/console/freeze-orders?state=dispatched")
    officer.wait("freeze-queue")
    officer.open(order_path)
    report = officer.wait("freeze-accounts").find_element(By.CSS_SELECTOR, "button[id^=report-]")
    account_id = report.get_attribute("id").removeprefix("report-")
    browser.find_element(By.ID, f"amount-{account_id}").send_keys("300.000.000")
    browser.find_element(By.ID, f"reference-{account_id}").send_keys("VCB-2026-001")
    officer.click(f"report-{account_id}")
    _state_becomes(browser, "freeze-state", "đang có hiệu lực")
    assert "300.000.000" in browser.find_element(By.ID, "freeze-executed").text
    officer.log_out()

    # The police lift the order on a cancellation decision: the bank is told to release the money.
    officer.log_in("c03.phong", case)
    officer.open(order_path)
    Select(officer.wait("lift-decision")).select_by_value(str(cancellation.id))
    browser.find_element(By.ID, "lift-note").send_keys("Đình chỉ điều tra")
    officer.click("freeze-lift")
    _state_becomes(browser, "freeze-state", "đã gỡ bỏ")
    _state_becomes(browser, f"account-state-{account_id}", "chờ giải tỏa")
    officer.log_out()

    # The bank finds the release among those it has to confirm, and confirms it.
    officer.log_in("vcb.nga", case)
    officer.open("/console/freeze-orders?account_state=release_pending")
    officer.wait("freeze-queue").find_element(By.CSS_SELECTOR, f"a[href='{order_path}']").click()
    officer.wait(f"release-reference-{account_id}").send_keys("VCB-REL-2026-001")
    officer.click(f"confirm-release-{account_id}")
    _state_becomes(browser, f"account-state-{account_id}", "đã giải tỏa")
    assert browser.find_element(By.ID, "freeze-executed").text.startswith("0")
