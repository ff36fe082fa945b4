"""Working days in Vietnam: weekends and public holidays (from a dated data file) are not working days.

All counting is done on the Vietnamese calendar (UTC+7, no daylight saving) whatever the server's zone;
the results are aware datetimes that the caller may store as UTC.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

from registry.services import rulefiles

VIETNAM = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Calendar:
    fixed: frozenset[str]  # "MM-DD", every year
    dated: frozenset[date]
    working: frozenset[date]  # weekend days made working days in exchange for a day off

    def is_working_day(self, day: date) -> bool:
        if day in self.working:
            return True
        if day.weekday() >= 5 or day in self.dated:
            return False
        return day.strftime("%m-%d") not in self.fixed


@functools.cache
def _load(path: str) -> Calendar:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return Calendar(
        fixed=frozenset(raw.get("fixed", ())),
        dated=frozenset(date.fromisoformat(d) for d in raw.get("dated", {})),
        working=frozenset(date.fromisoformat(d) for d in raw.get("working_days", ())),
    )


def calendar() -> Calendar:
    """The configured calendar (`Settings.holidays_file`: REGISTRY_HOLIDAYS_FILE, else registry/data)."""
    return _load(str(rulefiles.current().holidays))


def local(at: datetime) -> datetime:
    return at.astimezone(VIETNAM)


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
