"""Freeze orders and transaction delays: the issuer's submission and follow-ups, the State Bank's queue
(receive, check, dispatch, close) and flags, each bank's orders to execute and releases to confirm,
account by account, and the banks' own transaction delays.

Each route mirrors the API route of the same audit action (api/freezing/*.py), with the same scope and
schema, and calls the same function as that route does (load, service, audit change): the rules and the
audited change are written once, there."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from werkzeug.datastructures import MultiDict

from registry.api.context import audit_resource, db, replica_reads
from registry.api.freezing import delays as delay_steps
from registry.api.freezing import execution, follow_up, orders, processing
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, form_id, load, local_time, once, recent, render, whole_vnd
from registry.console.session import page
from registry.messages import msg
from registry.models import Decision
from registry.models.freezing import (
    CONVERSION_KINDS,
    NOT_EXECUTABLE_REASONS,
    AccountState,
    DelayState,
    FreezeOrder,
    OrderState,
    TransactionDelay,
)
from registry.schemas.freezing import (
    DelayCreate,
    DelayPage,
    DelayQuery,
    DelayRead,
    DelaySbvReport,
    ExecutionReport,
    FlagAnswer,
    FlagCreate,
    FreezeAmendment,
    FreezeConversion,
    FreezeExtension,
    FreezeLifting,
    FreezeOrderCorrection,
    FreezeOrderCreate,
    FreezeOrderPage,
    FreezeOrderQuery,
    FreezeOrderRead,
    FreezeStep,
    FreezeWithdrawal,
    ReleaseConfirmation,
)
from registry.services import freezing as service
from registry.services.freezing.filters import delay_clauses, order_clauses
from registry.services.pagination import paginate

READERS = (*service.READ_SCOPES, Scope.REGISTRY_READ)
PROCESSING_STEPS = ("receive", "check", "dispatch", "close")
# The issuer's steps after submission (api/freezing/follow_up.py), each with the API's schema.
FOLLOW_UPS: dict[str, Any] = {
    "lift": FreezeLifting(),
    "resubmit": FreezeOrderCorrection(),
    "withdraw": FreezeWithdrawal(),
    "extend": FreezeExtension(),
    "amend": FreezeAmendment(),
    "convert": FreezeConversion(),
}
ACCOUNT_ROWS = 3  # account lines on the submission form
_QUERY, _STEP, _REPORT, _CREATE = FreezeOrderQuery(), FreezeStep(), ExecutionReport(), FreezeOrderCreate()
_FLAG, _ANSWER, _RELEASE = FlagCreate(), FlagAnswer(), ReleaseConfirmation()
_DELAY_QUERY, _DELAY_CREATE, _SBV_REPORT = DelayQuery(), DelayCreate(), DelaySbvReport()


def _filled(form: MultiDict, *names: str) -> dict[str, Any]:
    """The fields an officer filled in (an empty field is one not sent, as a JSON body would omit it)."""
    return {name: form[name].strip() for name in names if form.get(name, "").strip()}


def _amount(data: dict[str, Any], name: str) -> None:
    if name in data:
        data[name] = whole_vnd(data[name])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _to_order(order_id: Any) -> Any:
    return redirect(url_for("console.freeze_order", order_id=order_id))


# -- reads ------------------------------------------------------------------------------------------------


@bp.route("/freeze-orders", methods=["GET"])
@page("freeze_order:list", READERS)
@replica_reads
def freeze_orders() -> Any:
    """As GET /api/v1/freeze-orders: the orders the officer's agency sees (a bank: its own accounts)."""
    wanted = {
        key: value
        for key, value in request.args.items()
        if key in ("state", "account_state", "page", "executed_from", "executed_to", "issuer", "province")
        and value
    }
    args = load(_QUERY, wanted)
    v = service.reader(db(), caller())
    found = paginate(
        db(),
        service.order_query(v, state=args.get("state"), account_state=args.get("account_state")).where(
            *order_clauses(v, args)
        ),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[FreezeOrder.created_at.desc(), FreezeOrder.id],
    )
    return render(
        "console/freezing/queue.html",
        found=FreezeOrderPage().dump(found),
        state=args.get("state", ""),
        states=[state.value for state in OrderState],
        account_state=args.get("account_state", ""),
        account_states=[state.value for state in AccountState],
    )


