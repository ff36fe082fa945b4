"""Who may ask for which scope, and the plan's rhythm (registry/data/reports.json), with the presets.

Nationwide: the Standing Office (`nationwide_agencies`) and agencies of kind `oversight`; they may also
ask for any one agency or province. A provincial 389 office: its own province (`province_agencies`) or
its own agency. Any other agency: its own agency. Asked for nothing, each gets the widest it may have.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import PermissionDenied, ValidationFailed
from registry.messages import msg
from registry.models import Agency, AgencyKind
from registry.services import rulefiles
from registry.services.reports.model import Period, Scope

SCOPES = ("nationwide", "agency", "province")
PRESETS = ("urgent", "quick", "six_month", "year_1", "year_2", "year_3")


@dataclass(frozen=True)
class Rules:
    nationwide_agencies: frozenset[str]
    province_agencies: dict[str, str]
    plan_start: date
    plan_end: date


@functools.cache
def _load(path: str) -> Rules:
    raw: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return Rules(
        nationwide_agencies=frozenset(raw["nationwide_agencies"]),
        province_agencies=dict(raw["province_agencies"]),
        plan_start=date.fromisoformat(raw["plan"]["start"]),
        plan_end=date.fromisoformat(raw["plan"]["end"]),
    )


def rules() -> Rules:
    return _load(str(rulefiles.current().reports))


def nationwide(principal: Principal) -> bool:
    return principal.agency in rules().nationwide_agencies or principal.agency_kind == AgencyKind.OVERSIGHT


def resolve_scope(
    session: Session,
    principal: Principal,
    *,
    kind: str | None,
    agency: str | None = None,
    province: str | None = None,
) -> Scope:
    """The scope asked for, if the caller may ask for it (else PermissionDenied)."""
    own_province = rules().province_agencies.get(principal.agency)
    if kind is None:
        kind = "nationwide" if nationwide(principal) else "province" if own_province else "agency"
    if kind == "nationwide":
        if not nationwide(principal):
            raise PermissionDenied(
                "The nationwide report is for the Standing Office and the oversight agencies."
            )
        return Scope("nationwide")
    if kind == "province":
        province = province or own_province
        if not province:
            raise ValidationFailed("Which province?", errors={"province": ["required for scope province"]})
        if not nationwide(principal) and province != own_province:
            raise PermissionDenied("A provincial office reports on its own province only.")
        return Scope("province", province=province)
    code = agency or principal.agency
    if code != principal.agency and not nationwide(principal):
        raise PermissionDenied("An agency reports on its own work only.")
    found = session.scalar(select(Agency.id).where(Agency.code == code))
    if found is None:
        raise ValidationFailed(
            msg("Unknown agency {code}.", code=code), errors={"agency": ["unknown agency"]}
        )
    return Scope("agency", agency=code, agency_id=found)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def preset_period(preset: str, today: date) -> Period:
    """The period of a preset of the plan's rhythm, `today` being the day the report is made.

    urgent: the last 7 days (an ad hoc report on what just happened); quick: the last 30 days;
    six_month: the half-year containing today (January-June or July-December); year_1, year_2, year_3:
    the plan's first one, two or three years from its start (the 1- and 2-year reviews, the 3-year
    final review).
    """
    if preset == "urgent":
        return Period(today - timedelta(days=6), today)
    if preset == "quick":
        return Period(today - timedelta(days=29), today)
    if preset == "six_month":
        if today.month <= 6:
            return Period(date(today.year, 1, 1), date(today.year, 6, 30))
        return Period(date(today.year, 7, 1), date(today.year, 12, 31))
    years = {"year_1": 1, "year_2": 2, "year_3": 3}[preset]
    start = rules().plan_start
    return Period(start, _add_years(start, years) - timedelta(days=1))
