"""What the API's screening routes and the console's screening pages share: a list's submission
(answered at once, or a job started once the submission has committed) and a job's read, each with the
facts its audit entry records. One place, so a screening run from the console audits as one run through
the API."""

from __future__ import annotations

from typing import Any

from registry import jobs
from registry.api.context import (
    app_state,
    audit_change,
    audit_change_digest,
    audit_detail,
    audit_resource,
    db,
)
from registry.api.jobs import start_job
from registry.auth.principal import Principal
from registry.models import JobStatus, ScreeningJob
from registry.schemas.output import current as current_output
from registry.services import screening as service

# A list of MAX_JOB_ITEMS spellings, with JSON around each (the console's uploaded files too).
MAX_SCREENING_BODY = 48 * 1024 * 1024


def submit(items: list[dict[str, Any]], principal: Principal) -> service.Screening | ScreeningJob:
    """The answer to a list of up to MAX_ITEMS (audited: its list hash and matches), or the job that
    will answer a longer one (audited: the job, and the hash of the list as submitted)."""
    if len(items) > service.MAX_ITEMS:
        job = service.create_job(db(), principal=principal, items=items, cipher=app_state().cipher)
        audit_resource("screening", job.id)
        submitted = service.list_elements(service.raw_inputs(items), app_state().cipher, unparsed="submitted")
        audit_change(submitted)
        audit_detail(items=len(items), job=True)
        start_job(jobs.SCREENING, job.id)
        return job
    answer = service.screen(db(), cipher=app_state().cipher, principal=principal, items=items)
    audit_change_digest(answer.list_sha256)  # change_hash(answer.elements), computed once
    audit_detail(items=len(items), matches=answer.matches, list_sha256=answer.list_sha256)
    return answer


def read_job(job_id: Any, principal: Principal) -> tuple[ScreeningJob, list[dict[str, Any]] | None]:
    """The job (NotFound for another agency's) and, once done, its whole answer (audited: the list hash
    and the number of matches); None while it runs or after it failed."""
    audit_resource("screening", job_id)
    job = service.get_job(db(), principal=principal, job_id=job_id)
    if job.status != JobStatus.DONE:
        return job, None
    results = service.job_results(job, app_state().cipher)
    audit_detail(list_sha256=job.list_sha256, matches=job.matches, items=job.total)
    return job, results


def show_page(job: ScreeningJob, results: list[dict[str, Any]], *, page: int, per_page: int) -> bool:
    """Page `page` of a done job's answer, for schemas.screenings.read_json to write (it reads the
    request's Output.loaded); whether more pages follow."""
    start = (page - 1) * per_page
    loaded = current_output().loaded
    loaded["page", job.id], loaded["per_page", job.id] = page, per_page
    loaded["results", job.id] = results[start : start + per_page]
    return start + per_page < len(results)
