"""Reports for the Standing Office and the agencies (`reports:read`): exact figures for a period and a
scope, in sections (sections.SECTIONS), each figure linked to the records behind it. No Flask here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.errors import ValidationFailed
from registry.messages import msg
from registry.services.reports import summary
from registry.services.reports.model import VN, Context, Figure, Link, Period, Report, Scope, Section, as_dict
from registry.services.reports.rules import PRESETS, SCOPES, nationwide, preset_period, resolve_scope
from registry.services.reports.sections import SECTIONS

__all__ = [
    "PRESETS",
    "SCOPES",
    "SECTIONS",
    "VN",
    "Context",
    "Figure",
    "Link",
    "Period",
    "Report",
    "Scope",
    "Section",
    "as_dict",
    "build",
    "nationwide",
    "period_of",
    "preset_period",
    "resolve_scope",
    "section_keys",
]


def section_keys(asked: Sequence[str] | None) -> list[str]:
    """The sections asked for, in the report's order (all when None); an unknown one is refused."""
    if not asked:
        return list(SECTIONS)
    unknown = [key for key in asked if key not in SECTIONS]
    if unknown:
        raise ValidationFailed(
            msg("Unknown report section {key}.", key=unknown[0]),
            errors={"sections": [f"must be one of {list(SECTIONS)}"]},
        )
    return [key for key in SECTIONS if key in asked]


def period_of(preset: str | None, start: date | None, end: date | None, today: date) -> Period:
    """The period asked for: a preset's, or from/to (both), or by default the current half-year's."""
    if preset and (start or end):
        raise ValidationFailed(
            "Ask for a preset or for from/to, not both.", errors={"preset": ["not with from or to"]}
        )
    if preset:
        return preset_period(preset, today)
    if start is None and end is None:
        return preset_period("six_month", today)
    if start is None or end is None:
        missing = "from" if start is None else "to"
        raise ValidationFailed(
            "A period needs both from and to.", errors={missing: ["required with the other"]}
        )
    if end < start:
        raise ValidationFailed(
            "The period ends before it starts.", errors={"to": ["must not be before from"]}
        )
    return Period(start, end)


def build(
    session: Session,
    principal: Principal,
    *,
    period: Period,
    scope: Scope,
    now: datetime,
    preset: str | None = None,
    sections: Sequence[str] | None = None,
) -> Report:
    """The report: each section computed by its function, in order, after the summary of the cases has
    been brought up to date (summary.bring_up_to_date)."""
    summary.bring_up_to_date(session)
    context = Context(session, principal, period, scope, now)
    return Report(period, scope, preset, now, [SECTIONS[key](context) for key in section_keys(sections)])
