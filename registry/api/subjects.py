"""Subjects (violators): register, search by name or any identifier, and the seller history."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import PERSONAL_DATA, RegistryBlueprint
from registry.api.context import (
    app_state,
    audit_change,
    audit_only_resource,
    audit_resource,
    caller,
    db,
    json_text,
    replica_reads,
    reveal,
)
from registry.api.sharing import add_visibility_route
from registry.auth.scopes import Scope
from registry.models import Subject
from registry.schemas.identifiers import RevealQuery
from registry.schemas.subjects import (
    HistoryRead,
    SubjectCreate,
    SubjectPage,
    SubjectQuery,
    SubjectRead,
    SubjectUpdate,
)
from registry.services import history as history_service
from registry.services import history_json
from registry.services import subjects as service
from registry.services.visibility import load_visible

blp = RegistryBlueprint(
    "subjects", __name__, url_prefix="/api/v1/subjects", description="Subjects (violators)"
)


def _change(subject: Subject) -> dict[str, Any]:
    return {"id": str(subject.id), "name": subject.name, "tax_code": subject.tax_code,
            "personal_id_hash": subject.personal_id_hash, "addresses": subject.addresses,
            "province": subject.province, "visibility": subject.visibility}  # fmt: skip


@blp.route("", methods=["POST"])
@blp.access("subject:create", Scope.REGISTRY_WRITE)
@blp.arguments(SubjectCreate)
@blp.response(201, SubjectRead)
@blp.alt_response(409, description="A subject with this tax code or personal ID is already visible to you")
def create_subject(args: dict[str, Any]):
    """Register a subject

    Its tax code and personal ID become identifiers linked to it, so lookups by them find it.
    """
    subject = service.create(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("subject", subject.id)
    audit_change(_change(subject))
    return subject


@blp.route("", methods=["GET"])
@blp.access("subject:list", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(SubjectQuery, location="query")
@blp.response(200, SubjectPage)
@replica_reads
def list_subjects(args: dict[str, Any]):
    """Search subjects by name (diacritic-insensitive) or by any identifier

    Without `q`: every subject you may see, oldest first (or by name in Vietnamese alphabetical order
    with `sort=name`); like every list, `total` is counted up to
    1000 (`total_exact` false beyond) and pages reach the first 1000 (422 beyond). With `q`: subjects
    linked to an identifier spelled like `q` first (a bank account or personal ID finds its holders only
    with scope registry:read_sensitive), then names equal to `q`, then names containing it
    (nearest first by word similarity: whole words before parts of words; not for a `q` shorter than
    three letters), then, only when nothing contains it, near spellings. Within a page, names starting
    with `q` and shorter names come first.
    A search reads only as far as the page asked for, so `total` is exact only when `total_exact` is
    true (the page reached the last result); otherwise it is a lower bound. `has_more` says whether
    the next page has results. A search pages through its first 1000 results (422 beyond): narrow it
    with more of the name, `kind` or `province`.
    """
    reveal(args.pop("sensitive"))
    return service.search_page(
        db(),
        cipher=app_state().cipher,
        principal=caller(),
        q=args.get("q"),
        filters=args,
        page=args["page"],
        per_page=args["per_page"],
    )


@blp.route("/<uuid:subject_id>", methods=["GET"])
@blp.access("subject:read", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(RevealQuery, location="query")
@blp.response(200, SubjectRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def get_subject(args: dict[str, Any], subject_id: Any):
    """Get one subject"""
    reveal(args["sensitive"])
    audit_resource("subject", subject_id)
    return load_visible(db(), Subject, subject_id, caller())


@blp.route("/<uuid:subject_id>", methods=["PATCH"])
@blp.access("subject:update", Scope.REGISTRY_WRITE)
@blp.arguments(SubjectUpdate)
@blp.response(200, SubjectRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def update_subject(args: dict[str, Any], subject_id: Any):
    """Update a subject (owner agency only)"""
    audit_resource("subject", subject_id)
    subject = load_visible(db(), Subject, subject_id, caller())
    service.update(db(), subject=subject, principal=caller(), data=args)
    audit_change(_change(subject))
    return subject


@blp.route("/<uuid:subject_id>/history", methods=["GET"])
@blp.access("subject:history", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(RevealQuery, location="query")
@blp.response(200, HistoryRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@replica_reads
def subject_history(args: dict[str, Any], subject_id: Any):
    """Seller history across agencies

    The subject, every identifier linked to it, every violation touching it or its identifiers, and
    the block requests and freeze orders touching its identifiers, each as far as the caller may see
    it, with a timeline of all of them. The number of queries does not grow with the history.
    """
    revealed = reveal(args["sensitive"])
    audit_resource("subject", subject_id)
    audit_only_resource()  # recorded alike on both paths: a read of this subject's history
    if history_json.applies(db(), caller(), revealed=revealed):
        # The busiest read, in one round trip on PostgreSQL: the statement writes HistoryRead's JSON
        # itself (services.history_json builds it from HistoryRead's fields).
        return json_text(history_json.answer(db(), principal=caller(), subject_id=subject_id))
    return history_service.history(db(), principal=caller(), subject_id=subject_id)


add_visibility_route(blp, Subject, "")
