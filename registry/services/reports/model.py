"""What a report is made of: a period, a scope, sections of figures, each figure with its records' link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.models.reports import VN  # a report's dates are dates in Vietnam

HANDLED = "sanctioned"  # a case handled: sanctioned (the plan's "xử lý")


@dataclass(frozen=True)
class Period:
    """From the start of `start` to the end of `end`, Vietnamese dates, both included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), VN)

    @property
    def until(self) -> datetime:
        """The last microsecond of `end` (the lists' `*_to` filters include their bound)."""
        return datetime.combine(self.end + timedelta(days=1), time(), VN) - timedelta(microseconds=1)


@dataclass(frozen=True)
class Scope:
    """Whose work a report counts: everyone's, one agency's (as owner), or one province's."""

    kind: str  # nationwide | agency | province
    agency: str | None = None  # the agency's code (kind agency)
    agency_id: int | None = None
    province: str | None = None  # as the records name it (kind province)


@dataclass(frozen=True)
class Link:
    """A list endpoint and its filters: the records behind a figure, as the caller may see them."""

    path: str
    params: dict[str, str]

    @property
    def url(self) -> str:
        return f"{self.path}?{urlencode(sorted(self.params.items()))}" if self.params else self.path


@dataclass(frozen=True)
class Figure:
    """One number. `counts` says the number is the `total` of the list `link` names (else the link is
    the records the number is summed over, e.g. an amount)."""

    key: str  # e.g. "detected", "by_category.COUNTERFEIT.handled"
    label: str  # English; the console shows it translated
    value: int
    unit: str  # count | vnd
    link: Link | None
    counts: bool = True
    group: str | None = None  # e.g. "by_category"
    item: str | None = None  # e.g. "COUNTERFEIT"


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    available: bool = True  # False: the caller may not read these records; no figures
    note: str | None = None
    chart: bool = True  # whether GET /reports/charts/{key}.png draws it

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


@dataclass(frozen=True)
class Context:
    """What a section function is given: the session, the caller, the period and the scope."""

    session: Session
    principal: Principal
    period: Period
    scope: Scope
    now: datetime
    shared: dict[str, Any] = field(default_factory=dict)  # what sections share, computed once

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()`, once per report (two sections read the same totals of the cases)."""
        if key not in self.shared:
            self.shared[key] = compute()
        return self.shared[key]


SectionFunction = Callable[[Context], Section]


@dataclass
class Report:
    period: Period
    scope: Scope
    preset: str | None
    generated_at: datetime
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def as_dict(report: Report) -> dict[str, Any]:
    """The report as the API's JSON shows it."""
    return {
        "period": {"start": report.period.start, "end": report.period.end},
        "preset": report.preset,
        "scope": {
            "kind": report.scope.kind,
            "agency": report.scope.agency,
            "province": report.scope.province,
        },
        "generated_at": report.generated_at,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "available": s.available,
                "note": s.note,
                "chart": f"/api/v1/reports/charts/{s.key}.png" if s.chart and s.available else None,
                "figures": [
                    {
                        "key": f.key,
                        "label": f.label,
                        "group": f.group,
                        "item": f.item,
                        "value": f.value,
                        "unit": f.unit,
                        "counts": f.counts,
                        "link": f.link.url if f.link else None,
                    }
                    for f in s.figures
                ],
            }
            for s in report.sections
        ],
    }
