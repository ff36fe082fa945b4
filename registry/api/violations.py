"""Violations (cases): who, which identifiers, what, detected by whom and when, and how it ended."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import audit_change, audit_resource, audit_subjects, caller, db, replica_reads
from registry.api.sharing import add_visibility_route
from registry.auth.scopes import Scope
from registry.models import Violation
from registry.schemas.output import current as output
from registry.schemas.violations import (
    AcknowledgementCreate,
    ReferralCreate,
    ReferralRead,
    TaxRecoveryCreate,
    TaxRecoveryRead,
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
@replica_reads
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


@blp.route("/<uuid:violation_id>/tax-recoveries", methods=["POST"])
@blp.access("violation:add_tax_recovery", Scope.REGISTRY_WRITE)
@blp.arguments(TaxRecoveryCreate)
@blp.response(201, TaxRecoveryRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def add_tax_recovery(args: dict[str, Any], violation_id: Any):
    """Add the tax a tax authority recovered on a case

    For the tax authorities of `registry/data/cases.json` (MOF-TAX), on any case they can see, whoever
    detected it: an addition of their own (who, how much, when), shown in the case's `tax_recoveries`
    and counted in its `tax_recovered_total_vnd`. The case itself stays its detecting agency's to edit.
    """
    audit_resource("violation", violation_id)
    violation = load_visible(db(), Violation, violation_id, caller())
    addition = service.add_tax_recovery(db(), principal=caller(), violation=violation, data=args)
    audit_change({"violation_id": str(violation.id), "tax_recovery": TaxRecoveryCreate().dump(args)})
    return addition


def _referral_answer(referral: Any) -> Any:
    found = service.visible_decisions(db(), caller(), [referral.decision_id])
    for decision_id, decision in found.items():
        output().loaded["decision", decision_id] = decision
    return referral


@blp.route("/<uuid:violation_id>/referrals", methods=["POST"])
@blp.access("violation:refer", Scope.REGISTRY_WRITE)
@blp.arguments(ReferralCreate)
@blp.response(201, ReferralRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@blp.alt_response(409, description="Already referred to that body; `existing` is the referral's id")
def refer_violation(args: dict[str, Any], violation_id: Any):
    """Refer a case to the police (signs of a crime)

    By the detecting agency, to a body of `registry/data/cases.json` (MPS, MPS-C03, MPS-A05), on a
    decision it issued whose document is uploaded, with the evidence list (each item a description and
    optionally the SHA-256 of its file). The receiving body can see the case from then on (a
    `named` share is added, kept as a visibility change), and the decision too when the referring agency
    recorded it. The case's `referrals` and the seller history show the referral and, later, its receipt.
    """
    audit_resource("violation", violation_id)
    violation = load_visible(db(), Violation, violation_id, caller())
    referral = service.refer(db(), principal=caller(), violation=violation, data=args)
    audit_change({"violation_id": str(violation.id), "referral": ReferralCreate().dump(args)})
    return _referral_answer(referral)


@blp.route("/<uuid:violation_id>/referrals/<uuid:referral_id>/acknowledgement", methods=["POST"])
@blp.access("violation:acknowledge_referral", Scope.REGISTRY_WRITE)
@blp.arguments(AcknowledgementCreate)
@blp.response(200, ReferralRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@blp.alt_response(409, description="Already acknowledged")
def acknowledge_referral(args: dict[str, Any], violation_id: Any, referral_id: Any):
    """Acknowledge receipt of a referred case (the receiving police body)

    Through the receiving body's own client: its reference number and the date it received the file.
    Once; a second acknowledgement is 409.
    """
    audit_resource("violation", violation_id)
    violation = load_visible(db(), Violation, violation_id, caller())
    referral = service.acknowledge_referral(
        db(), principal=caller(), violation=violation, referral_id=referral_id, data=args
    )
    audit_change({"referral_id": str(referral.id), "acknowledgement": AcknowledgementCreate().dump(args)})
    return _referral_answer(referral)


add_visibility_route(blp, Violation, "")
