"""The executors' routes: replies per target (and a platform's written reply, recorded by the deciding
agency). Their blocklists: feeds.py."""

from __future__ import annotations

from typing import Any

from registry.api.blocking.common import INVALID_STATE, NOT_FOUND, blp, load_for_change
from registry.api.context import audit_change, caller, db
from registry.auth.scopes import Scope
from registry.schemas.blocking import BlockAckArgs, BlockOrderRead, BlockPlatformAckArgs, BlockRequestRead
from registry.services import blocking as service


@blp.route("/block-requests/<uuid:request_id>/acknowledgements", methods=["POST"])
@blp.access("block_request:acknowledge", Scope.BLOCKING_EXECUTE)
@blp.arguments(BlockAckArgs)
@blp.response(200, BlockOrderRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or a target already acknowledged")
def acknowledge_block_request(args: dict[str, Any], request_id):
    """Report execution per target (executor addressed by the order)

    `executed`, or `not_executable` with a reason: already_blocked, not_our_customer, invalid_target.
    The first `executed` puts the request in effect.
    """
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
