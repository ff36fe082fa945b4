"""README's pictures of the console, taken as a test: the decider's queue and a seller's history over
demo data (services.demo, as `make run` loads it), in Vietnamese, in the browser test's headless
Chromium. Each picture is saved under the test's temporary folder, and also in the folder
REGISTRY_SCREENSHOTS names: `make screenshots` writes docs/images/ with it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from sqlalchemy import select

from registry.models import Subject
from registry.services import demo
from tests.console.browser.test_block_workflow import Officer
from tests.factories import make_decision, make_violation

TARGETS = (
    "domain my-pham-gia-re.vn",
    "domain thuoc-giam-can-xach-tay.com",
    "url https://shop.example.vn/p/123",
)


def _save(driver: Any, folder: Path, name: str) -> Path:
    path = folder / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000  # a page was drawn, not a blank viewport
    wanted = os.environ.get("REGISTRY_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(wanted) / name)
    return path


def test_screenshots_of_the_deciders_queue_and_a_seller_history(live, committed, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base, app = live
    demo.generate(committed, cipher=app.extensions["registry"].cipher, subjects=30, seed=389)
    decision = make_decision(committed)
    sellers = committed.scalars(
        select(Subject).where(Subject.kind == "organisation").order_by(Subject.name)
    ).all()[:3]
    violations = [make_violation(committed, owner="MOIT-DMS", subjects=[seller]) for seller in sellers]
    committed.commit()
    officer = Officer(browser, base)
    case = "45/QĐ-XPVPHC"

    officer.log_in("dms.an", case)
    for violation, target in zip(violations, TARGETS, strict=True):
        officer.open("/console/block-requests/new")
        Select(officer.wait("action")).select_by_value("block_at_isp")
        Select(officer.wait("decision_id")).select_by_value(str(decision.id))
        officer.click(f"violation-{violation.id}")
        browser.find_element(By.ID, "targets").send_keys(target)
        browser.find_element(By.ID, "executors").send_keys("ISP-VNPT")
        browser.find_element(By.ID, "reason").send_keys("Kinh doanh hàng giả trên mạng")
        officer.click("submit-request")
        officer.wait("request-state")
    officer.log_out()

    officer.log_in("most.binh", case)
    officer.open("/console/block-requests?state=submitted")
    queue = officer.wait("queue").text
    assert all(target.split()[1] in queue for target in TARGETS), queue
    _save(browser, tmp_path, "console-decider-queue.png")

    officer.open(f"/console/subjects/{sellers[0].id}/history")
    assert officer.wait("subject-name").text == sellers[0].name
    assert TARGETS[0].split()[1] in officer.wait("timeline").text
    _save(browser, tmp_path, "console-seller-history.png")


def test_the_report_chart_over_demo_data(live, committed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """README's report chart: the nationwide cases by category and goods group over the demo data's
    700 days, as GET /api/v1/reports/charts/cases.png draws it for the Standing Office."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func

    from registry.auth.principal import Principal
    from registry.models import Agency
    from registry.services import reports
    from registry.services.reports import charts

    _base, app = live
    if not committed.scalar(select(func.count()).select_from(Subject)):
        demo.generate(committed, cipher=app.extensions["registry"].cipher, subjects=30, seed=389)
        committed.commit()
    office = committed.scalars(select(Agency).where(Agency.code == "NSC389")).one()
    principal = Principal(
        "demo", office.code, office.id, office.kind, frozenset({"reports:read", "registry:read"})
    )
    end = demo.DEMO_EPOCH.date()
    report = reports.build(
        committed,
        principal,
        period=reports.Period(end - timedelta(days=700), end),
        scope=reports.Scope("nationwide"),
        now=datetime.now(UTC),
        sections=["cases"],
    )
    data = charts.chart_data(report.section("cases"))
    assert sum(data.series[0][1]) >= report.section("cases").figure("detected").value > 0
    path = tmp_path / "report-cases.png"
    path.write_bytes(charts.render(data))
    wanted = os.environ.get("REGISTRY_SCREENSHOTS")
    if wanted:
        shutil.copyfile(path, Path(wanted) / path.name)
