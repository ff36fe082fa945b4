"""Working days: the `holidays` package's Vietnamese public holidays, the Government's swapped days from a
dated file, and the check that refuses a year the file does not cover (Tết 2027 would count as working)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, date, datetime

import holidays
import pytest
from click.testing import CliRunner

from registry.app import create_app
from registry.cli import main
from registry.services import freezing, rulefiles, workdays
from registry.services.workdays import VIETNAM


@pytest.fixture
def swapped_days(tmp_path, request):
    """Use a swapped-days file listing `years` (and nothing else) for this test."""

    def use(years: list[int], **extra: object):
        path = tmp_path / f"swapped-{'-'.join(map(str, years))}.json"  # each its own (files are cached)
        path.write_text(json.dumps({"years": {str(y): {"source": "test"} for y in years}, **extra}))
        previous = rulefiles.configure(dataclasses.replace(rulefiles.current(), holidays=path))
        request.addfinalizer(lambda: rulefiles.configure(previous))
        return path

    return use


def test_the_package_gives_tet_and_the_file_the_swapped_days(swapped_days):
    swapped_days([2027], working_days={"2027-02-13": "a Saturday worked (test)"})
    # Tết 2027 from the `holidays` package: Thursday 4 to Wednesday 10 February.
    assert [workdays.is_working_day(date(2027, 2, d)) for d in range(3, 12)] == [
        True, False, False, False, False, False, False, False, True
    ]  # fmt: skip
    assert workdays.is_working_day(date(2027, 2, 13))  # a Saturday the file makes a working day
    assert workdays.end_of_working_day(datetime(2027, 2, 3, 15, tzinfo=VIETNAM), 1) == datetime(
        2027, 2, 12, tzinfo=VIETNAM
    )  # Wednesday before Tết, one more working day: Thursday 11 February


def test_the_shipped_file_covers_its_years_with_sources_and_agrees_with_the_package():
    shipped = json.loads(rulefiles.RuleFiles().holidays.read_text(encoding="utf-8"))
    assert shipped["_date"] and set(shipped["years"]) >= {"2025", "2026"}
    assert all(entry["source"] for entry in shipped["years"].values())
    calendar = workdays.calendar()
    for year in map(int, shipped["years"]):
        public = holidays.country_holidays("VN", years=year)
        # Every day the package names as swapped for a weekend working day has that working day listed.
        for day, name in public.items():
            if "substituted from" in name:
                worked = datetime.strptime(name.rsplit(" ", 1)[-1].rstrip(")"), "%m/%d/%Y").date()
                assert worked.isoformat() in shipped["working_days"], (day, name)
                assert not calendar.is_working_day(day) and calendar.is_working_day(worked)
    # Tết 2026 (16-20 February), Hùng Kings observed on Monday 27 April 2026, 31 August 2026 swapped.
    assert not any(calendar.is_working_day(date(2026, 2, d)) for d in range(16, 21))
    assert not calendar.is_working_day(date(2026, 4, 27)) and calendar.is_working_day(date(2026, 4, 29))
    assert not calendar.is_working_day(date(2026, 8, 31)) and calendar.is_working_day(date(2026, 8, 22))


def test_the_tick_fails_with_a_clear_message_for_a_year_not_covered(swapped_days, db, cli_env):
    path = swapped_days([2026])
    with pytest.raises(workdays.CalendarNotCovered) as refused:
        workdays.calendar_tick(now=datetime(2027, 1, 10, tzinfo=UTC))
    assert "does not cover 2027" in str(refused.value) and str(path) in str(refused.value)
    # Two weeks ahead: from 18 December the next year must be entered.
    with pytest.raises(workdays.CalendarNotCovered, match="does not cover 2027"):
        workdays.calendar_tick(now=datetime(2026, 12, 20, tzinfo=UTC))
    assert workdays.calendar_tick(now=datetime(2026, 12, 1, tzinfo=UTC)) == {"years_covered": 1}
    # Expiry goes on regardless: it counts no working days.
    assert freezing.tick(db, now=datetime(2027, 1, 10, tzinfo=UTC))["freeze_orders_expired"] == 0
    swapped_days([2026, 2027])
    assert workdays.calendar_tick(now=datetime(2027, 1, 10, tzinfo=UTC)) == {"years_covered": 1}
    # Through the command: the other workflows' ticks run, and it exits non-zero naming the year.
    result = CliRunner().invoke(
        main, ["workflows", "tick"], env={**cli_env, "REGISTRY_HOLIDAYS_FILE": str(swapped_days([2020]))}
    )
    assert result.exit_code == 1 and "calendar: failed" in result.output and "does not cover" in result.output
    assert "freezing: freeze_orders_expired=0" in result.output


def test_the_app_starts_in_a_year_not_covered_and_says_so(settings, tmp_path, caplog):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"years": {"2020": {"source": "test"}}}))
    previous = rulefiles.current()
    try:
        create_app(dataclasses.replace(settings, holidays_file=path))
    finally:
        rulefiles.configure(previous)
    assert re.search(r"does not cover \d{4} \(it covers 2020\)", caplog.text)
