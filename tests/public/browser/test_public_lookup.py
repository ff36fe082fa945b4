"""The public look-ups in a real browser: /check for a domain (checked by the registry) and for a bank
account and a phone number (hashed in the browser: the registry receives the 5-character prefix only,
as its audit log shows), then the list of violators. The check page is saved as public-check.png (in
REGISTRY_SCREENSHOTS too, as tests/console/browser/test_screenshots.py does)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from registry.audit.models import AuditEntry
from tests.console.browser.test_block_workflow import Officer
from tests.console.browser.test_screenshots import _save
from tests.public import seed

ACCOUNT_DIGITS = "0011001234567"
ACCOUNT = "970436:" + ACCOUNT_DIGITS


def _entries(committed, after: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(action, body) of the audit entries after `after`, read in a transaction ended at once: on
    SQLite a reader's open transaction would hold the server's writes back."""
    committed.rollback()  # a fresh snapshot: the server's commits
    query = select(AuditEntry.action, AuditEntry.body).where(AuditEntry.id > after).order_by(AuditEntry.id)
    found = [(action, body.decode()) for action, body in committed.execute(query)]
    committed.rollback()
    return found


def test_the_public_check_and_list(live, committed, browser, tmp_path: Path) -> None:
    base, app = live
    cipher = app.extensions["registry"].cipher
    seed.violation(
        committed,
        cipher,
        [("domain", "kiem-tra-gia.vn"), ("bank_account", "VCB:0011 0012 34567"), ("phone", "0912 345 679")],
        categories=("COUNTERFEIT", "MISLEADING_INFO"),
    )
    seed.violation(committed, cipher, [("bank_account", "VCB:9999888877")], visibility="state")
    committed.commit()
    before = committed.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
    committed.rollback()
    person = Officer(browser, base)

    person.open("/")
    person.click("tile-check")
    assert "Kiểm tra trước khi mua" in browser.find_element(By.TAG_NAME, "h1").text
    person.wait("value").send_keys("https://www.kiem-tra-gia.vn/khuyen-mai")
    person.click("website-submit")
    flagged = person.wait("website-flagged")
    assert "kiem-tra-gia.vn" in flagged.text
    violations = person.wait("website-violations").text
    assert "hàng giả" in violations and "Cục QLTT Hà Nội" in violations
    assert seed.SECRET_NAME not in browser.page_source

    Select(person.wait("bank")).select_by_value("970436")
    person.wait("account").send_keys("0011 0012 34567")
    person.click("bank-submit")
    verdict = person.wait("range-flagged")
    prefix = hashlib.sha256(ACCOUNT.encode()).hexdigest()[:5]
    assert "1" in verdict.text and "Cục QLTT Hà Nội" in person.wait("range-decisions").text
    assert prefix in person.wait("range-sent").text
    browser.execute_script("document.getElementById('range-heading').scrollIntoView()")
    _save(browser, tmp_path, "public-check.png")

    Select(person.wait("bank")).select_by_value("970436")
    account = person.wait("account")
    account.clear()
    account.send_keys("9999888877")  # a state-only case's account: not flagged
    person.click("bank-submit")
    person.wait("range-clear")
    phone = person.wait("phone")
    phone.send_keys("0912.345.679")
    person.click("phone-submit")
    person.wait("range-flagged")
    phone.clear()
    phone.send_keys("không phải số")
    person.click("phone-submit")
    person.wait("range-error")

    entries = _entries(committed, before)
    sent = [json.loads(body)["detail"] for action, body in entries if action == "public:range"]
    assert len(sent) == 3
    assert sent[0] == {"kind": "bank_account", "prefix": prefix}
    assert sent[2] == {"kind": "phone", "prefix": hashlib.sha256(b"+84912345679").hexdigest()[:5]}
    for _, body in entries:  # nothing the registry recorded holds a number checked, nor its full hash
        for secret in (
            ACCOUNT_DIGITS,
            "9999888877",
            "912345679",
            hashlib.sha256(ACCOUNT.encode()).hexdigest()[5:],
        ):
            assert secret not in body
    assert [action for action, _ in entries if action.startswith("public:check")] == ["public:check_page"] * 2

    person.click("nav-violators")
    listed = person.wait("violators").text
    assert "kiem-tra-gia.vn" in listed and "hàng giả" in listed
    assert browser.find_element(By.ID, "atom-link").get_attribute("href") == f"{base}/violators.atom"
