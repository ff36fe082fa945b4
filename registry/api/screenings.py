"""Bulk screening of identifier lists, and match-only answers for single values."""

from __future__ import annotations

import threading
from typing import Any

from flask import after_this_request, current_app, url_for

from registry.api.blueprint import PERSONAL_DATA, RegistryBlueprint
from registry.api.context import (
    app_state,
    audit_change,
    audit_change_digest,
    audit_detail,
    audit_resource,
    caller,
    db,
    json_text,
    reveal,
)
from registry.api.limits import max_body
from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.models import JobStatus
from registry.schemas import screenings as schema
from registry.schemas.identifiers import RevealQuery
from registry.schemas.output import current as output
from registry.schemas.screenings import (
    MatchQuery,
    MatchRead,
    ScreeningCreate,
    ScreeningJobQuery,
    ScreeningRead,
)
from registry.services import screening as service
from registry.services.identifiers import parse_or_fail

blp = RegistryBlueprint(
    "screenings", __name__, url_prefix="/api/v1", description="Bulk screening and match-only answers"
)

# A list of MAX_JOB_ITEMS spellings, with JSON around each.
MAX_SCREENING_BODY = 48 * 1024 * 1024


def _start_job(job_id: Any, items: list[dict[str, Any]], principal: Principal) -> None:
    """In-process: a thread with its own session, started once the submission has committed.

    Under testing the job runs in the request, in its transaction.
    """
    registry = app_state()
    if current_app.testing:
        service.run_job(
            db(), cipher=registry.cipher, principal=principal, job_id=job_id, items=items, commit=db().flush
        )
        return

    def run() -> None:
        session = registry.sessionmaker()
        try:
            service.run_job(
                session,
                cipher=registry.cipher,
                principal=principal,
                job_id=job_id,
                items=items,
                commit=session.commit,
            )
        finally:
            session.close()

    @after_this_request
    def start_after_commit(response: Any) -> Any:
        thread = threading.Thread(target=run, name=f"screening-{job_id}", daemon=True)
        response.call_on_close(thread.start)
        return response


@blp.route("/screenings", methods=["POST"])
@blp.access("screening:run", Scope.REGISTRY_READ, purpose=True)
@blp.arguments(RevealQuery, location="query")
@blp.arguments(ScreeningCreate)
@blp.response(200, ScreeningRead)
@blp.alt_response(202, schema=ScreeningRead, description="A job: fetch progress and the answer at `url`")
@max_body(MAX_SCREENING_BODY)
def create_screening(query: dict[str, Any], args: dict[str, Any]):
    """Screen a list of identifiers

    Each input is normalised and answered `invalid` (with the reason), `no_match` or `match` (visible
    subjects, visible violations by category, open orders), in input order. Inputs without `kind` are
    tried by the parsers in a fixed order; 10 or 13 digits (or NNNNNNNNNN-BBB) that fail the tax code's
    check are answered `invalid` as a mistyped tax code, unless they are a valid Vietnamese phone number
    of 10 digits beginning with 0. Canonical values of sensitive kinds are returned only when
    revealed (`?sensitive=true`, scope registry:read_sensitive), their subjects only with that scope.
    One audit entry per list: the SHA-256 of the keyed-hash canonical list and the number of matches.
    """
    reveal(query["sensitive"])
    items = args["items"]
    principal = caller()
    if len(items) > service.MAX_ITEMS:
        job = service.create_job(db(), principal=principal, total=len(items))
        audit_resource("screening", job.id)
        submitted = service.list_elements(service.raw_inputs(items), app_state().cipher, unparsed="submitted")
        audit_change(submitted)
        audit_detail(items=len(items), job=True)
        _start_job(job.id, items, principal)
        url = url_for("screenings.get_screening", job_id=job.id)
        output().loaded["url", job.id] = url
        return job, 202, {"Location": url}
    answer = service.screen(db(), cipher=app_state().cipher, principal=principal, items=items)
    audit_change_digest(answer.list_sha256)  # change_hash(answer.elements), computed once
    audit_detail(items=len(items), matches=answer.matches, list_sha256=answer.list_sha256)
    return json_text(current_app.json.dumps(schema.read_json(answer, output())))


@blp.route("/screenings/<uuid:job_id>", methods=["GET"])
@blp.access("screening:read", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(ScreeningJobQuery, location="query")
@blp.response(200, ScreeningRead)
@blp.alt_response(404, description="No such screening, or submitted by another agency")
def get_screening(args: dict[str, Any], job_id: Any):
    """Progress of a screening job, and its answer (paged) once done

    Only the submitting agency sees a job. Fetching the answer is audited with the list hash and the
    number of matches. A job without progress for 10 minutes lost the server process that ran it (a
    restart) and is reported `failed`: submit the list again.
    """
    reveal(args["sensitive"])
    audit_resource("screening", job_id)
    job = service.get_job(db(), principal=caller(), job_id=job_id)
    loaded = output().loaded
    loaded["url", job.id] = url_for("screenings.get_screening", job_id=job.id)
    if job.status == JobStatus.DONE:
        results = service.job_results(job, app_state().cipher)
        start = (args["page"] - 1) * args["per_page"]
        loaded["page", job.id], loaded["per_page", job.id] = args["page"], args["per_page"]
        loaded["results", job.id] = results[start : start + args["per_page"]]
        audit_detail(list_sha256=job.list_sha256, matches=job.matches, items=job.total)
    return json_text(current_app.json.dumps(schema.read_json(job, output())))


@blp.route("/identifiers/match", methods=["GET"])
@blp.access("identifier:match", Scope.REGISTRY_READ, purpose=False)
@blp.arguments(MatchQuery, location="query")
@blp.response(200, MatchRead)
def match_identifier(args: dict[str, Any]):
    """Is a value known? Yes or no, and a case reference

    For low-entropy values (bank accounts, phones) a caller without registry:read_sensitive may ask
    whether the registry knows a value, by its keyed hash only. The answer is never the record or its
    subjects: `known` (registered and visible to the caller's agency, the rule of /identifiers/lookup)
    and an opaque `reference` (a violation or link to follow up through the usual, audited reads).
    """
    parsed = parse_or_fail(args["kind"], args["value"])
    found = service.match(db(), cipher=app_state().cipher, principal=caller(), parsed=parsed)
    if found.identifier_id is not None:
        audit_resource("identifier", found.identifier_id)
    audit_detail(kind=parsed.kind, known=found.known)
    return found
