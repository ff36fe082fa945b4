"""Screening: an uploaded list of identifiers (CSV or XLSX, services.screening_files) answered as POST
/api/v1/screenings answers it, at once or as a job whose progress the page shows until it is done; a
job's answer paged, and downloadable as XLSX, each a read of it as GET /api/v1/screenings/{id}. The
same scope, schema, service calls and audit facts (api.screening_runs); sensitive values shown as the
API shows them without `?sensitive=true`."""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, request, url_for
from flask_babel import format_decimal, lazy_gettext

from registry.api import screening_runs as runs
from registry.api.limits import max_body
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.i18n import code_label
from registry.console.pages.common import caller, load, render
from registry.console.session import page
from registry.errors import Conflict, ValidationFailed
from registry.identifiers import KINDS
from registry.messages import Message, msg
from registry.models import JobStatus, ScreeningJob
from registry.schemas import screenings as schema
from registry.schemas.screenings import ScreeningCreate, ScreeningJobQuery
from registry.services import screening_files
from registry.services.screening import MAX_ITEMS, MAX_JOB_ITEMS

PER_PAGE = 100  # results a page of a job's answer shows (the API's pages hold up to MAX_ITEMS)
REFRESH_SECONDS = 3  # how often a running job's page reloads itself
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CREATE, _JOB_QUERY = ScreeningCreate(), ScreeningJobQuery()

XLSX_HEADER = {
    "number": lazy_gettext("No."),
    "status": lazy_gettext("Outcome"),
    "kind": lazy_gettext("Kind"),
    "canonical": lazy_gettext("Value (normalised)"),
    "reason": lazy_gettext("Why invalid"),
    "subjects": lazy_gettext("Matched sellers"),
    "violations": lazy_gettext("Violations by category"),
    "block_requests": lazy_gettext("Open block requests"),
    "freeze_orders": lazy_gettext("Open freeze orders"),
}
HIDDEN = lazy_gettext("hidden (sensitive)")


def _read_upload() -> screening_files.ScreeningFile:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(
            msg("Choose a CSV or XLSX file."), errors={"file": [msg("Choose a CSV or XLSX file.")]}
        )
    try:
        return screening_files.read_list(upload.filename, upload.read(screening_files.MAX_FILE_BYTES + 1))
    except screening_files.ScreeningFileError as refused:
        problem = _file_problem(refused)
        raise ValidationFailed(
            msg("The file cannot be screened: {problem}", problem=problem), errors={"file": [problem]}
        ) from None


def _file_problem(refused: screening_files.ScreeningFileError) -> Message:
    limit = format_decimal(refused.limit or 0)
    return {
        "not_a_list_file": msg("This is not a CSV or XLSX file: save the list as CSV (UTF-8) or XLSX."),
        "empty": msg("The file holds no identifier."),
        "too_many_rows": msg(
            "The file holds more than {limit} identifiers: split it into several.", limit=limit
        ),
        "too_large": msg("The file is too large (at most {limit} bytes).", limit=limit),
        "unreadable": msg("The file cannot be read: save it again as CSV (UTF-8) or XLSX."),
    }[refused.problem]


def _load_items(listed: screening_files.ScreeningFile) -> list[dict[str, Any]]:
    """The items through the API's schema; its errors named by the file's rows, not the list's places."""
    try:
        return load(_CREATE, {"items": listed.items})["items"]
    except ValidationFailed as refused:
        by_item = refused.errors.get("items")
        if not isinstance(by_item, dict):
            raise
        row = str(lazy_gettext("row"))
        errors = {
            f"{row} {listed.rows[index]}" if isinstance(index, int) else str(index): messages
            for index, messages in by_item.items()
        }
        raise ValidationFailed(
            msg("Some rows of the list are not valid: see each row below."), errors=errors
        ) from None


def _xlsx(results: list[dict[str, Any]], filename: str) -> Response:
    content = screening_files.results_xlsx(
        results,
        header={name: str(words) for name, words in XLSX_HEADER.items()},
        label=code_label,
        hidden=str(HIDDEN),
    )
    return Response(
        content, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.route("/screenings", methods=["GET"])
@page("screening:form", Scope.REGISTRY_READ, purpose=True)
def new_screening() -> Any:
    """The upload form and the layout of the file it takes."""
    return render(
        "console/screening/new.html",
        kinds=KINDS,
        max_items=format_decimal(MAX_ITEMS),
        max_job_items=format_decimal(MAX_JOB_ITEMS),
    )


@bp.route("/screenings", methods=["POST"])
@max_body(runs.MAX_SCREENING_BODY)
@page("screening:run", Scope.REGISTRY_READ, purpose=True)
def run_screening() -> Any:
    """As POST /api/v1/screenings: up to MAX_ITEMS answered at once (on the page, or as XLSX if asked);
    a longer list becomes a job, whose page follows its progress."""
    listed = _read_upload()
    answer = runs.submit(_load_items(listed), caller())
    if isinstance(answer, ScreeningJob):
        return redirect(url_for("console.screening", job_id=answer.id), code=303)
    shown = schema.read_json(answer, g.output)  # as the API's answer: sensitive values left out
    if request.form.get("answer") == "xlsx":
        return _xlsx(shown["results"], "screening.xlsx")
    return render("console/screening/answer.html", answer=shown, results=shown["results"])


@bp.route("/screenings/<uuid:job_id>", methods=["GET"])
@page("screening:read", Scope.REGISTRY_READ, purpose=True)
def screening(job_id: Any) -> Any:
    """As GET /api/v1/screenings/{id}: the job's progress (the page reloads itself until it is done),
    then its answer, a page at a time. Another agency's job is not found."""
    args = load(
        _JOB_QUERY,
        {"per_page": PER_PAGE, **({"page": request.args["page"]} if "page" in request.args else {})},
    )
    job, results = runs.read_job(job_id, caller())
    found = None
    if results is not None:
        more = runs.show_page(job, results, page=args["page"], per_page=args["per_page"])
        found = {"page": args["page"], "total": len(results), "total_exact": True, "has_more": more}
    shown = schema.read_json(job, g.output)
    running = shown["status"] in (JobStatus.QUEUED, JobStatus.RUNNING)
    return render(
        "console/screening/job.html",
        job=shown,
        found=found,
        refresh=REFRESH_SECONDS if running else None,
    )


@bp.route("/screenings/<uuid:job_id>/results.xlsx", methods=["GET"])
@page("screening:read", Scope.REGISTRY_READ, purpose=True)
def screening_xlsx(job_id: Any) -> Any:
    """The job's whole answer as XLSX, one row per input: a read of it, audited as the page's."""
    job, results = runs.read_job(job_id, caller())
    if results is None:
        raise Conflict(msg("The screening is not done yet: download its answer once it is."))
    return _xlsx(schema.present_results(results, g.output), f"screening-{job.id}.xlsx")
