"""The banks' reports on a dispatched order, account by account: execution, and release confirmations."""

from __future__ import annotations

from typing import Any

from registry.api.context import caller, db
from registry.api.freezing.common import INVALID_STATE, NOT_FOUND, ORDERS, blp, changed, load_for_step
from registry.auth.scopes import Scope
from registry.models.freezing import FreezeOrder
from registry.schemas.freezing import ExecutionReport, FreezeOrderRead, ReleaseConfirmation
from registry.services import freezing as service
from registry.services.freezing import releases


@blp.route(f"{ORDERS}/<uuid:order_id>/accounts/<uuid:account_id>/report", methods=["POST"])
@blp.access("freeze_order:report_execution", Scope.FREEZE_EXECUTE)
@blp.arguments(ExecutionReport)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def report_freeze_execution(args: dict[str, Any], order_id: Any, account_id: Any):
    """Report the execution of one account (its bank): amount frozen, or why it cannot be

    The order takes effect with the first account executed; if none can be, it is not executed.
    """
    return report_execution(order_id, account_id, args)


def report_execution(order_id: Any, account_id: Any, args: dict[str, Any]) -> FreezeOrder:
    """A bank's report on one account, as its route and the console's make it: load, report, audit."""
    order = load_for_step(order_id)
    account = service.report_execution(
        db(), principal=caller(), order=order, account_id=account_id, data=args
    )
    changed(
        order,
        "report_execution",
        account=str(account.id),
        outcome=args["outcome"],
        amount_frozen_vnd=args.get("amount_frozen_vnd"),
        reason=args.get("reason"),
    )
    return order


@blp.route(f"{ORDERS}/<uuid:order_id>/accounts/<uuid:account_id>/confirm-release", methods=["POST"])
@blp.access("freeze_order:confirm_release", Scope.FREEZE_EXECUTE)
@blp.arguments(ReleaseConfirmation)
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="No release instruction on this account")
def confirm_freeze_release(args: dict[str, Any], order_id: Any, account_id: Any):
    """Confirm a release instruction on one account (its bank): after a lift, an expiry, or an amendment
    lowering the amount

    The amount released leaves the order's frozen total; the account is released, or stays executed for
    what remains frozen.
    """
    return confirm_release(order_id, account_id, args)


def confirm_release(order_id: Any, account_id: Any, args: dict[str, Any]) -> FreezeOrder:
    """A bank's confirmation of a release, as its route and the console's make it."""
    order = load_for_step(order_id)
    account = releases.confirm_release(
        db(), principal=caller(), order=order, account_id=account_id, data=args
    )
    changed(
        order,
        "confirm_release",
        account=str(account.id),
        released_vnd=account.released_vnd,
        release_reference=args["release_reference"],
    )
    return order
