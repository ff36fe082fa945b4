"""Freeze orders: the issuer's submission, the lists and the single read."""

from __future__ import annotations

from typing import Any

from registry.api.context import app_state, audit_resource, caller, db, replica_reads, reveal
from registry.api.freezing.common import (
    NOT_FOUND,
    ORDERS,
    READERS,
    account_hashes,
    blp,
    changed,
    load,
    terms,
)
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.models.freezing import FreezeOrder
from registry.schemas.freezing import (
    FreezeOrderCreate,
    FreezeOrderPage,
    FreezeOrderQuery,
    FreezeOrderRead,
    OverduePage,
    OverdueQuery,
    as_submitted,
)
from registry.schemas.identifiers import RevealQuery
from registry.services import freezing as service
from registry.services.freezing.filters import order_clauses
from registry.services.pagination import paginate


@blp.route(ORDERS, methods=["POST"])
@blp.access("freeze_order:submit", Scope.FREEZE_SUBMIT)
@blp.idempotent
@blp.arguments(FreezeOrderCreate)
@blp.response(201, FreezeOrderRead)
@blp.alt_response(409, description="Idempotency-Key reused for another request; or a linked delay has ended")
def submit_freeze_order(args: dict[str, Any]):
    """Submit a freeze order (issuing body, named officer)

    The decision must be visible to the caller, issued by the caller's agency, and its issuer competent
    to order a freeze (configurable table); an investigation body's order carries its notification to
    the procuracy it names (which then reads the order). The order rests on a legal ground its issuer holds.
    Accounts are normalised and registered as identifiers. Linked transaction delays run on until the order
    is executed at their bank. The State Bank must dispatch it by the end of the working day; an urgent
    order (police, courts) is dispatched to the banks at once.
    """
    order = submit(args)
    as_submitted()
    return order


def submit(args: dict[str, Any]) -> FreezeOrder:
    """A new order, as its route and the console's submit it: the service, then the audit entry."""
    order = service.submit(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("freeze_order", order.id)
    changed(order, "submit", decision=str(order.decision_id), accounts=account_hashes(order), **terms(order))
    return order


@blp.route(ORDERS, methods=["GET"])
@blp.access("freeze_order:list", READERS)
@blp.arguments(FreezeOrderQuery, location="query")
@blp.response(200, FreezeOrderPage)
@replica_reads
def list_freeze_orders(args: dict[str, Any]):
    """List the freeze orders visible to the caller, newest first

    Needs a freeze scope (the Standing Office: `registry:read`). A bank sees the orders dispatched to
    it, with its own accounts only.
    """
    v = service.reader(db(), caller())
    if args["sensitive"] and reveal(True):
        service.require_reveal_orders(v)
    return paginate(
        db(),
        service.order_query(v, state=args.get("state"), account_state=args.get("account_state")).where(
            *order_clauses(v, args)
        ),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[FreezeOrder.created_at.desc(), FreezeOrder.id],
    )


@blp.route(f"{ORDERS}/overdue", methods=["GET"])
@blp.access("freeze_order:overdue", READERS)
@blp.arguments(OverdueQuery, location="query")
@blp.response(200, OverduePage)
@replica_reads
def list_overdue_freeze_orders(args: dict[str, Any]):
    """List orders with a step past its deadline (State Bank and Standing Office)

    A step of the State Bank (dispatch by the end of the working day), of the issuer (correction) or
    of a bank (execution within 24 hours); deadlines are configurable. `late` says whose move it is.
    """
    v = service.reader(db(), caller())
    return paginate(
        db(),
        service.overdue_query(v, utcnow(), state=args.get("state")),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[FreezeOrder.created_at, FreezeOrder.id],
    )


@blp.route(f"{ORDERS}/<uuid:order_id>", methods=["GET"])
@blp.access("freeze_order:read", READERS)
@blp.arguments(RevealQuery, location="query")
@blp.response(200, FreezeOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
def get_freeze_order(args: dict[str, Any], order_id: Any):
    """Get one freeze order with its history of transitions

    An order past its validity is shown expired even before the scheduled tick records it.
    """
    order = load(order_id)
    if args["sensitive"] and reveal(True):
        service.require_reveal_order(service.viewer(db(), caller()), order)
    return order
