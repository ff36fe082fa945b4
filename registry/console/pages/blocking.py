"""Block requests: submission, the deciding agency's queue with four-eyes steps and the over-blocking
guard's findings, and the executors' queue to acknowledge. Each route mirrors the API's route of the
same audit action, with the same scope, schema and service call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, redirect, request, url_for

from registry.api.context import app_state, audit_change, audit_resource, db
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, form_id, load, once, recent, render
from registry.console.session import page
from registry.db import utcnow
from registry.models import BlockRequest, Decision, Violation
from registry.models.blocking import NOT_EXECUTABLE_REASONS, BlockState
from registry.schemas.blocking import (
    BLOCK_ACTIONS,
    TARGET_KINDS,
    BlockAckArgs,
    BlockRequestCreate,
    BlockRequestItem,
    BlockRequestPage,
    BlockRequestQuery,
    BlockTransitionArgs,
)
from registry.services import blocking as service
from registry.services.blocking.access import ANY_BLOCKING
from registry.services.pagination import paginate

# The deciding agency's steps the console offers (api/blocking/decisions.py has them all).
DECIDING_STEPS = ("start_review", "return", "approve", "reject", "dispatch")
_QUERY, _CREATE, _STEP, _ACK = (
    BlockRequestQuery(),
    BlockRequestCreate(),
    BlockTransitionArgs(),
    BlockAckArgs(),
)


def _change(record: BlockRequest) -> dict[str, Any]:
    from registry.api.blocking.common import change  # the audited change, as the API records it

    return change(record)


def _load(request_id: Any, *, for_change: bool = False) -> BlockRequest:
    audit_resource("block_request", request_id)
    record = service.load_visible(db(), caller(), request_id)
    if for_change:
        service.expire_if_due(db(), record)
    return record


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


@bp.route("/block-requests", methods=["GET"])
@page("block_request:list", (*ANY_BLOCKING, Scope.REPORTS_READ))
def block_requests() -> Any:
    """The requests the officer's agency may see, newest first, by state: the decider's queue."""
    service.require_reader(caller(), *ANY_BLOCKING)
    wanted = {key: value for key, value in request.args.items() if key in ("state", "page") and value}
    args = load(_QUERY, wanted)
    return render(
        "console/blocking/queue.html",
        found=_page(args, as_executor=False),
        state=args.get("state", ""),
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
    steps = [step for step in DECIDING_STEPS if step in shown.get("allowed_actions", [])]
    can_decide = caller().has(Scope.BLOCKING_DECIDE)
    return render("console/blocking/detail.html", item=shown, steps=steps if can_decide else [])


def _decide_view(step: str) -> Any:
    @page(f"block_request:{step}", Scope.BLOCKING_DECIDE)
    def view(request_id: Any) -> Any:
        """As POST /api/v1/block-requests/{id}/{step}: services.blocking.decide, four-eyes included."""
        args = load(_STEP, {"reason": request.form.get("reason") or None})
        record = _load(request_id, for_change=True)
        service.decide(
            db(),
            principal=caller(),
            block_request=record,
            action=step,
            reason=args.get("reason"),
            decision_id=args.get("decision_id"),
        )
        audit_change(_change(record))
        return redirect(url_for("console.block_request", request_id=request_id))

    return view


_STEP_VIEWS = {step: _decide_view(step) for step in DECIDING_STEPS}


@bp.route(
    "/block-requests/<uuid:request_id>/<any(start_review, return, approve, reject, dispatch):step>",
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
    once(form.get("form_id", ""), "This form was sent already: see the block requests list.")
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
    args = load(_CREATE, data)
    record = service.create(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("block_request", record.id)
    audit_change(_change(record))
    return redirect(url_for("console.block_request", request_id=record.id))


@bp.route("/orders", methods=["GET"])
@page("block_request:list", Scope.BLOCKING_EXECUTE)
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


@bp.route("/orders/<uuid:request_id>/acknowledgements", methods=["POST"])
@page("block_request:acknowledge", Scope.BLOCKING_EXECUTE)
def acknowledge(request_id: Any) -> Any:
    """As POST /api/v1/block-requests/{id}/acknowledgements, one reply per target of the form."""
    items = []
    for target_id in request.form.getlist("target_id"):
        outcome = request.form.get(f"outcome-{target_id}", "")
        if not outcome:
            continue
        items.append(
            {
                "target_id": target_id,
                "outcome": outcome,
                "reason": request.form.get(f"reason-{target_id}") or None,
                "note": request.form.get(f"note-{target_id}") or None,
            }
        )
    args = load(_ACK, {"acknowledgements": items})
    record = _load(request_id, for_change=True)
    service.acknowledge(db(), principal=caller(), block_request=record, items=args["acknowledgements"])
    audit_change(
        {"items": [[str(i["target_id"]), i["outcome"], i["reason"]] for i in args["acknowledgements"]]}
    )
    return redirect(url_for("console.order", request_id=request_id))
