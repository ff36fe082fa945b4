"""The State Bank's steps on a freeze order: receive, check, dispatch, close; and its flags of defects.

The State Bank checks an order's form but does not hold back or return an order of a competent body: it
flags a defect to the issuer (who answers it, here too) and dispatches. Urgent orders reach the banks at
submission; the State Bank flags what it finds afterwards.
"""

from __future__ import annotations

from typing import Any

from registry.api.context import caller, db
from registry.api.freezing.common import INVALID_STATE, NOT_FOUND, ORDERS, blp, changed, load_for_step
from registry.auth.scopes import Scope
from registry.models.freezing import FreezeOrder
from registry.schemas.freezing import FlagAnswer, FlagCreate, FreezeOrderRead, FreezeStep
from registry.services import freezing as service
from registry.services.freezing import flags


def process_step(order_id: Any, action: str, note: str | None) -> FreezeOrder:
    """One of the State Bank's steps, as its route and the console's do it: load, step, audit."""
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
    return process_step(order_id, "receive", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/check", methods=["POST"])
@blp.access("freeze_order:check", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def check_freeze_order(args: dict[str, Any], order_id: Any):
    """Check an order: the decision to dispatch (State Bank, not the officer who received it)"""
    return process_step(order_id, "check", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/flags", methods=["POST"])
@blp.access("freeze_order:flag", Scope.FREEZE_PROCESS)
@blp.arguments(FlagCreate)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="The order is closed or withdrawn")
def flag_freeze_order(args: dict[str, Any], order_id: Any):
    """Flag a defect of form to the issuer (State Bank, named officer)

    The flag holds nothing back: the order goes on (the State Bank may not return an order of a
    competent body). The issuer sees the flag on the order and answers it.
    """
    return flag(order_id, args["defect"])


def flag(order_id: Any, defect: str) -> FreezeOrder:
    """A flag raised, as its route and the console's do it."""
    order = load_for_step(order_id)
    raised = flags.raise_flag(db(), principal=caller(), order=order, defect=defect)
    changed(order, "flag", flag=str(raised.id))
    return order


@blp.route(f"{ORDERS}/<uuid:order_id>/flags/<uuid:flag_id>/answer", methods=["POST"])
@blp.access("freeze_order:answer_flag", Scope.FREEZE_SUBMIT)
@blp.arguments(FlagAnswer)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="Answered already")
def answer_freeze_order_flag(args: dict[str, Any], order_id: Any, flag_id: Any):
    """Answer a flag of the State Bank (issuing agency, named officer), once"""
    return answer_flag(order_id, flag_id, args["answer"])


def answer_flag(order_id: Any, flag_id: Any, answer: str) -> FreezeOrder:
    """A flag answered, as its route and the console's do it."""
    order = load_for_step(order_id)
    flags.answer_flag(db(), principal=caller(), order=order, flag_id=flag_id, answer=answer)
    changed(order, "answer_flag", flag=str(flag_id))
    return order


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
    return process_step(order_id, "dispatch", args["note"])


@blp.route(f"{ORDERS}/<uuid:order_id>/close", methods=["POST"])
@blp.access("freeze_order:close", Scope.FREEZE_PROCESS)
@blp.arguments(FreezeStep)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def close_freeze_order(args: dict[str, Any], order_id: Any):
    """Close an order that was lifted, expired, converted or not executed (State Bank)

    Not while a bank has still to confirm a release instruction (409).
    """
    return process_step(order_id, "close", args["note"])
