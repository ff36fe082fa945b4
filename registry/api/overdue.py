"""The Standing Office's view of both workflows: every overdue step, by agency and by province."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import caller, db, replica_reads
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.schemas.overdue import OverduePage, OverdueQuery
from registry.services import freezing
from registry.services import overdue as service

blp = RegistryBlueprint(
    "overdue", __name__, url_prefix="/api/v1", description="Overdue steps of both workflows"
)
READERS = (Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE, Scope.REPORTS_READ, *freezing.READ_SCOPES)


def overdue_page(args: dict[str, Any]) -> dict[str, Any]:
    """The steps the caller may see, counted, then selected and paged (the console's page too)."""
    steps = service.late_steps(db(), caller(), utcnow(), workflow=args.get("workflow"))
    chosen = service.select_steps(steps, agency=args.get("agency"), province=args.get("province"))
    return {
        **service.page(chosen, page=args["page"], per_page=args["per_page"]),
        **service.summary(steps),
    }


@blp.route("/overdue", methods=["GET"])
@blp.access("overdue:list", READERS)
@blp.arguments(OverdueQuery, location="query")
@blp.response(200, OverduePage)
@replica_reads
def list_overdue_steps(args: dict[str, Any]):
    """List every overdue step of both workflows, by agency and by province

    One item per late step: a block request's review or approval (the deciding agency's move), its
    correction (the submitter's), an executor's execution or removal; a freeze order's step of the State
    Bank or the issuer, a bank's execution or release. `party` is whose move it is; `provinces` are
    those of the case (a block request's violations, a freeze order's account holders). `by_agency`
    and `by_province` count every step you see (before `agency`, `province` select the items).
    Each workflow's own rule says what you see: block requests with blocking:submit (your own) or
    blocking:decide, or as the Standing Office (reports:read); freeze orders as the State Bank or the
    Standing Office. Earliest deadline first.
    """
    return overdue_page(args)
