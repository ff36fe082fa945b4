"""Account-freeze orders (/freeze-orders) and bank-initiated transaction delays (/transaction-delays).

Who sees what is the rule in `registry.services.freezing` (issuer, State Bank, Standing Office, and the
banks addressed, each bank its own accounts only); everyone else gets 404. Reads need a freeze scope
(or, for the Standing Office, `registry:read`). Full account numbers: to a bank for its own accounts;
to the issuer and the State Bank with `?sensitive=true` (scope `registry:read_sensitive` and a purpose).
Answers to submissions are kept for idempotent replays, so they never carry a full account number.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import g
from sqlalchemy import select

from registry.api import presenters
from registry.api.blueprint import RegistryBlueprint
from registry.api.context import app_state, audit_change, audit_resource, caller, db
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.errors import PermissionDenied
from registry.models import Agency, Decision, Identifier, WorkflowTransition
from registry.models.freezing import FreezeAccount, FreezeOrder, TransactionDelay
from registry.schemas.freezing import (
    DelayCreate,
    DelayPage,
    DelayQuery,
    DelayRead,
    ExecutionReport,
    FreezeAmendment,
    FreezeConversion,
    FreezeExtension,
    FreezeLifting,
    FreezeOrderCorrection,
    FreezeOrderCreate,
    FreezeOrderPage,
    FreezeOrderQuery,
    FreezeOrderRead,
    FreezeReturn,
    FreezeStep,
    OverduePage,
    OverdueQuery,
)
from registry.schemas.identifiers import RevealQuery
from registry.services import freezing as service
from registry.services import workflow
from registry.services.identifiers import canonical_value
from registry.services.pagination import paginate

blp = RegistryBlueprint(
    "freezing", __name__, url_prefix="/api/v1", description="Account-freeze orders and transaction delays"
)
ORDERS = "/freeze-orders"
DELAYS = "/transaction-delays"
NOT_FOUND = "Not found, or not visible to the caller (another bank's order or account)"
INVALID_STATE = "Invalid transition: `current_state` and `allowed` actions; or changed concurrently"


# -- presenting --------------------------------------------------------------------------------------


def _identifiers(ids: list[uuid.UUID]) -> dict[uuid.UUID, Identifier]:
    return {i.id: i for i in db().scalars(select(Identifier).where(Identifier.id.in_(ids)))} if ids else {}


def _decision(decision_id: uuid.UUID) -> dict[str, Any]:
    decision = db().get(Decision, decision_id)
    assert decision is not None
    return {
        "id": decision.id,
        "number": decision.number,
        "document_type": decision.document_type,
        "issued_on": decision.issued_on,
        "issuer": presenters.agency_code(decision.issuer_agency_id),
    }


def _transition(t: WorkflowTransition, v: service.Viewer, *, account: bool, hide: bool) -> dict[str, Any]:
    """A bank sees who acted only within its own agency, and the facts only of its own accounts."""
    own = t.agency_id == v.agency.id
    return {
        "action": t.action,
        "from_state": t.from_state,
        "to_state": t.to_state,
        "account_id": t.record_id if account else None,
        "agency": presenters.agency_code(t.agency_id),
        "officer": t.officer if (own or not hide) else None,
        "reason": t.reason,
        "decision_id": t.decision_id,
        "detail": json.loads(t.detail) if t.detail and (account or not hide) else None,
        "at": t.at,
    }


def _account(a: FreezeAccount, identifier: Identifier, revealed: bool) -> dict[str, Any]:
    return {
        "id": a.id,
        "bank": _bank_code(a.bank_bin),
        "bank_bin": a.bank_bin,
        "bank_code": identifier.attributes.get("bank_code"),
        "identifier_id": a.identifier_id,
        "display": identifier.display,
        "account_number": canonical_value(identifier, app_state().cipher) if revealed else None,
        "holder_name": a.holder_name,
        "subject_id": a.subject_id,
        "state": a.state,
        "due_at": a.state_due_at,
        "amount_frozen_vnd": a.amount_frozen_vnd,
        "executed_at": a.executed_at,
        "bank_reference": a.bank_reference,
        "not_executable_reason": a.not_executable_reason,
        "note": a.note,
        "reported_at": a.reported_at,
    }


def _bank_code(bank_bin: str) -> str | None:
    """Agency codes of the banks by BIN, loaded once per request."""
    if "bank_codes" not in g:
        rows = db().execute(select(Agency.bank_bin, Agency.code).where(Agency.bank_bin.is_not(None)))
        g.bank_codes = dict(rows.tuples().all())
    return g.bank_codes.get(bank_bin)


def present_order(
    order: FreezeOrder,
    v: service.Viewer,
    *,
    reveal: bool = False,
    mask: bool = False,
    with_transitions: bool = True,
    loaded: dict[uuid.UUID, Identifier] | None = None,
) -> dict[str, Any]:
    accounts = service.visible_accounts(v, order)
    identifiers = loaded or _identifiers([a.identifier_id for a in accounts])
    bank_only = not v.sees_all_accounts(order)
    revealed = not mask and (bank_only or (reveal and v.may_reveal(order)))
    frozen = service.executed_total(accounts)
    body = {
        "id": order.id,
        "state": order.state,
        "allowed_actions": service.ORDER.allowed(order.state),
        "version": order.version,
        "due_at": order.state_due_at,
        "issuer": presenters.agency_code(order.issuer_agency_id),
        "decision": _decision(order.decision_id),
        "current_decision": _decision(order.current_decision_id),
        "accounts": [_account(a, identifiers[a.identifier_id], revealed) for a in accounts],
        "holders": sorted({a.holder_name for a in accounts if a.holder_name}),
        "amount_vnd": order.amount_vnd,
        "whole_balance": order.whole_balance,
        "executed_total_vnd": frozen,
        "outstanding_vnd": None if order.amount_vnd is None else max(order.amount_vnd - frozen, 0),
        "legal_bases": order.legal_bases,
        "valid_from": order.valid_from,
        "valid_until": order.valid_until,
        "reason": order.reason,
        "procuracy_notified_at": order.procuracy_notified_at,
        "procuracy_reference": order.procuracy_reference,
        "conversion_kind": order.conversion_kind,
        "converted_amount_vnd": order.converted_amount_vnd,
        "transaction_delay_ids": service.delay_ids_of(db(), v, order),
        "dispatched_at": order.dispatched_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }
    if with_transitions:
        body["transitions"] = [
            _transition(t, v, account=t.record_type == service.ACCOUNT.record_type, hide=bank_only)
            for t in service.transitions(db(), order, accounts)
        ]
    return body


def _reveal_orders(requested: bool, v: service.Viewer) -> bool:
    """?sensitive=true: the scope (and, by the guard, a purpose); and only the issuer or the State Bank."""
    if requested and presenters.reveal(requested) and v.overseer and not v.processor:
        raise PermissionDenied("Only the issuing agency and the State Bank may see full account numbers.")
    return requested


def _load(order_id: Any) -> tuple[service.Viewer, FreezeOrder]:
    audit_resource("freeze_order", order_id)
    v = service.viewer(db(), caller())
    service.require_reader(v)
    return v, service.get_order(db(), v, order_id)


def _changed(order: FreezeOrder, action: str, **facts: Any) -> None:
    audit_change({"order": str(order.id), "action": action, "state": order.state, **facts})


def _account_hashes(order: FreezeOrder) -> list[dict[str, str]]:
    rows = _identifiers([a.identifier_id for a in order.accounts])
    return [{"bank_bin": a.bank_bin, "value_hash": rows[a.identifier_id].value_hash} for a in order.accounts]


def _terms(order: FreezeOrder) -> dict[str, Any]:
    return {key: str(value) if value is not None else None for key, value in service.terms_of(order).items()}


# -- orders: submission and reading -----------------------------------------------------------------


@blp.route(ORDERS, methods=["POST"])
@blp.access("freeze_order:submit", Scope.FREEZE_SUBMIT)
@blp.idempotent
@blp.arguments(FreezeOrderCreate)
@blp.response(201, FreezeOrderRead)
@blp.alt_response(409, description="Idempotency-Key reused for another request; or a linked delay has ended")
def submit_freeze_order(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Submit a freeze order (issuing body, named officer)

    The decision must be visible to the caller, issued by the caller's agency, and its issuer competent
    to order a freeze (configurable table); an investigation body's order carries its notification to
    the procuracy. Accounts are normalised and registered as identifiers. Linked transaction delays stop
    running. The State Bank must dispatch it by the end of the working day.
    """
    order = service.submit(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("freeze_order", order.id)
    _changed(
        order, "submit", decision=str(order.decision_id), accounts=_account_hashes(order), **_terms(order)
    )
    return present_order(order, service.viewer(db(), caller()), mask=True)


@blp.route(ORDERS, methods=["GET"])
@blp.access("freeze_order:list", (*service.READ_SCOPES, Scope.REGISTRY_READ))
@blp.arguments(FreezeOrderQuery, location="query")
@blp.response(200, FreezeOrderPage)
def list_freeze_orders(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """List the freeze orders visible to the caller, newest first

    Needs a freeze scope (the Standing Office: `registry:read`). A bank sees the orders dispatched to
    it, with its own accounts only.
    """
    v = service.viewer(db(), caller())
    service.require_reader(v)
    reveal = _reveal_orders(args["sensitive"], v)
    page = paginate(
        db(),
        service.search(v, state=args.get("state")),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[FreezeOrder.created_at.desc(), FreezeOrder.id],
    )
    for order in page["items"]:
        service.expire_order_if_due(db(), order)
    loaded = _identifiers([a.identifier_id for o in page["items"] for a in o.accounts])
    page["items"] = [
        present_order(o, v, reveal=reveal, with_transitions=False, loaded=loaded) for o in page["items"]
    ]
    return page


@blp.route(f"{ORDERS}/overdue", methods=["GET"])
@blp.access("freeze_order:overdue", (*service.READ_SCOPES, Scope.REGISTRY_READ))
@blp.arguments(OverdueQuery, location="query")
@blp.response(200, OverduePage)
def list_overdue_freeze_orders(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """List orders with a step past its deadline (State Bank and Standing Office)

    A step of the State Bank (dispatch by the end of the working day), of the issuer (correction) or
    of a bank (execution within 24 hours); deadlines are configurable. `late` says whose move it is.
    """
    v = service.viewer(db(), caller())
    service.require_reader(v)
    now = utcnow()
    query = service.overdue_query(v, now)
    if args.get("state"):
        query = query.where(FreezeOrder.state == args["state"])
    page = paginate(
        db(),
        query,
        page=args["page"],
        per_page=args["per_page"],
        order_by=[FreezeOrder.created_at, FreezeOrder.id],
    )
    late = service.late_steps(db(), page["items"], now)
    page["items"] = [
        {**present_order(o, v, with_transitions=False), "late": late[o.id]} for o in page["items"]
    ]
    return page


@blp.route(f"{ORDERS}/<uuid:order_id>", methods=["GET"])
@blp.access("freeze_order:read", (*service.READ_SCOPES, Scope.REGISTRY_READ))
@blp.arguments(RevealQuery, location="query")
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
def get_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Get one freeze order with its history of transitions

    An order past its validity is expired on reading (a system transition).
    """
    v, order = _load(order_id)
    if args["sensitive"] and presenters.reveal(True) and not v.may_reveal(order):
        raise PermissionDenied("Only the issuing agency and the State Bank may see full account numbers.")
    return present_order(order, v, reveal=args["sensitive"])


# -- orders: the State Bank --------------------------------------------------------------------------


def _process(order_id: Any, action: str, note: str | None) -> dict[str, Any]:
    v, order = _load(order_id)
    service.process(db(), principal=caller(), order=order, action=action, note=note)
    _changed(order, action, note=note)
    return present_order(order, v)


@blp.route(f"{ORDERS}/<uuid:order_id>/receive", methods=["POST"])
@blp.access("freeze_order:receive", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def receive_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Receive an order (State Bank, named officer)"""
    return _process(order_id, "receive", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/check", methods=["POST"])
@blp.access("freeze_order:check", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def check_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Check an order: the decision to dispatch (State Bank, not the officer who received it)"""
    return _process(order_id, "check", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/return", methods=["POST"])
@blp.access("freeze_order:return", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeReturn)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def return_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Return an order to the issuer for correction (State Bank, named officer)"""
    return _process(order_id, "return_for_correction", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/dispatch", methods=["POST"])
@blp.access("freeze_order:dispatch", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def dispatch_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Dispatch a checked order to the banks holding its accounts (State Bank)

    Each bank must execute or answer within the configured hours (default 24).
    """
    return _process(order_id, "dispatch", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/close", methods=["POST"])
@blp.access("freeze_order:close", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def close_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Close an order that was lifted, expired, converted or not executed (State Bank)"""
    return _process(order_id, "close", args["note"])


# -- orders: the issuer ------------------------------------------------------------------------------


@blp.route(f"{ORDERS}/<uuid:order_id>/resubmit", methods=["POST"])
@blp.access("freeze_order:resubmit", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeOrderCorrection)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def resubmit_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Resubmit a returned order with its corrections (issuing agency, named officer)"""
    v, order = _load(order_id)
    service.resubmit(db(), cipher=app_state().cipher, principal=caller(), order=order, data=args)
    _changed(order, "resubmit", accounts=_account_hashes(order), **_terms(order))
    return present_order(order, v)


def _follow_up(order_id: Any, action: str, args: dict[str, Any]) -> dict[str, Any]:
    v, order = _load(order_id)
    getattr(service, action)(db(), principal=caller(), order=order, data=args)
    _changed(
        order,
        action,
        decision=str(args["decision_id"]),
        note=args["note"],
        **_terms(order),
        conversion=order.conversion_kind,
        converted=order.converted_amount_vnd,
    )
    return present_order(order, v)


@blp.route(f"{ORDERS}/<uuid:order_id>/amend", methods=["POST"])
@blp.access("freeze_order:amend", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeAmendment)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def amend_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Amend an order in effect on a new decision (issuing agency); the terms before are kept"""
    return _follow_up(order_id, "amend", args)


@blp.route(f"{ORDERS}/<uuid:order_id>/extend", methods=["POST"])
@blp.access("freeze_order:extend", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeExtension)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def extend_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Extend an order in effect on a new decision (issuing agency)"""
    return _follow_up(order_id, "extend", args)


@blp.route(f"{ORDERS}/<uuid:order_id>/lift", methods=["POST"])
@blp.access("freeze_order:lift", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeLifting)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def lift_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Lift an order on a cancellation decision (issuing agency)"""
    return _follow_up(order_id, "lift", args)


@blp.route(f"{ORDERS}/<uuid:order_id>/convert", methods=["POST"])
@blp.access("freeze_order:convert", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeConversion)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def convert_freeze_order(args: dict[str, Any], order_id: Any):  # type: ignore[no-untyped-def]
    """Convert frozen funds (deduction or confiscation) on a decision (issuing agency)"""
    return _follow_up(order_id, "convert", args)


# -- orders: the banks -------------------------------------------------------------------------------


@blp.route(f"{ORDERS}/<uuid:order_id>/accounts/<uuid:account_id>/report", methods=["POST"])
@blp.access("freeze_order:report_execution", Scope.FREEZE_EXECUTE)
@blp.arguments(ExecutionReport)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def report_freeze_execution(args: dict[str, Any], order_id: Any, account_id: Any):  # type: ignore[no-untyped-def]
    """Report the execution of one account (its bank): amount frozen, or why it cannot be

    The order takes effect with the first account executed; if none can be, it is not executed.
    """
    v, order = _load(order_id)
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
    return present_order(order, v)


# -- bank-initiated transaction delays ---------------------------------------------------------------


def present_delay(
    delay: TransactionDelay, v: service.Viewer, *, reveal: bool = False, mask: bool = False
) -> dict[str, Any]:
    identifier = _identifiers([delay.identifier_id])[delay.identifier_id]
    own = v.bank_bin is not None and delay.bank_agency_id == v.agency.id
    revealed = not mask and (own or reveal)
    return {
        "id": delay.id,
        "state": delay.state,
        "allowed_actions": service.DELAY.allowed(delay.state),
        "bank": presenters.agency_code(delay.bank_agency_id),
        "bank_bin": delay.bank_bin,
        "identifier_id": delay.identifier_id,
        "display": identifier.display,
        "account_number": canonical_value(identifier, app_state().cipher) if revealed else None,
        "holder_name": delay.holder_name,
        "amount_vnd": delay.amount_vnd,
        "reason": delay.reason,
        "bank_reference": delay.bank_reference,
        "delayed_at": delay.delayed_at,
        "ends_at": delay.ends_at,
        "reported_to": service.notified_codes(db(), delay),
        "superseded_by_order_id": delay.superseded_by_order_id,
        "reported_at": delay.created_at,
        "transitions": [
            _transition(t, v, account=False, hide=False)
            for t in workflow.transitions(db(), service.DELAY.record_type, delay.id)
        ],
    }


def _reveal_delay(requested: bool, v: service.Viewer) -> bool:
    if requested and presenters.reveal(requested) and not service.may_reveal_delay(v):
        raise PermissionDenied(
            "Only the State Bank and the authorities notified may see full account numbers."
        )
    return requested


@blp.route(DELAYS, methods=["POST"])
@blp.access("transaction_delay:report", Scope.FREEZE_EXECUTE)
@blp.idempotent
@blp.arguments(DelayCreate)
@blp.response(201, DelayRead)
@blp.alt_response(409, description="Idempotency-Key reused for another request")
def report_transaction_delay(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Report a transaction the bank delayed on one of its own accounts

    It ends by itself after the configured working days (default 3; weekends and Vietnamese public
    holidays excluded) unless a freeze order follows and links to it.
    """
    delay = service.report_delay(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("transaction_delay", delay.id)
    hashed = db().get(Identifier, delay.identifier_id)
    audit_change(
        {
            "delay": str(delay.id),
            "account_hash": hashed.value_hash if hashed else None,
            "amount_vnd": delay.amount_vnd,
            "delayed_at": delay.delayed_at.isoformat(),
            "reported_to": sorted(args["reported_to"]),
        }
    )
    return present_delay(delay, service.viewer(db(), caller()), mask=True)


@blp.route(DELAYS, methods=["GET"])
@blp.access("transaction_delay:list", (*service.READ_SCOPES, Scope.REGISTRY_READ))
@blp.arguments(DelayQuery, location="query")
@blp.response(200, DelayPage)
def list_transaction_delays(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """List the transaction delays visible to the caller, newest first

    The reporting bank, the authorities it reported to, the State Bank and the Standing Office.
    """
    v = service.viewer(db(), caller())
    service.require_reader(v)
    reveal = _reveal_delay(args["sensitive"], v)
    page = paginate(
        db(),
        service.search_delays(v, state=args.get("state")),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[TransactionDelay.delayed_at.desc(), TransactionDelay.id],
    )
    for delay in page["items"]:
        service.expire_delay_if_due(db(), delay)
    page["items"] = [present_delay(d, v, reveal=reveal) for d in page["items"]]
    return page


def _load_delay(delay_id: Any) -> tuple[service.Viewer, TransactionDelay]:
    audit_resource("transaction_delay", delay_id)
    v = service.viewer(db(), caller())
    service.require_reader(v)
    return v, service.get_delay(db(), v, delay_id)


@blp.route(f"{DELAYS}/<uuid:delay_id>", methods=["GET"])
@blp.access("transaction_delay:read", (*service.READ_SCOPES, Scope.REGISTRY_READ))
@blp.arguments(RevealQuery, location="query")
@blp.response(200, DelayRead)
@blp.alt_response(404, description=NOT_FOUND)
def get_transaction_delay(args: dict[str, Any], delay_id: Any):  # type: ignore[no-untyped-def]
    """Get one transaction delay; one past its end expires on reading (a system transition)"""
    v, delay = _load_delay(delay_id)
    return present_delay(delay, v, reveal=_reveal_delay(args["sensitive"], v))


@blp.route(f"{DELAYS}/<uuid:delay_id>/release", methods=["POST"])
@blp.access("transaction_delay:release", Scope.FREEZE_EXECUTE)
@blp.arguments(FreezeStep)
@blp.response(200, DelayRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def release_transaction_delay(args: dict[str, Any], delay_id: Any):  # type: ignore[no-untyped-def]
    """Release a delayed transaction before its end (the reporting bank)"""
    v, delay = _load_delay(delay_id)
    service.release_delay(db(), principal=caller(), delay=delay, note=args["note"])
    audit_change({"delay": str(delay.id), "action": "release", "state": delay.state, "note": args["note"]})
    return present_delay(delay, v)
