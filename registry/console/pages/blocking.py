"""Block requests: submission, the deciding agency's queue with four-eyes steps, the over-blocking guard's
findings and their override, lift and revoke on a written decision, the executors' technically_infeasible
answers and the redispatch, appeals, a platform's replies recorded by the decider, and the executors' queue
to acknowledge and to confirm a removal. Each route mirrors the API's route of the same audit action, with
the same scope and schema; its body is the API's own function (api/blocking/*.py), so the service call
and the audited change are one code for both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, redirect, request, url_for

from registry.api.blocking import appeals as api_appeals
from registry.api.blocking import decisions as api_decisions
from registry.api.blocking import executors as api_executors
from registry.api.blocking import requests as api_requests
from registry.api.context import audit_resource, db, replica_reads
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, form_id, load, once, recent, render
from registry.console.session import page
from registry.db import utcnow
from registry.messages import msg
from registry.models import BlockRequest, Decision, Violation
from registry.models.blocking import NOT_EXECUTABLE_REASONS, BlockState
from registry.schemas.blocking import (
    BLOCK_ACTIONS,
    TARGET_KINDS,
    BlockAckArgs,
    BlockAppealCreate,
    BlockAppealDecision,
    BlockConfirmMirrorArgs,
    BlockOverrideArgs,
    BlockPlatformAckArgs,
    BlockPlatformRemovalArgs,
    BlockRedispatchArgs,
    BlockRemovalArgs,
    BlockRequestCreate,
    BlockRequestItem,
    BlockRequestPage,
    BlockRequestQuery,
    BlockTransitionArgs,
)
from registry.services import blocking as service
from registry.services.blocking.access import ANY_BLOCKING
from registry.services.pagination import paginate

# The deciding agency's steps of services.blocking.decide (api/blocking/decisions.py), each its own form.
DECIDING_STEPS = ("start_review", "return", "approve", "reject", "dispatch", "lift", "revoke")
_QUERY, _CREATE, _STEP, _ACK = (
    BlockRequestQuery(),
    BlockRequestCreate(),
    BlockTransitionArgs(),
    BlockAckArgs(),
)
ENDING = {"lift", "revoke", "uphold_appeal"}  # the steps that rest on a written decision of their own
_OVERRIDE, _REDISPATCH, _MIRROR = BlockOverrideArgs(), BlockRedispatchArgs(), BlockConfirmMirrorArgs()
_APPEAL, _APPEAL_DECISION = BlockAppealCreate(), BlockAppealDecision()
_PLATFORM_ACK, _REMOVAL, _PLATFORM_REMOVAL = (
    BlockPlatformAckArgs(),
    BlockRemovalArgs(),
    BlockPlatformRemovalArgs(),
)


def _load(request_id: Any) -> BlockRequest:
    audit_resource("block_request", request_id)
    return service.load_visible(db(), caller(), request_id)


def _back(request_id: Any) -> Any:
    return redirect(url_for("console.block_request", request_id=request_id))


def _dump(records: list[BlockRequest], *, as_executor: bool, with_transitions: bool) -> list[dict[str, Any]]:
    from registry.schemas.blocking import show

    show(
        records,
        [service.view_for(caller(), r, as_executor=as_executor) for r in records],
        with_transitions=with_transitions,
    )
    return BlockRequestItem(many=True).dump(records)


def _page(args: dict[str, Any], *, as_executor: bool) -> dict[str, Any]:
    found = paginate(
        db(),
        service.list_query(caller(), args, utcnow()),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[BlockRequest.created_at.desc(), BlockRequest.id],
    )
    from registry.schemas.blocking import show

    records = found["items"]
    show(
        records,
        [service.view_for(caller(), r, as_executor=as_executor) for r in records],
        with_transitions=False,
    )
    return BlockRequestPage().dump(found)


# The filters a report's figures link with (console.pages.reports, services.reports.sections).
REPORT_FILTERS = (
    "action", "effective_from", "effective_to", "lifted_from", "lifted_to", "target_kind", "submitted_by",
    "province",
)  # fmt: skip


@bp.route("/block-requests", methods=["GET"])
@page("block_request:list", (*ANY_BLOCKING, Scope.REPORTS_READ))
@replica_reads
def block_requests() -> Any:
    """The requests the officer's agency may see, newest first, by state: the decider's queue."""
    service.require_reader(caller(), *ANY_BLOCKING)
    wanted = {
        key: value
        for key, value in request.args.items()
        if key in ("state", "attention", "page", *REPORT_FILTERS) and value
    }
    args = load(_QUERY, wanted)
    return render(
        "console/blocking/queue.html",
        found=_page(args, as_executor=False),
        state=args.get("state", ""),
        attention=args.get("attention", ""),
        states=[state.value for state in BlockState],
    )


@bp.route("/block-requests/<uuid:request_id>", methods=["GET"])
@page("block_request:read", (*ANY_BLOCKING, Scope.REPORTS_READ))
def block_request(request_id: Any) -> Any:
    service.require_reader(caller(), *ANY_BLOCKING)
    record = _load(request_id)
    shown = _dump([record], as_executor=False, with_transitions=True)[0]
    if shown.get("view") == "executor":
        return redirect(url_for("console.order", request_id=request_id))
    allowed = shown.get("allowed_actions", [])
    can_decide = caller().has(Scope.BLOCKING_DECIDE)
    steps = [step for step in DECIDING_STEPS if step in allowed] if can_decide else []
    return render(
        "console/blocking/detail.html",
        item=shown,
        steps=steps,
        can_decide=can_decide,
        # What the API lets each scope do from this state (the service checks who, four-eyes, the rest).
        can_override=can_decide and "override" in allowed,
        can_redispatch=can_decide and "redispatch" in allowed and shown["action"] != "remove_listing",
        can_confirm_mirror=can_decide and "confirm_mirror" in allowed,
        can_appeal=caller().has(Scope.BLOCKING_SUBMIT) and "file_appeal" in allowed,
        can_decide_appeal=can_decide and "uphold_appeal" in allowed,
        platforms=[e for e in shown.get("executors", []) if e.get("platform")] if can_decide else [],
        decisions=recent(Decision) if can_decide and ENDING & set(allowed) else [],
        reasons=NOT_EXECUTABLE_REASONS,
    )


def _decide_view(step: str) -> Any:
    @page(f"block_request:{step}", Scope.BLOCKING_DECIDE)
    def view(request_id: Any) -> Any:
        """As POST /api/v1/block-requests/{id}/{step}: services.blocking.decide, four-eyes included
        (lift and revoke rest on a written decision, chosen from those the agency sees)."""
        form = request.form
        args = load(
            _STEP, {"reason": form.get("reason") or None, "decision_id": form.get("decision_id") or None}
        )
        api_decisions.decide_step(step, args, request_id)
        return _back(request_id)

    return view


_STEP_VIEWS = {step: _decide_view(step) for step in DECIDING_STEPS}


@bp.route(
    "/block-requests/<uuid:request_id>/"
    "<any(start_review, return, approve, reject, dispatch, lift, revoke):step>",
    methods=["POST"],
)
def decide(request_id: Any, step: str) -> Any:
    """One of the deciding agency's steps, each guarded as its own API route (_decide_view)."""
    return _STEP_VIEWS[step](request_id)


