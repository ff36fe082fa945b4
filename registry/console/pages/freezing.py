"""Freeze orders: the State Bank's queue (receive, check, dispatch, close) and each bank's orders to
execute, account by account. Each route mirrors the API route of the same audit action, with the same
scope, schema and service call (api/freezing/processing.py, execution.py)."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for

from registry.api.context import audit_change, audit_resource, db
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, load, render
from registry.console.session import page
from registry.models.freezing import NOT_EXECUTABLE_REASONS, FreezeOrder, OrderState
from registry.schemas.freezing import (
    ExecutionReport,
    FreezeOrderPage,
    FreezeOrderQuery,
    FreezeOrderRead,
    FreezeStep,
)
from registry.services import freezing as service
from registry.services.pagination import paginate

READERS = (*service.READ_SCOPES, Scope.REGISTRY_READ)
PROCESSING_STEPS = ("receive", "check", "dispatch", "close")
_QUERY, _STEP, _REPORT = FreezeOrderQuery(), FreezeStep(), ExecutionReport()


def _changed(order: FreezeOrder, action: str, **facts: Any) -> None:
    audit_change({"order": str(order.id), "action": action, "state": order.state, **facts})


@bp.route("/freeze-orders", methods=["GET"])
@page("freeze_order:list", READERS)
def freeze_orders() -> Any:
    """As GET /api/v1/freeze-orders: the orders the officer's agency sees (a bank: its own accounts)."""
    wanted = {key: value for key, value in request.args.items() if key in ("state", "page") and value}
    args = load(_QUERY, wanted)
    found = paginate(
        db(),
        service.order_query(service.reader(db(), caller()), state=args.get("state")),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[FreezeOrder.created_at.desc(), FreezeOrder.id],
    )
    return render(
        "console/freezing/queue.html",
        found=FreezeOrderPage().dump(found),
        state=args.get("state", ""),
        states=[state.value for state in OrderState],
    )


@bp.route("/freeze-orders/<uuid:order_id>", methods=["GET"])
@page("freeze_order:read", READERS)
def freeze_order(order_id: Any) -> Any:
    audit_resource("freeze_order", order_id)
    order = service.load_visible(db(), caller(), order_id)
    shown = FreezeOrderRead().dump(order)
    steps = (
        [s for s in PROCESSING_STEPS if s in shown["allowed_actions"]]
        if caller().has(Scope.FREEZE_PROCESS)
        else []
    )
    return render(
        "console/freezing/detail.html",
        item=shown,
        steps=steps,
        executes=caller().has(Scope.FREEZE_EXECUTE),
        reasons=NOT_EXECUTABLE_REASONS,
    )


def _step_view(step: str) -> Any:
    @page(f"freeze_order:{step}", Scope.FREEZE_PROCESS)
    def view(order_id: Any) -> Any:
        """As POST /api/v1/freeze-orders/{id}/{step}: services.freezing.process, four-eyes included."""
        args = load(_STEP, {"note": request.form["note"]} if request.form.get("note") else {})
        audit_resource("freeze_order", order_id)
        order = service.load_for_step(db(), caller(), order_id)
        service.process(db(), principal=caller(), order=order, action=step, note=args.get("note"))
        _changed(order, step, note=args.get("note"))
        return redirect(url_for("console.freeze_order", order_id=order_id))

    return view


_STEP_VIEWS = {step: _step_view(step) for step in PROCESSING_STEPS}


@bp.route("/freeze-orders/<uuid:order_id>/<any(receive, check, dispatch, close):step>", methods=["POST"])
def process_freeze_order(order_id: Any, step: str) -> Any:
    """One of the State Bank's steps, each guarded as its own API route (_step_view)."""
    return _STEP_VIEWS[step](order_id)


process_freeze_order.required_scope = Scope.FREEZE_PROCESS  # type: ignore[attr-defined]


@bp.route("/freeze-orders/<uuid:order_id>/accounts/<uuid:account_id>/report", methods=["POST"])
@page("freeze_order:report_execution", Scope.FREEZE_EXECUTE)
def report_execution(order_id: Any, account_id: Any) -> Any:
    """As POST /api/v1/freeze-orders/{id}/accounts/{account}/report: the bank's execution of one account."""
    form = request.form
    data: dict[str, Any] = {
        key: form[key]
        for key in ("outcome", "amount_frozen_vnd", "bank_reference", "reason", "note")
        if form.get(key)
    }
    if "amount_frozen_vnd" in data:  # whole đồng, typed with or without thousands separators
        digits = "".join(ch for ch in data["amount_frozen_vnd"] if ch not in " .,\u00a0")
        data["amount_frozen_vnd"] = int(digits) if digits.isdigit() else data["amount_frozen_vnd"]
    args = load(_REPORT, data)
    audit_resource("freeze_order", order_id)
    order = service.load_for_step(db(), caller(), order_id)
    account = service.report_execution(
        db(), principal=caller(), order=order, account_id=account_id, data=args
    )
    _changed(
        order,
        "report_execution",
        account=str(account.id),
        outcome=args["outcome"],
        amount_frozen_vnd=args.get("amount_frozen_vnd"),
        reason=args.get("reason"),
    )
    return redirect(url_for("console.freeze_order", order_id=order_id))
