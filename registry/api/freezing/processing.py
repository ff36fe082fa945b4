"""The State Bank's steps on a freeze order: receive, check, return for correction, dispatch, close."""

from __future__ import annotations

from typing import Any

from registry.api.context import caller, db
from registry.api.freezing.common import INVALID_STATE, NOT_FOUND, ORDERS, blp, changed, load_for_step
from registry.auth.scopes import Scope
from registry.models.freezing import FreezeOrder
from registry.schemas.freezing import FreezeOrderRead, FreezeReturn, FreezeStep
from registry.services import freezing as service


def _process(order_id: Any, action: str, note: str | None) -> FreezeOrder:
    order = load_for_step(order_id)
    service.process(db(), principal=caller(), order=order, action=action, note=note)
    changed(order, action, note=note)
    return order


@blp.route(f"{ORDERS}/<uuid:order_id>/receive", methods=["POST"])
@blp.access("freeze_order:receive", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def receive_freeze_order(args: dict[str, Any], order_id: Any):
    """Receive an order (State Bank, named officer)"""
    return _process(order_id, "receive", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/check", methods=["POST"])
@blp.access("freeze_order:check", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def check_freeze_order(args: dict[str, Any], order_id: Any):
    """Check an order: the decision to dispatch (State Bank, not the officer who received it)"""
    return _process(order_id, "check", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/return", methods=["POST"])
@blp.access("freeze_order:return", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeReturn)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def return_freeze_order(args: dict[str, Any], order_id: Any):
    """Return an order to the issuer for correction (State Bank, named officer)"""
    return _process(order_id, "return_for_correction", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/dispatch", methods=["POST"])
@blp.access("freeze_order:dispatch", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def dispatch_freeze_order(args: dict[str, Any], order_id: Any):
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
def close_freeze_order(args: dict[str, Any], order_id: Any):
    """Close an order that was lifted, expired, converted or not executed (State Bank)"""
    return _process(order_id, "close", args["note"])