decide.required_scope = Scope.BLOCKING_DECIDE  # type: ignore[attr-defined]


@bp.route("/block-requests/new", methods=["GET"])
@page("block_request:form", Scope.BLOCKING_SUBMIT, purpose=True)
def new_block_request() -> Any:
    """The submission form: the written decisions and violations the officer's agency may see."""
    decisions, violations = recent(Decision), recent(Violation)
    return render(
        "console/blocking/new.html",
        form_id=form_id(),
        decisions=decisions,
        violations=violations,
        actions=BLOCK_ACTIONS,
        kinds=TARGET_KINDS,
        errors={},
        form={},
    )


@bp.route("/block-requests", methods=["POST"])
@page("block_request:create", Scope.BLOCKING_SUBMIT)
def create_block_request() -> Any:
    """As POST /api/v1/block-requests: the API's schema and services.blocking.create (submitted at once)."""
    form = request.form
    once(form.get("form_id", ""), msg("the block requests list"))
    targets = []
    for line in form.get("targets", "").splitlines():
        kind, _, value = line.strip().partition(" ")
        if line.strip():
            targets.append({"kind": kind, "value": value.strip()} if value else {"kind": "", "value": kind})
    days = form.get("valid_days", "90")
    data = {
        "action": form.get("action", ""),
        "targets": targets,
        "executors": [
            code.strip() for code in form.get("executors", "").replace(",", " ").split() if code.strip()
        ],
        "violation_ids": form.getlist("violation_ids"),
        "decision_id": form.get("decision_id") or None,
        "valid_until": (datetime.now(UTC) + timedelta(days=int(days) if days.isdigit() else 0)).isoformat(),
        "urgent": form.get("urgent") == "on",
        "reason": form.get("reason", ""),
    }
    record = api_requests.create_request(load(_CREATE, data))
    return redirect(url_for("console.block_request", request_id=record.id))


