"""Working days in Vietnam: weekends, public holidays and the Government's swapped days are not working days.

Two sources, one calendar:
- the public holidays of the Labour Code (art. 112) come from the `holidays` package (country VN: New
  Year, Tết, Hùng Kings, 30 April, 1 May, National Day, and the observed days it knows);
- the days the Government moves each year (a weekday off in exchange for a weekend working day, a bridge
  day) come from a dated file (`registry/data/vn-holidays.json`, REGISTRY_HOLIDAYS_FILE): `days_off`,
  `working_days`, and `years`, the years whose announcement the file includes, each with its source.

A year is *covered* when the file lists it in `years`: its announcement has been read and entered. Counting
in a year that is not covered would treat its swapped days (and, with an old `holidays` release, even
Tết) as ordinary days, so `require_covered` refuses it with a clear message. `registry workflows tick`
checks it (`calendar_tick`: the current year and the year two weeks ahead, so a missing year shows before
it starts) and exits non-zero with that message; the app logs it at start-up. Neither stops the work:
counting never fails a request, and expiry goes on.

All counting is done on the Vietnamese calendar (UTC+7, no daylight saving) whatever the server's zone;
the results are aware datetimes that the caller may store as UTC.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import holidays

from registry.services import rulefiles

VIETNAM = timezone(timedelta(hours=7))
LOOKAHEAD = timedelta(days=14)  # the tick wants next year entered this long before it starts


class CalendarNotCovered(RuntimeError):
    """A year in use is not in the swapped-days file: working days would be counted wrongly."""


@functools.cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


@dataclass(frozen=True)
class Calendar:
    path: str
    years: frozenset[int]  # the years whose Government announcement the file includes
    fixed: frozenset[str]  # "MM-DD", every year (older files; the package has the fixed holidays)
    days_off: frozenset[date]
    working: frozenset[date]  # weekend days made working days in exchange for a day off
    package: bool = True  # the `holidays` package's VN public holidays count too

    def is_working_day(self, day: date) -> bool:
        if day in self.working:
            return True
        if day.weekday() >= 5 or day in self.days_off or day.strftime("%m-%d") in self.fixed:
            return False
        return not (self.package and day in _public_holidays(day.year))

    def uncovered(self, years: Iterable[int]) -> list[int]:
        return sorted(set(years) - self.years)

    def require_covered(self, years: Iterable[int]) -> None:
        missing = self.uncovered(years)
        if missing:
            listed = ", ".join(str(y) for y in sorted(self.years)) or "none"
            raise CalendarNotCovered(
                f"The working-day calendar {self.path} does not cover {', '.join(map(str, missing))} "
                f"(it covers {listed}): add the Government's announcement of days off and swapped working "
                "days for that year (with its source) to the file's `years`, `days_off` and `working_days`, "
                "or freeze-order deadlines and transaction delays will be counted wrongly."
            )


@functools.cache
def _load(path: str) -> Calendar:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    days_off = {**raw.get("dated", {}), **raw.get("days_off", {})}  # "dated": the older name
    working = raw.get("working_days", ())
    return Calendar(
        path=path,
        years=frozenset(int(y) for y in raw.get("years", {})),
        fixed=frozenset(raw.get("fixed", ())),
        days_off=frozenset(date.fromisoformat(d) for d in days_off),
        working=frozenset(date.fromisoformat(d) for d in working),
        package=bool(raw.get("public_holidays_from_package", True)),
    )


def calendar() -> Calendar:
    """The configured calendar (`Settings.holidays_file`: REGISTRY_HOLIDAYS_FILE, else registry/data)."""
    return _load(str(rulefiles.current().holidays))


def local(at: datetime) -> datetime:
    return at.astimezone(VIETNAM)


def years_in_use(now: datetime, *, ahead: timedelta = timedelta(0)) -> set[int]:
    """The Vietnamese calendar years of `now` and of `now + ahead`."""
    return {local(now).year, local(now + ahead).year}


def require_covered(years: Iterable[int]) -> None:
    """CalendarNotCovered unless the configured file covers every one of `years`."""
    calendar().require_covered(years)


def calendar_tick(session: object = None, *, now: datetime) -> dict[str, int]:
    """The `calendar` entry of `registry workflows tick`: CalendarNotCovered (so the tick exits non-zero
    with the message operators watch for) unless this year and the year two weeks ahead are covered."""
    years = years_in_use(now, ahead=LOOKAHEAD)
    require_covered(years)
    return {"years_covered": len(years)}


def is_working_day(day: date) -> bool:
    return calendar().is_working_day(day)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def end_of_working_day(at: datetime, working_days: int = 0) -> datetime:
    """The end (midnight, Vietnam) of the working day `at` falls on, or of the next one if it falls on
    none, moved on by `working_days` further working days."""
    day = next_working_day(local(at).date())
    for _ in range(working_days):
        day = next_working_day(day + timedelta(days=1))
    return datetime.combine(day + timedelta(days=1), time(0), VIETNAM).astimezone(UTC)


def add_working_days(at: datetime, working_days: int) -> datetime:
    """`at` moved on by whole working days, keeping the time of day.

    A moment on a non-working day counts from the start of the next working day, so a delay that starts
    on a Saturday lasts until the end of the third working day after it, never longer.
    """
    moment = local(at)
    if not is_working_day(moment.date()):
        moment = datetime.combine(next_working_day(moment.date()), time(0), VIETNAM)
    day = moment.date()
    for _ in range(working_days):
        day = next_working_day(day + timedelta(days=1))
    return datetime.combine(day, moment.timetz()).astimezone(UTC)
