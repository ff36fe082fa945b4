"""Bulk screening of identifier lists, and match-only answers for single values."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from registry.api import screening_runs as runs
from registry.api.blueprint import PERSONAL_DATA, RegistryBlueprint
from registry.api.context import app_state, audit_detail, audit_resource, caller, db, json_text, reveal
from registry.api.limits import max_body
from registry.api.screening_runs import MAX_SCREENING_BODY
from registry.auth.scopes import Scope
from registry.models import ScreeningJob
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
    answer = runs.submit(args["items"], caller())
    if isinstance(answer, ScreeningJob):
        url = url_for("screenings.get_screening", job_id=answer.id)
        output().loaded["url", answer.id] = url
        return answer, 202, {"Location": url}
    return json_text(current_app.json.dumps(schema.read_json(answer, output())))


@blp.route("/screenings/<uuid:job_id>", methods=["GET"])
@blp.access("screening:read", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(ScreeningJobQuery, location="query")
@blp.response(200, ScreeningRead)
@blp.alt_response(404, description="No such screening, or submitted by another agency")
def get_screening(args: dict[str, Any], job_id: Any):
    """Progress of a screening job, and its answer (paged) once done

    Only the submitting agency sees a job. Fetching the answer is audited with the list hash and the
    number of matches. A job runs in the job queue's workers and keeps each part's answer (10,000 items)
    as it is done: a worker stopped mid-job is followed by another that goes on after the last part done
    (the job is queued again after 10 minutes without progress). A job that has stopped three runs, or was
    submitted before jobs were resumable, is reported `failed`: submit the list again.
    """
    reveal(args["sensitive"])
    job, results = runs.read_job(job_id, caller())
    output().loaded["url", job.id] = url_for("screenings.get_screening", job_id=job.id)
    if results is not None:
        runs.show_page(job, results, page=args["page"], per_page=args["per_page"])
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
