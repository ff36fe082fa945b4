"""The block workflow in a real browser: officers of three agencies log in through the development
identity provider and play it from submission to the ISP's acknowledgement; then an auditor finds the
accesses to the seller just made."""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import make_decision, make_subject, make_violation

WAIT = 10  # seconds at most for any one page; most take a few hundred milliseconds


class Officer:
    """One officer's use of the console in the browser."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver, self.base = driver, base

    def wait(self, element_id: str) -> Any:
        return WebDriverWait(self.driver, WAIT).until(seen.presence_of_element_located((By.ID, element_id)))

    def has(self, element_id: str, attribute: str, value: str) -> bool:
        """Whether the element comes to have `attribute` = `value` within WAIT, found afresh each time: a
        click's next page replaces the element, and one found on the page before it goes stale."""

        def shown(driver: Any) -> bool:
            try:
                return driver.find_element(By.ID, element_id).get_attribute(attribute) == value
            except (NoSuchElementException, StaleElementReferenceException):
                return False

        try:
            return WebDriverWait(self.driver, WAIT).until(shown)
        except TimeoutException:
            return False

    def click(self, element_id: str) -> None:
        WebDriverWait(self.driver, WAIT).until(seen.element_to_be_clickable((By.ID, element_id))).click()

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def log_in(self, sub: str, case: str) -> None:
        self.open("/console/login")
        self.click("login-dev")
        self.click(f"officer-{sub}")  # the development provider's login page
        self.wait("officer")
        self.open("/console/case")
        field = self.wait("case-input")
        field.clear()
        field.send_keys(case)
        self.click("case-submit")
        self.wait("officer")

    def log_out(self) -> None:
        self.click("logout")
        self.wait("login-dev")


def test_block_request_from_submission_to_acknowledgement(live, committed, browser) -> None:  # type: ignore[no-untyped-def]
    base, _app = live
    decision = make_decision(committed)
    seller = make_subject(committed, owner="MOIT-DMS", name="Công ty TNHH Mỹ phẩm Giá Rẻ")
    violation = make_violation(committed, owner="MOIT-DMS", subjects=[seller])
    committed.commit()
    case = "45/QĐ-XPVPHC"
    officer = Officer(browser, base)

    # Market surveillance (MOIT-DMS) submits on MOST's written decision.
    officer.log_in("dms.an", case)
    assert browser.find_element(By.ID, "agency").text == "MOIT-DMS"
    officer.open("/console/block-requests/new")
    Select(officer.wait("action")).select_by_value("block_at_isp")
    Select(officer.wait("decision_id")).select_by_value(str(decision.id))
    officer.click(f"violation-{violation.id}")
    browser.find_element(By.ID, "targets").send_keys("domain my-pham-gia-re.vn")
    browser.find_element(By.ID, "executors").send_keys("ISP-VNPT")
    browser.find_element(By.ID, "reason").send_keys("Website bán mỹ phẩm giả")
    officer.click("submit-request")
    assert officer.wait("request-state").text == "đã gửi"  # submitted, in Vietnamese
    request_path = browser.current_url.removeprefix(base)
    officer.log_out()

    # The deciding agency (MOST): its queue, then review, approve (four-eyes) and dispatch.
    officer.log_in("most.binh", case)
    officer.open("/console/block-requests?state=submitted")
    officer.wait("queue")
    assert "my-pham-gia-re.vn" in browser.find_element(By.ID, "queue").text
    officer.open(f"/console/subjects/{seller.id}/history")  # the decider reads the seller's history
    officer.wait("timeline")
    officer.open(request_path)
    for step, state in (
        ("start_review", "đang xem xét"),
        ("approve", "đã phê duyệt"),
        ("dispatch", "đã chuyển thực hiện"),
    ):
        officer.click(f"step-{step}")
        WebDriverWait(browser, WAIT).until(
            seen.text_to_be_present_in_element((By.ID, "request-state"), state)
        )
    assert browser.find_element(By.ID, "approved-by").text == "most.binh"
    officer.log_out()

    # The ISP acknowledges execution; the request is in effect.
    officer.log_in("vnpt.dung", case)
    officer.open("/console/orders")
    officer.wait("orders")
    assert "my-pham-gia-re.vn" in browser.find_element(By.ID, "orders").text
    officer.open(request_path.replace("/block-requests/", "/orders/"))
    outcome = officer.wait("order-targets").find_element(By.CSS_SELECTOR, "select[id^=outcome-]")
    Select(outcome).select_by_value("executed")
    officer.click("acknowledge")
    WebDriverWait(browser, WAIT).until(
        seen.text_to_be_present_in_element((By.ID, "order-state"), "đang có hiệu lực")
    )
    officer.log_out()

    # The auditor finds who reached the seller, and why: the decider's read with the case.
    officer.log_in("audit.minh", "AUD-2026/12")
    officer.open("/console/audit")
    officer.wait("resource").send_keys(f"subject:{seller.id}")
    officer.click("audit-search")
    hits = officer.wait("audit-hits").text
    assert "most.binh" in hits and "subject:history" in hits and case in hits, hits
    assert officer.wait("accesses-csv").get_attribute("href").endswith(f"/{seller.id}/accesses.csv")
