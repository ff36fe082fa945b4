"""The reports page: a period (a preset of the plan's rhythm, or dates) and a scope, the sections with
their charts, and the CSV and XLSX downloads. Each route mirrors the API's (GET /api/v1/reports and its
charts) with the same action, scope, schema and service."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask_babel import lazy_gettext

from registry.api.context import writes_on_read
from registry.api.reports import build_report, chart_png, download
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.i18n import code_label
from registry.console.pages.common import caller, load, render
from registry.console.session import page
from registry.schemas.reports import ChartQuery, ReportQuery
from registry.services import reports

_QUERY, _CHART = ReportQuery(), ChartQuery()
ASKED = ("preset", "from", "to", "scope", "agency", "province")
# The words of the sections and figures (the API's are English), in the officer's language.
LABELS = {
    "Cases detected and handled": lazy_gettext("Cases detected and handled"),
    "Fines, tax recovered and goods value (VND), of the cases detected": lazy_gettext(
        "Fines, tax recovered and goods value (VND), of the cases detected"
    ),
    "Cases referred to the police": lazy_gettext("Cases referred to the police"),
    "Listings, shops and accounts removed": lazy_gettext("Listings, shops and accounts removed"),
    "Websites, domains and IPs blocked and lifted": lazy_gettext(
        "Websites, domains and IPs blocked and lifted"
    ),
    "Accounts frozen and transactions delayed": lazy_gettext("Accounts frozen and transactions delayed"),
    "Workflow steps overdue (now)": lazy_gettext("Workflow steps overdue (now)"),
    "Cases detected": lazy_gettext("Cases detected"),
    "Cases handled (sanctioned)": lazy_gettext("Cases handled (sanctioned)"),
    "Cases handled": lazy_gettext("Cases handled"),
    "Fines": lazy_gettext("Fines"),
    "Tax recovered": lazy_gettext("Tax recovered"),
    "Value of goods": lazy_gettext("Value of goods"),
    "Cases referred": lazy_gettext("Cases referred"),
    "Referrals (a case may go to several bodies)": lazy_gettext(
        "Referrals (a case may go to several bodies)"
    ),
    "Requests that took effect": lazy_gettext("Requests that took effect"),
    "Requests lifted": lazy_gettext("Requests lifted"),
    "Freeze orders with accounts frozen": lazy_gettext("Freeze orders with accounts frozen"),
    "Accounts frozen": lazy_gettext("Accounts frozen"),
    "Amount frozen": lazy_gettext("Amount frozen"),
    "Transactions delayed": lazy_gettext("Transactions delayed"),
    "Amount delayed": lazy_gettext("Amount delayed"),
    "Steps overdue": lazy_gettext("Steps overdue"),
    "Tips from the public": lazy_gettext("Tips from the public"),
    "Tips received": lazy_gettext("Tips received"),
    "Tips resolved": lazy_gettext("Tips resolved"),
    "Tips handled (acted upon)": lazy_gettext("Tips handled (acted upon)"),
    "The caller does not read block requests.": lazy_gettext("Your agency does not read block requests."),
    "The caller does not read freeze orders.": lazy_gettext("Your agency does not read freeze orders."),
    "The caller does not read overdue steps.": lazy_gettext("Your agency does not read overdue steps."),
}
GROUPS = {
    "by_category": lazy_gettext("Category"),
    "by_goods_group": lazy_gettext("Goods group"),
    "by_workflow": lazy_gettext("Workflow"),
    "all": lazy_gettext("all targets"),
}
PRESET_LABELS = {
    "urgent": lazy_gettext("Urgent report (last 7 days)"),
    "quick": lazy_gettext("Quick report (last 30 days)"),
    "six_month": lazy_gettext("6-month report"),
    "year_1": lazy_gettext("1-year review"),
    "year_2": lazy_gettext("2-year review"),
    "year_3": lazy_gettext("3-year final review"),
}


def label(text: str | None) -> str:
    """A section's or figure's words: "Requests that took effect, with a domain target" reads as its
    first part, translated (the target kind is shown in its own column)."""
    if not text:
        return ""
    return str(LABELS.get(text.split(",")[0], text))


def code_words(code: str | None) -> str:
    """A group's or item's words: a report's own groups here, the console's codes otherwise."""
    return str(GROUPS[code]) if code in GROUPS else code_label(code)


# The console's pages of the lists a figure links to (they take the same filters); violations have none.
CONSOLE_LISTS = {
    "/api/v1/block-requests": "console.block_requests",
    "/api/v1/freeze-orders": "console.freeze_orders",
    "/api/v1/transaction-delays": "console.transaction_delays",
    "/api/v1/overdue": "console.overdue_steps",
}


def console_link(link: str | None) -> str | None:
    """The console page listing a figure's records, if the console has that list."""
    path, _, query = (link or "").partition("?")
    if path not in CONSOLE_LISTS:
        return None
    return url_for(CONSOLE_LISTS[path]) + (f"?{query}" if query else "")


def _asked() -> dict[str, Any]:
    return {key: value for key, value in request.args.items() if key in ASKED and value}


@bp.route("/reports", methods=["GET"])
@page("report:read", Scope.REPORTS_READ)
@writes_on_read
def reports_page() -> Any:
    """As GET /api/v1/reports, drawn: the figures by section, each with its chart."""
    asked = _asked()
    report = build_report(load(_QUERY, asked))
    return render(
        "console/reports/report.html",
        report=reports.as_dict(report),
        asked=asked,
        presets=PRESET_LABELS,
        label=label,
        code_words=code_words,
        console_link=console_link,
        nationwide=reports.nationwide(caller()),
    )


@bp.route("/reports/charts/<section>.png", methods=["GET"])
@page("report:chart", Scope.REPORTS_READ)
@writes_on_read
def report_chart(section: str) -> Response:
    """As GET /api/v1/reports/charts/{section}.png."""
    return Response(chart_png(load(_CHART, _asked()), section), mimetype="image/png")


@bp.route("/reports/download.<any(csv, xlsx):fmt>", methods=["GET"])
@page("report:read", Scope.REPORTS_READ)
@writes_on_read
def report_download(fmt: str) -> Response:
    """As GET /api/v1/reports?format=csv|xlsx."""
    return download(build_report(load(_QUERY, _asked())), fmt)
