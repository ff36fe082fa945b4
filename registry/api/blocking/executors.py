"""The executors' routes: replies per target, confirmations of removal once a request ended (and a
platform's written replies, recorded by the deciding agency). Their blocklists: feeds.py."""

from __future__ import annotations

from typing import Any

from registry.api.blocking.common import INVALID_STATE, NOT_FOUND, blp, load_for_change
from registry.api.context import audit_change, caller, db
from registry.auth.scopes import Scope
from registry.models import BlockRequest
from registry.schemas.blocking import (
    BlockAckArgs,
    BlockOrderRead,
    BlockPlatformAckArgs,
    BlockPlatformRemovalArgs,
    BlockRemovalArgs,
    BlockRequestRead,
)
from registry.services import blocking as service


@blp.route("/block-requests/<uuid:request_id>/acknowledgements", methods=["POST"])
@blp.access("block_request:acknowledge", Scope.BLOCKING_EXECUTE)
@blp.arguments(BlockAckArgs)
@blp.response(200, BlockOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or a target already acknowledged")
def acknowledge_block_request(args: dict[str, Any], request_id):
    """Report execution per target (executor addressed by the order)

    `executed`, or `not_executable` with a reason: already_blocked, not_our_customer, invalid_target, or
    technically_infeasible (e.g. an ISP cannot block an HTTPS URL path) with a required `note` saying
    why; that answer goes back to the deciding agency (`technically_infeasible` on the request, and
    `GET /block-requests?attention=technically_infeasible`), which may redispatch the order to other
    executors, or lift or revoke it. The first `executed` puts the request in effect.
    """
    return record_acknowledgements(args, request_id)


def record_acknowledgements(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """An executor's replies (services.blocking.acknowledge) and their audit: the API and the console."""
    record = load_for_change(request_id)
    service.acknowledge(db(), principal=caller(), block_request=record, items=args["acknowledgements"])
    audit_change(
        {"items": [[str(i["target_id"]), i["outcome"], i["reason"]] for i in args["acknowledgements"]]}
    )
    return record


@blp.route("/block-requests/<uuid:request_id>/platform-acknowledgements", methods=["POST"])
@blp.access("block_request:acknowledge_platform", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockPlatformAckArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or a target already acknowledged")
def acknowledge_for_platform(args: dict[str, Any], request_id):
    """Record a platform's written reply to a remove_listing order (deciding agency)

    Platforms have no registry account: the deciding agency records what the platform reported.
    """
    return record_platform_acknowledgements(args, request_id)


def record_platform_acknowledgements(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """A platform's replies recorded by the deciding agency, and their audit: the API and the console."""
    record = load_for_change(request_id)
    service.acknowledge(
        db(),
        principal=caller(),
        block_request=record,
        items=args["acknowledgements"],
        platform=args["platform"],
    )
    audit_change(
        {
            "platform": args["platform"],
            "items": [[str(i["target_id"]), i["outcome"], i["reason"]] for i in args["acknowledgements"]],
        }
    )
    return record


@blp.route("/block-requests/<uuid:request_id>/removal-acknowledgement", methods=["POST"])
@blp.access("block_request:confirm_removal", Scope.BLOCKING_EXECUTE)
@blp.arguments(BlockRemovalArgs)
@blp.response(200, BlockOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description=INVALID_STATE
    + "; or this executor did not execute the block, or already confirmed the removal",
)
def confirm_block_removal(args: dict[str, Any], request_id):
    """Confirm the block was removed, after the request was lifted, revoked or expired (executor)

    Each executor that executed the block confirms once, by its `unblock.due_at` (the executors'
    acknowledgement deadline from the end of the request); until then the request lists it in
    `pending_unblock`, and after the deadline the request is in the overdue list.
    """
    return record_removal(args, request_id)


def record_removal(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """An executor's confirmation of the removal, and its audit: the API and the console."""
    record = load_for_change(request_id)
    executor = service.confirm_removal(db(), principal=caller(), block_request=record, note=args["note"])
    audit_change({"removal_confirmed": executor.unblocked_at.isoformat() if executor.unblocked_at else None})
    return record


@blp.route("/block-requests/<uuid:request_id>/platform-removal-acknowledgement", methods=["POST"])
@blp.access("block_request:confirm_platform_removal", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockPlatformRemovalArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(
    409,
    description=INVALID_STATE + "; or the platform did not execute the takedown, or its removal is confirmed",
)
def confirm_platform_removal(args: dict[str, Any], request_id):
    """Record a platform's written confirmation that it reinstated what it took down (deciding agency)"""
    return record_platform_removal(args, request_id)


def record_platform_removal(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """A platform's confirmation of the reinstatement recorded by the deciding agency, and its audit."""
    record = load_for_change(request_id)
    service.confirm_removal(
        db(), principal=caller(), block_request=record, note=args["note"], platform=args["platform"]
    )
    audit_change({"platform": args["platform"], "removal_confirmed": True})
    return record