@bp.route("/orders", methods=["GET"])
@page("block_request:list", Scope.BLOCKING_EXECUTE)
@replica_reads
def orders() -> Any:
    """An executor's queue: the orders addressed to its agency (GET /api/v1/block-requests?executor=me)."""
    args = load(
        _QUERY, {"executor": "me", **({"page": request.args["page"]} if "page" in request.args else {})}
    )
    return render("console/blocking/orders.html", found=_page(args, as_executor=True))


@bp.route("/orders/<uuid:request_id>", methods=["GET"])
@page("block_request:read", Scope.BLOCKING_EXECUTE)
def order(request_id: Any) -> Any:
    record = _load(request_id)
    shown = _dump([record], as_executor=True, with_transitions=False)[0]
    if shown.get("view") != "executor":
        abort(404)
    return render("console/blocking/order.html", item=shown, reasons=NOT_EXECUTABLE_REASONS)


def _replies(form: Any) -> list[dict[str, Any]]:
    """The form's reply for each target that has an outcome (a table row per target)."""
    items = []
    for target_id in form.getlist("target_id"):
        outcome = form.get(f"outcome-{target_id}", "")
        if not outcome:
            continue
        items.append(
            {
                "target_id": target_id,
                "outcome": outcome,
                "reason": form.get(f"reason-{target_id}") or None,
                "note": form.get(f"note-{target_id}") or None,
            }
        )
    return items


