"""The Standing Office's overdue pages: steps past their deadline in both workflows. Each route mirrors
the API's overdue list of the same audit action (GET /api/v1/block-requests/overdue and
/api/v1/freeze-orders/overdue): same scopes, services, schemas and order; who sees what is the
services' rule (the Standing Office everything, a submitter its own requests, the State Bank every
order)."""

from __future__ import annotations

from typing import Any

from flask import request

from registry.api.context import db, replica_reads
from registry.api.overdue import READERS as STEP_READERS
from registry.api.overdue import overdue_page
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, load, render
from registry.console.session import page
from registry.db import utcnow
from registry.models import BlockRequest
from registry.models.freezing import FreezeOrder
from registry.schemas.blocking import BlockOverduePage
from registry.schemas.common import PageQuery
from registry.schemas.freezing import OverduePage
from registry.schemas.overdue import OverduePage as StepsPage
from registry.schemas.overdue import OverdueQuery
from registry.services import blocking, freezing
from registry.services.pagination import paginate

BLOCK_READERS = (Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE, Scope.REPORTS_READ)
FREEZE_READERS = (*freezing.READ_SCOPES, Scope.REGISTRY_READ)
_PAGE, _STEPS = PageQuery(), OverdueQuery()


def _page_args() -> dict[str, Any]:
    return load(_PAGE, {key: value for key, value in request.args.items() if key == "page" and value})


@bp.route("/overdue/block-requests", methods=["GET"])
@page("block_request:overdue", BLOCK_READERS)
@replica_reads
def overdue_block_requests() -> Any:
    """As GET /api/v1/block-requests/overdue, by the step's deadline."""
    blocking.require_reader(caller(), Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE)
    args = _page_args()
    found = paginate(
        db(),
        blocking.overdue_query(caller(), utcnow()),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[BlockRequest.state_due_at, BlockRequest.id],
    )
    return render("console/overdue/block_requests.html", found=BlockOverduePage().dump(found))


@bp.route("/overdue/freeze-orders", methods=["GET"])
@page("freeze_order:overdue", FREEZE_READERS)
@replica_reads
def overdue_freeze_orders() -> Any:
    """As GET /api/v1/freeze-orders/overdue (the State Bank and the Standing Office)."""
    args = _page_args()
    found = paginate(
        db(),
        freezing.overdue_query(freezing.reader(db(), caller()), utcnow()),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[FreezeOrder.created_at, FreezeOrder.id],
    )
    return render("console/overdue/freeze_orders.html", found=OverduePage().dump(found))


@bp.route("/overdue", methods=["GET"])
@page("overdue:list", STEP_READERS)
@replica_reads
def overdue_steps() -> Any:
    """As GET /api/v1/overdue: every late step of both workflows, counted by the agency whose move it is
    and by province, with either as a filter."""
    wanted = ("workflow", "agency", "province", "page")
    args = load(_STEPS, {key: value for key, value in request.args.items() if key in wanted and value})
    return render(
        "console/overdue/steps.html",
        found=StepsPage().dump(overdue_page(args)),
        asked={key: args.get(key, "") for key in ("workflow", "agency", "province")},
    )
