"""A person files a tip on the public site in a real browser: the proof of work solved by the page's
script (crypto.subtle) under the strict Content-Security-Policy, a file attached, the receipt code shown
once; then the status read with the code, before and after the routed agency's officer takes the tip under
review and closes it in the console."""

from __future__ import annotations

import dataclasses

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from registry.models import Tip, TipChallenge
from tests.console.browser.test_block_workflow import Officer
from tests.tips.helpers import PNG

BITS = 14  # a real search: about 16,000 hashes in the browser


def test_a_tip_is_filed_on_the_public_page_and_followed_with_its_code(
    live, committed, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    base, app = live
    state = app.extensions["registry"]
    before = state.settings
    state.settings = dataclasses.replace(before, tip_pow_bits=BITS)
    try:
        picture = tmp_path / "anh-chup.png"
        picture.write_bytes(PNG)
        person = Officer(browser, base)
        person.open("/")
        person.click("nav-tips")
        Select(person.wait("kind")).select_by_value("website")
        browser.find_element(By.ID, "value").send_keys("https://my-pham-gia-re.vn/kem-trang-da")
        Select(browser.find_element(By.ID, "category")).select_by_value("COUNTERFEIT")
        Select(browser.find_element(By.ID, "goods_group")).select_by_value("cosmetics")
        browser.find_element(By.ID, "description").send_keys(
            "Kem trắng da giả, không có nhãn phụ tiếng Việt."
        )
        browser.find_element(By.ID, "attachments").send_keys(str(picture))
        browser.find_element(By.ID, "contact_email").send_keys("nguoi.mua@example.vn")
        person.click("send-tip")
        code = person.wait("receipt-code").text
        assert code.startswith("TB-"), browser.page_source[:2000]
        assert browser.find_element(By.ID, "tip-status").get_attribute("data-status") == "received"
    finally:
        state.settings = before

    tip = committed.scalars(select(Tip).where(Tip.group_display == "my-pham-gia-re.vn")).one()
    assert len(tip.attachments) == 1 and tip.attachments[0].content_type == "image/png"
    assert tip.contact_enc is not None and len(committed.scalars(select(TipChallenge)).all()) == 1
    committed.commit()  # end the read: SQLite lets the server write again

    def status_shown() -> str:
        person.open("/tips/status")
        person.wait("receipt_code").send_keys(code)
        browser.find_element(By.CSS_SELECTOR, "#status-form button").click()
        return person.wait("tip-status").get_attribute("data-status")

    assert status_shown() == "received"
    assert "my-pham-gia-re" not in browser.page_source  # the status, nothing else

    officer = Officer(browser, base)  # the routed agency (market surveillance) works it in the console
    officer.log_in("dms.thu", "TB-2026/7")
    officer.click("nav-tips")
    officer.wait("tip-groups")
    browser.find_element(By.CSS_SELECTOR, "#tips a.tip-link").click()
    assert "Kem trắng da giả" in officer.wait("tip-description").text
    officer.click("triage-tip")
    assert officer.has("tip-status", "data-status", "under_review")
    Select(officer.wait("outcome")).select_by_value("handled")
    browser.find_element(By.ID, "note").send_keys("Đã xử phạt người bán, gỡ trang web.")
    officer.click("close-tip")
    officer.wait("tip-outcome")
    assert browser.find_element(By.ID, "tip-status").get_attribute("data-status") == "handled"
    assert status_shown() == "handled"