@bp.route("/orders/<uuid:request_id>/acknowledgements", methods=["POST"])
@page("block_request:acknowledge", Scope.BLOCKING_EXECUTE)
def acknowledge(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/acknowledgements, one reply per target of the form."""
    items = _replies(request.form)
    api_executors.record_acknowledgements(load(_ACK, {"acknowledgements": items}), request_id)
    return redirect(url_for("console.order", request_id=request_id))


# -- the rest of the deciding agency's steps (api/blocking/decisions.py, appeals.py, executors.py) ------


@bp.route("/block-requests/<uuid:request_id>/targets/<uuid:target_id>/override", methods=["POST"])
@page("block_request:override", Scope.BLOCKING_DECIDE)
def override_target(request_id: Any, target_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/targets/{target}/override: a reviewer's justified override of
    the over-blocking guard on one protected target (under review, not the submitting officer)."""
    args = load(_OVERRIDE, {"justification": request.form.get("justification", "")})
    api_decisions.override_target(args, request_id, target_id)
    return _back(request_id)


@bp.route("/block-requests/<uuid:request_id>/executors", methods=["POST"])
@page("block_request:redispatch", Scope.BLOCKING_DECIDE)
def redispatch(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/executors: the order addressed to further executors, e.g. after
    an executor answered technically_infeasible."""
    codes = request.form.get("executors", "").replace(",", " ").split()
    args = load(_REDISPATCH, {"executors": codes, "reason": request.form.get("reason", "")})
    api_decisions.redispatch(args, request_id)
    return _back(request_id)


@bp.route("/block-requests/<uuid:request_id>/confirm-mirror", methods=["POST"])
@page("block_request:confirm_mirror", Scope.BLOCKING_DECIDE)
def confirm_mirror(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/confirm-mirror: the original's decision covers the mirror's
    targets it does not name (under review, not the submitting officer)."""
    api_decisions.confirm_mirror(load(_MIRROR, {"reason": request.form.get("reason", "")}), request_id)
    return _back(request_id)


@bp.route("/block-requests/<uuid:request_id>/appeals", methods=["POST"])
@page("block_request:file_appeal", Scope.BLOCKING_SUBMIT)
def file_appeal(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/appeals: a complaint against a block in effect, recorded by the
    submitting (or deciding) agency."""
    form = request.form
    data = {
        "appellant": form.get("appellant", ""),
        "grounds": form.get("grounds", ""),
        "received_on": form.get("received_on") or None,
    }
    api_appeals.file_appeal(load(_APPEAL, data), request_id)
    return _back(request_id)


@bp.route("/block-requests/<uuid:request_id>/appeals/<uuid:appeal_id>/decision", methods=["POST"])
@page("block_request:decide_appeal", Scope.BLOCKING_DECIDE)
def decide_appeal(request_id: Any, appeal_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/appeals/{appeal}/decision: upheld lifts the block, dismissed
    leaves it; on a written decision, not by the approving officer."""
    form = request.form
    data = {
        "outcome": form.get("outcome", ""),
        "reason": form.get("reason", ""),
        "decision_id": form.get("decision_id") or None,
    }
    api_appeals.decide_appeal(load(_APPEAL_DECISION, data), request_id, appeal_id)
    return _back(request_id)


@bp.route("/block-requests/<uuid:request_id>/platform-acknowledgements", methods=["POST"])
@page("block_request:acknowledge_platform", Scope.BLOCKING_DECIDE)
def acknowledge_platform(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/platform-acknowledgements: a platform's written reply to a
    takedown, recorded by the deciding agency (platforms have no account)."""
    args = load(
        _PLATFORM_ACK,
        {"platform": request.form.get("platform", ""), "acknowledgements": _replies(request.form)},
    )
    api_executors.record_platform_acknowledgements(args, request_id)
    return _back(request_id)


@bp.route("/block-requests/<uuid:request_id>/platform-removal-acknowledgement", methods=["POST"])
@page("block_request:confirm_platform_removal", Scope.BLOCKING_DECIDE)
def confirm_platform_removal(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/platform-removal-acknowledgement: a platform's confirmation
    that it reinstated what it took down, recorded by the deciding agency."""
    args = load(
        _PLATFORM_REMOVAL,
        {"platform": request.form.get("platform", ""), "note": request.form.get("note") or None},
    )
    api_executors.record_platform_removal(args, request_id)
    return _back(request_id)


@bp.route("/orders/<uuid:request_id>/removal-acknowledgement", methods=["POST"])
@page("block_request:confirm_removal", Scope.BLOCKING_EXECUTE)
def confirm_removal(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/removal-acknowledgement: the executor (an ISP, VNNIC) confirms
    it removed the block of a request that was lifted, revoked or expired."""
    args = load(_REMOVAL, {"note": request.form.get("note") or None})
    api_executors.record_removal(args, request_id)
    return redirect(url_for("console.order", request_id=request_id))
