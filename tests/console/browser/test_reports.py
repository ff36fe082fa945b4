"""The Standing Office's report in a real browser: a period chosen, the figures and their charts shown,
the downloads offered."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from tests.console.browser.test_block_workflow import Officer
from tests.reports import report_data


def test_the_office_reads_a_half_year_s_report_with_its_charts(live, committed, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base, _app = live
    report_data(committed)
    committed.commit()
    officer = Officer(browser, base)
    officer.log_in("nsc.lan", "BC-389/2026")
    officer.open("/console/")
    officer.click("nav-reports")
    officer.wait("report-form")
    Select(officer.wait("preset")).select_by_value("")  # dates, not a preset
    for field, day in (("from", "2026-01-01"), ("to", "2026-06-30")):
        browser.execute_script("arguments[0].value = arguments[1]", officer.wait(field), day)
    Select(officer.wait("scope")).select_by_value("nationwide")
    officer.click("report-submit")
    assert officer.wait("period-from").text == "2026-01-01" and officer.wait("period-to").text == "2026-06-30"
    cases = officer.wait("section-cases")
    assert "Các vụ việc phát hiện và xử lý" in cases.text
    detected = cases.find_element(By.CSS_SELECTOR, "tr[data-key='detected'] td.figure").text
    assert detected == "4"
    frozen = officer.wait("section-freezes").find_element(
        By.CSS_SELECTOR, "tr[data-key='frozen_vnd'] td.figure"
    )
    assert frozen.text.replace(".", "").replace("\u00a0", " ").startswith("150000000")
    charts = browser.find_elements(By.CSS_SELECTOR, "img.chart")
    assert len(charts) >= 5
    for chart in charts:  # each picture loaded (the console's PNG route, under its CSP)
        assert (
            browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", chart) == 800
        )
    assert "download.csv?" in officer.wait("download-csv").get_attribute("href")
    assert "from=2026-01-01" in officer.wait("download-xlsx").get_attribute("href")
    browser.save_screenshot(str(tmp_path / "console-report.png"))
    # The Hanoi figures: one province.
    Select(officer.wait("scope")).select_by_value("province")
    officer.wait("province").send_keys("Hà Nội")
    officer.click("report-submit")
    assert officer.wait("report-scope").text == "Hà Nội"
    cases = officer.wait("section-cases")
    assert cases.find_element(By.CSS_SELECTOR, "tr[data-key='detected'] td.figure").text == "2"
