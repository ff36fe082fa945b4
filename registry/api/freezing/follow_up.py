"""The issuer's steps after submission: resubmit a returned order; amend, extend, lift or convert one."""

from __future__ import annotations

from typing import Any

from registry.api.context import app_state, caller, db
from registry.api.freezing.common import (
    INVALID_STATE,
    NOT_FOUND,
    ORDERS,
    account_hashes,
    blp,
    changed,
    load_for_step,
    terms,
)
from registry.auth.scopes import Scope
from registry.models.freezing import FreezeOrder
from registry.schemas.freezing import (
    FreezeAmendment,
    FreezeConversion,
    FreezeExtension,
    FreezeLifting,
    FreezeOrderCorrection,
    FreezeOrderRead,
    FreezeWithdrawal,
)
from registry.services import freezing as service


@blp.route(f"{ORDERS}/<uuid:order_id>/resubmit", methods=["POST"])
@blp.access("freeze_order:resubmit", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeOrderCorrection)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def resubmit_freeze_order(args: dict[str, Any], order_id: Any):
    """Correct an order before dispatch (issuing agency, named officer), e.g. answering a flag

    The State Bank checks it again; its dispatch deadline starts again.
    """
    return resubmit(order_id, args)


def resubmit(order_id: Any, args: dict[str, Any]) -> FreezeOrder:
    """A corrected order, as its route and the console's send it: load, resubmit, audit."""
    order = load_for_step(order_id)
    service.resubmit(db(), cipher=app_state().cipher, principal=caller(), order=order, data=args)
    changed(order, "resubmit", accounts=account_hashes(order), **terms(order))
    return order


def withdraw(order_id: Any, note: str) -> FreezeOrder:
    """An order withdrawn, as its route and the console's do it."""
    order = load_for_step(order_id)
    service.withdraw(db(), principal=caller(), order=order, note=note)
    changed(order, "withdraw", note=note)
    return order


def follow_up(order_id: Any, action: str, args: dict[str, Any]) -> FreezeOrder:
    """Amend, extend, lift or convert, as their routes and the console's do it: load, step, audit."""
    order = load_for_step(order_id)
    step = {
        "amend": service.amend,
        "extend": service.extend,
        "lift": service.lift,
        "convert": service.convert,
    }
    if action == "amend":
        service.amend(db(), principal=caller(), order=order, data=args, cipher=app_state().cipher)
    else:
        step[action](db(), principal=caller(), order=order, data=args)
    changed(
        order,
        action,
        decision=str(args["decision_id"]),
        note=args["note"],
        **terms(order),
        conversion=order.conversion_kind,
        converted=order.converted_amount_vnd,
        accounts=account_hashes(order),
    )
    return order


@blp.route(f"{ORDERS}/<uuid:order_id>/withdraw", methods=["POST"])
@blp.access("freeze_order:withdraw", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeWithdrawal)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def withdraw_freeze_order(args: dict[str, Any], order_id: Any):
    """Withdraw an order before the State Bank dispatches it (issuing agency, named officer, a note)"""
    return withdraw(order_id, args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/amend", methods=["POST"])
@blp.access("freeze_order:amend", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeAmendment)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def amend_freeze_order(args: dict[str, Any], order_id: Any):
    """Amend an order in effect on a new decision (issuing agency); the terms before are kept

    `add_accounts` adds accounts, dispatched to their banks at once on the amending decision.
    """
    return follow_up(order_id, "amend", args)


@blp.route(f"{ORDERS}/<uuid:order_id>/extend", methods=["POST"])
@blp.access("freeze_order:extend", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeExtension)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def extend_freeze_order(args: dict[str, Any], order_id: Any):
    """Extend an order in effect on a new decision (issuing agency)"""
    return follow_up(order_id, "extend", args)


@blp.route(f"{ORDERS}/<uuid:order_id>/lift", methods=["POST"])
@blp.access("freeze_order:lift", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeLifting)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def lift_freeze_order(args: dict[str, Any], order_id: Any):
    """Lift an order on a cancellation decision (issuing agency)"""
    return follow_up(order_id, "lift", args)


@blp.route(f"{ORDERS}/<uuid:order_id>/convert", methods=["POST"])
@blp.access("freeze_order:convert", Scope.FREEZE_SUBMIT)
@blp.arguments(FreezeConversion)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def convert_freeze_order(args: dict[str, Any], order_id: Any):
    """Convert frozen funds (deduction or confiscation) on a decision (issuing agency)"""
    return follow_up(order_id, "convert", args)
