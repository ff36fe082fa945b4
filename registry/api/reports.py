"""Reports (`reports:read`): exact figures for a period and a scope, as JSON, CSV or XLSX, with charts."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import caller, db, writes_on_read
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.schemas.reports import ChartQuery, ReportQuery, ReportRead
from registry.services import reports as service
from registry.services.reports import charts, export

blp = RegistryBlueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = ("text/csv", XLSX)  # besides JSON: format=csv|xlsx, or Accept


def build_report(args: dict[str, Any], sections: list[str] | None = None) -> service.Report:
    """The report asked for by the query (the API's routes and the console's page)."""
    now = utcnow()
    today = args.get("on") or now.astimezone(service.VN).date()
    keys = service.section_keys(sections if sections is not None else args.get("sections"))
    period = service.period_of(args.get("preset"), args.get("start"), args.get("end"), today)
    scope = service.resolve_scope(
        db(), caller(), kind=args.get("scope"), agency=args.get("agency"), province=args.get("province")
    )
    return service.build(
        db(), caller(), period=period, scope=scope, now=now, preset=args.get("preset"), sections=keys
    )


def _format(args: dict[str, Any]) -> str:
    if args.get("format"):
        return str(args["format"])
    best = request.accept_mimetypes.best_match(["application/json", "text/csv", XLSX])
    return {"text/csv": "csv", XLSX: "xlsx"}.get(best or "", "json")


def download(report: service.Report, fmt: str) -> Response:
    """The report as a CSV or XLSX file."""
    name = f"report-{report.period.start}-{report.period.end}-{report.scope.kind}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(export.as_csv(report), mimetype="text/csv", headers=disposition)
    return Response(export.as_xlsx(report), mimetype=XLSX, headers=disposition)


@blp.route("", methods=["GET"])
@blp.access("report:read", Scope.REPORTS_READ)
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportRead)
@blp.doc(
    responses={
        "200": {
            "description": "The report (JSON), or its figures as CSV or XLSX",
            "content": {
                "application/json": {"schema": ReportRead},
                **{kind: {"schema": {"type": "string"}} for kind in DOWNLOADS},
            },
        }
    }
)
@blp.alt_response(403, description="A scope the caller may not ask for")
@writes_on_read
def get_report(args: dict[str, Any]):
    """A report: exact figures for a period and a scope

    Sections (`sections=` to choose): cases detected and handled (sanctioned) by category and goods
    group; fines, tax recovered (with the tax authorities' additions) and goods value in VND of those
    cases; cases referred to the police; listings, shops and accounts removed; websites, domains and IPs
    blocked and lifted; accounts frozen (count and amount) and transactions delayed; workflow steps
    overdue now. Each figure counts what the caller may see and links to the list of the records
    behind it (`counts`: the list's `total` is the figure). Scopes: `nationwide` for the Standing Office
    and oversight agencies (who may also ask for any `agency` or `province`), a provincial office its
    `province`, any agency its own `agency`. The same report as CSV or XLSX with `format=csv|xlsx` or
    `Accept: text/csv` / the XLSX type; one row per figure.
    """
    report = build_report(args)
    fmt = _format(args)
    if fmt != "json":
        return download(report, fmt)
    return service.as_dict(report)


@blp.route("/charts/<section>.png", methods=["GET"])
@blp.access("report:chart", Scope.REPORTS_READ)
@blp.arguments(ChartQuery, location="query")
@blp.response(200, description="PNG image (800 x 450)", content_type="image/png")
@writes_on_read
def get_report_chart(args: dict[str, Any], section: str) -> Response:
    """A report section's chart, as PNG

    The same period, scope and figures as `GET /reports`; an unknown section is 422.
    """
    return Response(chart_png(args, section), mimetype="image/png")


def chart_png(args: dict[str, Any], section: str) -> bytes:
    report = build_report(args, [section])
    return charts.render(charts.chart_data(report.section(section)))
