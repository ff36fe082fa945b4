"""Violations (cases): who, which identifiers, what, detected by whom and when, and how it ended."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import audit_change, audit_resource, audit_subjects, caller, db
from registry.api.sharing import add_visibility_route
from registry.auth.scopes import Scope
from registry.models import Violation
from registry.schemas.violations import (
    ViolationCreate,
    ViolationPage,
    ViolationQuery,
    ViolationRead,
    ViolationUpdate,
)
from registry.services import violations as service
from registry.services.pagination import paginate
from registry.services.visibility import load_visible

blp = RegistryBlueprint(
    "violations", __name__, url_prefix="/api/v1/violations", description="Violations (cases)"
)


@blp.route("", methods=["POST"])
@blp.access("violation:create", Scope.REGISTRY_WRITE)
@blp.idempotent_if_keyed
@blp.arguments(ViolationCreate)
@blp.response(201, ViolationRead)
@blp.alt_response(
    409, description="Idempotency-Key reused with a different body, or its first request still running"
)
def create_violation(args: dict[str, Any]):
    """Record a violation

    The caller's agency is the detecting agency and owns the record. Every subject, identifier and
    sanction decision named must be visible to the caller. Amounts are whole VND as JSON integers.
    With an `Idempotency-Key` header, a retry (same key, same body) returns the first answer instead
    of recording the case twice.
    """
    violation = service.create(db(), principal=caller(), data=args)
    audit_resource("violation", violation.id)
    audit_change(ViolationCreate().dump(args))
    return violation


@blp.route("", methods=["GET"])
@blp.access("violation:list", Scope.REGISTRY_READ)
@blp.arguments(ViolationQuery, location="query")
@blp.response(200, ViolationPage)
def list_violations(args: dict[str, Any]):
    """List violations visible to the caller, most recently detected first"""
    if args.get("subject_id"):
        audit_subjects([args["subject_id"]])  # a list filtered on a subject reads about it, found or not
    query = service.search(db(), caller(), args)
    return paginate(db(), query, page=args["page"], per_page=args["per_page"], order_by=service.ORDER)


@blp.route("/<uuid:violation_id>", methods=["GET"])
@blp.access("violation:read", Scope.REGISTRY_READ)
@blp.response(200, ViolationRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def get_violation(violation_id):
    """Get one violation"""
    audit_resource("violation", violation_id)
    return load_visible(db(), Violation, violation_id, caller())


@blp.route("/<uuid:violation_id>", methods=["PATCH"])
@blp.access("violation:update", Scope.REGISTRY_WRITE)
@blp.arguments(ViolationUpdate)
@blp.response(200, ViolationRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@blp.alt_response(409, description="Status change not allowed; `current_state` and `allowed` say why")
def update_violation(args: dict[str, Any], violation_id):
    """Update a violation (detecting agency only)

    Status follows suspected -> confirmed -> sanctioned, with dismissed reachable from each and final.
    `sanctioned` needs `sanction_decision_id` or `sanction_reference`. Visibility changes go through
    `POST /violations/{id}/visibility`.
    """
    audit_resource("violation", violation_id)
    violation = load_visible(db(), Violation, violation_id, caller())
    changed = service.update(db(), principal=caller(), violation=violation, changes=args)
    audit_change({"id": str(violation.id), "changed": ViolationUpdate().dump(changed)})
    return violation


add_visibility_route(blp, Violation, "")