@bp.route("/freeze-orders/<uuid:order_id>", methods=["GET"])
@page("freeze_order:read", READERS)
def freeze_order(order_id: Any) -> Any:
    audit_resource("freeze_order", order_id)
    order = service.load_visible(db(), caller(), order_id)
    shown = FreezeOrderRead().dump(order)
    allowed = shown["allowed_actions"]
    processes = caller().has(Scope.FREEZE_PROCESS)
    issues = caller().has(Scope.FREEZE_SUBMIT) and shown["issuer"] == caller().agency
    return render(
        "console/freezing/detail.html",
        item=shown,
        steps=[s for s in PROCESSING_STEPS if s in allowed] if processes else [],
        flags_raised=processes,
        issues=issues,
        follow_ups=[a for a in FOLLOW_UPS if a in allowed] if issues else [],
        decisions=recent(Decision) if issues else [],
        conversion_kinds=CONVERSION_KINDS,
        executes=caller().has(Scope.FREEZE_EXECUTE),
        reasons=NOT_EXECUTABLE_REASONS,
    )


# -- the issuer ---------------------------------------------------------------------------------------


@bp.route("/freeze-orders/new", methods=["GET"])
@page("freeze_order:form", Scope.FREEZE_SUBMIT, purpose=True)
def new_freeze_order() -> Any:
    """The submission form: the written decisions the officer's agency may see, accounts, terms, and
    the transaction delays it sees still running (an order may follow them)."""
    running = service.delay_query(service.reader(db(), caller()), state=DelayState.IN_EFFECT)
    delays = db().scalars(running.order_by(TransactionDelay.delayed_at.desc()).limit(50)).all()
    return render(
        "console/freezing/new.html",
        form_id=form_id(),
        decisions=recent(Decision),
        delays=delays,
        rows=range(ACCOUNT_ROWS),
        today=service.today_in_vietnam().isoformat(),
    )


def _account(form: MultiDict, row: str) -> dict[str, Any] | None:
    """An account line of a form as the API's AccountSpec: `<bank>:<number>`, and its holder if known."""
    bank, number = form.get(f"bank-{row}", "").strip(), form.get(f"number-{row}", "").strip()
    if not (bank or number):
        return None
    account: dict[str, Any] = {"account": f"{bank}:{number}"}
    if form.get(f"holder-{row}", "").strip():
        account["holder_name"] = form[f"holder-{row}"].strip()
    return account


def _submission(form: MultiDict) -> dict[str, Any]:
    """The form as the API's JSON body."""
    accounts = [line for row in range(ACCOUNT_ROWS) if (line := _account(form, str(row)))]
    data = _filled(
        form,
        "decision_id",
        "amount_vnd",
        "legal_ground",
        "valid_from",
        "valid_until",
        "reason",
        "procuracy",
        "procuracy_reference",
        "procuracy_notified_at",
    )
    _amount(data, "amount_vnd")
    if "procuracy_notified_at" in data:
        data["procuracy_notified_at"] = local_time(data["procuracy_notified_at"])
    data.update(
        accounts=accounts,
        legal_bases=_lines(form.get("legal_bases", "")),
        whole_balance=form.get("whole_balance") == "on",
        urgent=form.get("urgent") == "on",
        transaction_delay_ids=form.getlist("transaction_delay_ids"),
    )
    return data


@bp.route("/freeze-orders", methods=["POST"])
@page("freeze_order:submit", Scope.FREEZE_SUBMIT)
def submit_freeze_order() -> Any:
    """As POST /api/v1/freeze-orders: the API's schema, then what its route does (orders.submit)."""
    once(request.form.get("form_id", ""), msg("the freeze orders list"))
    args = load(_CREATE, _submission(request.form))
    order = orders.submit(args)
    return _to_order(order.id)


def _follow_up_view(action: str) -> Any:
    schema = FOLLOW_UPS[action]

    @page(f"freeze_order:{action}", Scope.FREEZE_SUBMIT)
    def view(order_id: Any) -> Any:
        """As POST /api/v1/freeze-orders/{id}/{action}: the API's schema and the route's own function."""
        data = _filled(request.form, "decision_id", "note", "valid_until", "reason", "kind", "amount_vnd")
        _amount(data, "amount_vnd")
        if request.form.get("whole_balance") == "on":
            data["whole_balance"] = True
        added = _account(request.form, "added")
        if added:
            data["add_accounts"] = [added]
        args = load(schema, {key: value for key, value in data.items() if key in schema.fields})
        if action == "resubmit":
            follow_up.resubmit(order_id, args)
        elif action == "withdraw":
            follow_up.withdraw(order_id, args["note"])
        else:
            follow_up.follow_up(order_id, action, args)
        return _to_order(order_id)

    return view


