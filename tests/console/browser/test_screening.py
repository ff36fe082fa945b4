"""The screening upload in a real browser: a customs officer logs in through the development identity
provider, chooses a case, uploads a CSV list from the file input and reads the answer: a match linked
to the seller's history, a no-match and an invalid line. The answer page is the last page, saved as
tmp_path/last-page.png (and console-screening.png)."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By

from tests.console.browser.test_block_workflow import Officer
from tests.factories import Actors, create_subject, create_violation

TAX = "0100109106"


def test_the_screening_upload(live, committed, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base, app = live
    actors = Actors(app, committed)
    dms = actors.headers("MOIT-DMS")
    committed.commit()  # the token's client, seen by the server
    api = app.test_client()
    seller = create_subject(api, dms, name="Công ty TNHH Mỹ phẩm Sàng Lọc", tax_code=TAX)
    create_violation(api, dms, [seller["id"]], categories=["COUNTERFEIT"])
    listed: Any = tmp_path / "danh-sach.csv"
    listed.write_text(f"Giá trị;Loại\n{TAX};tax_code\nkhong-ai-biet.vn;\nkhông phải định danh\n", "utf-8-sig")

    officer = Officer(browser, base)
    officer.log_in("customs.hoa", "88/QĐ-HQ")
    officer.open("/console/")
    officer.click("home-screening")
    officer.wait("screening-file").send_keys(str(listed))
    officer.click("screening-submit")
    results = officer.wait("screening-results")
    assert officer.wait("screening-matches").text == "1"
    rows = results.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [row.get_attribute("class") for row in rows] == [
        "outcome-match",
        "outcome-no_match",
        "outcome-invalid",
    ]
    assert "khớp" in rows[0].text and "COUNTERFEIT: 1" in rows[0].text
    link = rows[0].find_element(By.CSS_SELECTOR, "a.subject")
    assert link.get_attribute("href") == f"{base}/console/subjects/{seller['id']}/history"
    browser.save_screenshot(str(tmp_path / "console-screening.png"))  # the fixture saves it again at the end
    assert (tmp_path / "console-screening.png").stat().st_size > 10_000
