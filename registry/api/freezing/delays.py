"""Bank-initiated transaction delays: the bank's report and release, and everyone's reads."""

from __future__ import annotations

from typing import Any

from registry.api.context import app_state, audit_change, audit_resource, caller, db, replica_reads, reveal
from registry.api.freezing.common import DELAYS, INVALID_STATE, NOT_FOUND, READERS, blp
from registry.auth.scopes import Scope
from registry.models.freezing import TransactionDelay
from registry.schemas.freezing import (
    DelayCreate,
    DelayPage,
    DelayQuery,
    DelayRead,
    DelaySbvReport,
    FreezeStep,
    as_submitted,
)
from registry.schemas.identifiers import RevealQuery
from registry.services import freezing as service
from registry.services.freezing.delays import record_sbv_report
from registry.services.freezing.filters import delay_clauses
from registry.services.pagination import paginate


def _reveal(requested: bool) -> None:
    if requested and reveal(True):
        service.require_reveal_delays(service.viewer(db(), caller()))


@blp.route(DELAYS, methods=["POST"])
@blp.access("transaction_delay:report", Scope.FREEZE_EXECUTE)
@blp.idempotent
@blp.arguments(DelayCreate)
@blp.response(201, DelayRead)
@blp.alt_response(409, description="Idempotency-Key reused for another request")
def report_transaction_delay(args: dict[str, Any]):
    """Report a transaction the bank delayed on one of its own accounts

    It ends by itself after the configured working days (default 3; weekends and Vietnamese public
    holidays excluded), or earlier when a freeze order that follows it is executed at this bank. The bank
    gives when and under which reference it reported the delay to the State Bank, here or later.
    """
    delay = report(args)
    as_submitted()
    return delay


def report(args: dict[str, Any]) -> TransactionDelay:
    """A delay reported, as its route and the console's report it: the service, then the audit entry."""
    delay = service.report_delay(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("transaction_delay", delay.id)
    audit_change(
        {
            "delay": str(delay.id),
            "account_hash": delay.identifier.value_hash,
            "amount_vnd": delay.amount_vnd,
            "delayed_at": delay.delayed_at.isoformat(),
            "reported_to": sorted(args["reported_to"]),
        }
    )
    return delay


@blp.route(DELAYS, methods=["GET"])
@blp.access("transaction_delay:list", READERS)
@blp.arguments(DelayQuery, location="query")
@blp.response(200, DelayPage)
@replica_reads
def list_transaction_delays(args: dict[str, Any]):
    """List the transaction delays visible to the caller, newest first

    The reporting bank, the authorities it reported to, the State Bank and the Standing Office.
    """
    v = service.reader(db(), caller())
    _reveal(args["sensitive"])
    return paginate(
        db(),
        service.delay_query(v, state=args.get("state")).where(*delay_clauses(args)),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[TransactionDelay.delayed_at.desc(), TransactionDelay.id],
    )


@blp.route(f"{DELAYS}/<uuid:delay_id>", methods=["GET"])
@blp.access("transaction_delay:read", READERS)
@blp.arguments(RevealQuery, location="query")
@blp.response(200, DelayRead)
@blp.alt_response(404, description=NOT_FOUND)
def get_transaction_delay(args: dict[str, Any], delay_id: Any):
    """Get one transaction delay; one past its end is shown expired even before the tick records it"""
    audit_resource("transaction_delay", delay_id)
    delay = service.load_visible_delay(db(), caller(), delay_id)
    _reveal(args["sensitive"])
    return delay


@blp.route(f"{DELAYS}/<uuid:delay_id>/release", methods=["POST"])
@blp.access("transaction_delay:release", Scope.FREEZE_EXECUTE)
@blp.arguments(FreezeStep)
@blp.response(200, DelayRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def release_transaction_delay(args: dict[str, Any], delay_id: Any):
    """Release a delayed transaction before its end (the reporting bank)"""
    return release(delay_id, args["note"])


def release(delay_id: Any, note: str | None) -> TransactionDelay:
    """A delay released early, as its route and the console's do it."""
    audit_resource("transaction_delay", delay_id)
    delay = service.load_delay_for_step(db(), caller(), delay_id)
    service.release_delay(db(), principal=caller(), delay=delay, note=note)
    audit_change({"delay": str(delay.id), "action": "release", "state": delay.state, "note": note})
    return delay


@blp.route(f"{DELAYS}/<uuid:delay_id>/sbv-report", methods=["POST"])
@blp.access("transaction_delay:sbv_report", Scope.FREEZE_EXECUTE)
@blp.arguments(DelaySbvReport)
@blp.response(200, DelayRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="Recorded already")
def record_transaction_delay_sbv_report(args: dict[str, Any], delay_id: Any):
    """Record that the bank reported its delay to the State Bank: when, and the reference (once)"""
    return sbv_report(delay_id, args)


def sbv_report(delay_id: Any, args: dict[str, Any]) -> TransactionDelay:
    """The report to the State Bank recorded, as its route and the console's do it."""
    audit_resource("transaction_delay", delay_id)
    delay = service.load_visible_delay(db(), caller(), delay_id)
    record_sbv_report(db(), principal=caller(), delay=delay, data=args)
    audit_change({"delay": str(delay.id), "action": "sbv_report", "sbv_reference": args["sbv_reference"]})
    return delay