_FOLLOW_UP_VIEWS = {action: _follow_up_view(action) for action in FOLLOW_UPS}


@bp.route(
    "/freeze-orders/<uuid:order_id>/<any(lift, resubmit, withdraw, extend, amend, convert):action>",
    methods=["POST"],
)
def follow_up_freeze_order(order_id: Any, action: str) -> Any:
    """One of the issuer's steps after submission, each guarded as its own API route (_follow_up_view)."""
    return _FOLLOW_UP_VIEWS[action](order_id)


follow_up_freeze_order.required_scope = Scope.FREEZE_SUBMIT  # type: ignore[attr-defined]


@bp.route("/freeze-orders/<uuid:order_id>/flags/<uuid:flag_id>/answer", methods=["POST"])
@page("freeze_order:answer_flag", Scope.FREEZE_SUBMIT)
def answer_freeze_order_flag(order_id: Any, flag_id: Any) -> Any:
    """As POST /api/v1/freeze-orders/{id}/flags/{flag}/answer: the issuer answers once."""
    args = load(_ANSWER, _filled(request.form, "answer"))
    processing.answer_flag(order_id, flag_id, args["answer"])
    return _to_order(order_id)


# -- the State Bank -------------------------------------------------------------------------------------


def _step_view(step: str) -> Any:
    @page(f"freeze_order:{step}", Scope.FREEZE_PROCESS)
    def view(order_id: Any) -> Any:
        """As POST /api/v1/freeze-orders/{id}/{step}: services.freezing.process, four-eyes included."""
        args = load(_STEP, _filled(request.form, "note"))
        processing.process_step(order_id, step, args.get("note"))
        return _to_order(order_id)

    return view


_STEP_VIEWS = {step: _step_view(step) for step in PROCESSING_STEPS}


@bp.route("/freeze-orders/<uuid:order_id>/<any(receive, check, dispatch, close):step>", methods=["POST"])
def process_freeze_order(order_id: Any, step: str) -> Any:
    """One of the State Bank's steps, each guarded as its own API route (_step_view)."""
    return _STEP_VIEWS[step](order_id)


process_freeze_order.required_scope = Scope.FREEZE_PROCESS  # type: ignore[attr-defined]


@bp.route("/freeze-orders/<uuid:order_id>/flags", methods=["POST"])
@page("freeze_order:flag", Scope.FREEZE_PROCESS)
def flag_freeze_order(order_id: Any) -> Any:
    """As POST /api/v1/freeze-orders/{id}/flags: a defect of form flagged to the issuer."""
    args = load(_FLAG, _filled(request.form, "defect"))
    processing.flag(order_id, args["defect"])
    return _to_order(order_id)


# -- the banks ----------------------------------------------------------------------------------------------


@bp.route("/freeze-orders/<uuid:order_id>/accounts/<uuid:account_id>/report", methods=["POST"])
@page("freeze_order:report_execution", Scope.FREEZE_EXECUTE)
def report_execution(order_id: Any, account_id: Any) -> Any:
    """As POST /api/v1/freeze-orders/{id}/accounts/{account}/report: the bank's execution of one account."""
    data = _filled(request.form, "outcome", "amount_frozen_vnd", "bank_reference", "reason", "note")
    _amount(data, "amount_frozen_vnd")
    args = load(_REPORT, data)
    execution.report_execution(order_id, account_id, args)
    return _to_order(order_id)


@bp.route("/freeze-orders/<uuid:order_id>/accounts/<uuid:account_id>/confirm-release", methods=["POST"])
@page("freeze_order:confirm_release", Scope.FREEZE_EXECUTE)
def confirm_release(order_id: Any, account_id: Any) -> Any:
    """As POST /api/v1/freeze-orders/{id}/accounts/{account}/confirm-release: the bank released it."""
    data = _filled(request.form, "release_reference", "released_at", "note")
    if "released_at" in data:
        data["released_at"] = local_time(data["released_at"])
    args = load(_RELEASE, data)
    execution.confirm_release(order_id, account_id, args)
    return _to_order(order_id)


