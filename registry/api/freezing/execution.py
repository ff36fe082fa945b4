"""The banks' reports on a dispatched order, account by account."""

from __future__ import annotations

from typing import Any

from registry.api.context import caller, db
from registry.api.freezing.common import INVALID_STATE, NOT_FOUND, ORDERS, blp, changed, load_for_step
from registry.auth.scopes import Scope
from registry.schemas.freezing import ExecutionReport, FreezeOrderRead
from registry.services import freezing as service


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
