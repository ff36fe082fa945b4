"""Reports: the question (period, scope, sections, format) and the answer's shape."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from registry.services.reports import PRESETS, SCOPES

FORMATS = ("json", "csv", "xlsx")
# The dates a report may name: the registry's records start this century (and a day at the calendar's
# ends would overflow once turned into an instant in Vietnam).
DAYS = validate.Range(min=date(2000, 1, 1), max=date(2099, 12, 31))


class ChartQuery(Schema):
    """The period and scope of a report (a chart has no more)."""

    preset = fields.String(
        validate=validate.OneOf(PRESETS),
        metadata={
            "description": "the plan's rhythm: urgent (last 7 days), quick (last 30 days), six_month (the "
            "half-year containing `on`), year_1, year_2, year_3 (the plan's first 1, 2, 3 years: "
            "registry/data/reports.json). Not with from/to; neither: six_month"
        },
    )
    start = fields.Date(
        data_key="from", validate=DAYS, metadata={"description": "first day (Vietnam), with `to`"}
    )
    end = fields.Date(
        data_key="to", validate=DAYS, metadata={"description": "last day (Vietnam), included, with `from`"}
    )
    on = fields.Date(
        validate=DAYS, metadata={"description": "the day the presets count from; default today in Vietnam"}
    )
    scope = fields.String(
        validate=validate.OneOf(SCOPES),
        metadata={"description": "default: nationwide for the Standing Office and oversight agencies, the "
                  "province of a provincial office, else the caller's agency"},
    )  # fmt: skip
    agency = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "scope agency"})
    province = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "scope province"}
    )


class ReportQuery(ChartQuery):
    sections = DelimitedList(
        fields.String(validate=validate.Length(min=1, max=32)), validate=validate.Length(min=1)
    )
    format = fields.String(
        validate=validate.OneOf(FORMATS),
        metadata={"description": "json (default), csv or xlsx; or by Accept (text/csv, the XLSX type)"},
    )


class FigureRead(Schema):
    key = fields.String()
    label = fields.String()
    group = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    value = fields.Integer(metadata={"description": "a count, or whole VND"})
    unit = fields.String(metadata={"description": "count | vnd"})
    counts = fields.Boolean(metadata={"description": "true: `value` is the `total` of the list `link` names"})
    link = fields.String(allow_none=True, metadata={"description": "the list of the records behind it"})


class SectionRead(Schema):
    key = fields.String()
    title = fields.String()
    available = fields.Boolean(metadata={"description": "false: the caller does not read these records"})
    note = fields.String(allow_none=True)
    chart = fields.String(allow_none=True, metadata={"description": "the section's chart (PNG)"})
    figures = fields.List(fields.Nested(FigureRead))


class PeriodRead(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")


class ScopeRead(Schema):
    kind = fields.String()
    agency = fields.String(allow_none=True)
    province = fields.String(allow_none=True)


class ReportRead(Schema):
    period = fields.Nested(PeriodRead)
    preset = fields.String(allow_none=True)
    scope = fields.Nested(ScopeRead)
    generated_at = fields.DateTime()
    sections = fields.List(fields.Nested(SectionRead))