# -- transaction delays (api/freezing/delays.py) -------------------------------------------------


@bp.route("/transaction-delays", methods=["GET"])
@page("transaction_delay:list", READERS)
@replica_reads
def transaction_delays() -> Any:
    """As GET /api/v1/transaction-delays: the delays the officer's agency sees, newest first."""
    filters = ("state", "page", "delayed_from", "delayed_to", "bank", "province")
    wanted = {key: value for key, value in request.args.items() if key in filters and value}
    args = load(_DELAY_QUERY, wanted)
    found = paginate(
        db(),
        service.delay_query(service.reader(db(), caller()), state=args.get("state")).where(
            *delay_clauses(args)
        ),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[TransactionDelay.delayed_at.desc(), TransactionDelay.id],
    )
    return render(
        "console/freezing/delays.html",
        found=DelayPage().dump(found),
        state=args.get("state", ""),
        states=[state.value for state in DelayState],
    )


@bp.route("/transaction-delays/new", methods=["GET"])
@page("transaction_delay:form", Scope.FREEZE_EXECUTE, purpose=True)
def new_transaction_delay() -> Any:
    """The form of a bank's report of a transaction it delayed."""
    return render(
        "console/freezing/new_delay.html",
        form_id=form_id(),
        bank=service.viewer(db(), caller()).bank_bin or "",
    )


@bp.route("/transaction-delays", methods=["POST"])
@page("transaction_delay:report", Scope.FREEZE_EXECUTE)
def report_transaction_delay() -> Any:
    """As POST /api/v1/transaction-delays: the API's schema, then what its route does (delays.report)."""
    form = request.form
    once(form.get("form_id", ""), msg("the transaction delays list"))
    data = _filled(
        form, "holder_name", "amount_vnd", "reason", "bank_reference", "delayed_at", "sbv_reported_at"
    )
    data.update(_filled(form, "sbv_reference"))
    bank, number = form.get("bank", "").strip(), form.get("number", "").strip()
    data["account"] = f"{bank}:{number}" if bank or number else ""
    _amount(data, "amount_vnd")
    for name in ("delayed_at", "sbv_reported_at"):
        if name in data:
            data[name] = local_time(data[name])
    data["reported_to"] = form.get("reported_to", "").replace(",", " ").split()
    args = load(_DELAY_CREATE, data)
    delay = delay_steps.report(args)
    return redirect(url_for("console.transaction_delay", delay_id=delay.id))


@bp.route("/transaction-delays/<uuid:delay_id>", methods=["GET"])
@page("transaction_delay:read", READERS)
def transaction_delay(delay_id: Any) -> Any:
    audit_resource("transaction_delay", delay_id)
    delay = service.load_visible_delay(db(), caller(), delay_id)
    shown = DelayRead().dump(delay)
    own = caller().has(Scope.FREEZE_EXECUTE) and shown["bank"] == caller().agency
    return render(
        "console/freezing/delay.html",
        item=shown,
        releases="release" in shown["allowed_actions"] and own,
        records_report=own and not shown["sbv_reported_at"],
    )


@bp.route("/transaction-delays/<uuid:delay_id>/release", methods=["POST"])
@page("transaction_delay:release", Scope.FREEZE_EXECUTE)
def release_transaction_delay(delay_id: Any) -> Any:
    """As POST /api/v1/transaction-delays/{id}/release: the reporting bank ends its delay early."""
    args = load(_STEP, _filled(request.form, "note"))
    delay_steps.release(delay_id, args["note"])
    return redirect(url_for("console.transaction_delay", delay_id=delay_id))


@bp.route("/transaction-delays/<uuid:delay_id>/sbv-report", methods=["POST"])
@page("transaction_delay:sbv_report", Scope.FREEZE_EXECUTE)
def record_transaction_delay_sbv_report(delay_id: Any) -> Any:
    """As POST /api/v1/transaction-delays/{id}/sbv-report: when and under which reference (once)."""
    data = _filled(request.form, "sbv_reported_at", "sbv_reference")
    if "sbv_reported_at" in data:
        data["sbv_reported_at"] = local_time(data["sbv_reported_at"])
    args = load(_SBV_REPORT, data)
    delay_steps.sbv_report(delay_id, args)
    return redirect(url_for("console.transaction_delay", delay_id=delay_id))
