"""The deciding agency's routes: review, return, approve, reject, dispatch, lift, revoke, and the override
of the over-blocking guard on a protected target. Each needs a named officer of the deciding agency."""

from __future__ import annotations

from typing import Any

from registry.api.blocking.common import INVALID_STATE, NOT_FOUND, blp, change, load_for_change
from registry.api.context import audit_change, caller, db
from registry.auth.scopes import Scope
from registry.models import BlockRequest
from registry.schemas.blocking import (
    BlockConfirmMirrorArgs,
    BlockOverrideArgs,
    BlockRedispatchArgs,
    BlockRequestRead,
    BlockTransitionArgs,
)
from registry.services import blocking as service


def decide_step(action: str, args: dict[str, Any], request_id: Any) -> BlockRequest:
    """The body of every decision route (and of the console's forms): the step `action` of
    services.blocking.decide, and its audit."""
    record = load_for_change(request_id)
    service.decide(
        db(),
        principal=caller(),
        block_request=record,
        action=action,
        reason=args.get("reason"),
        decision_id=args.get("decision_id"),
    )
    audit_change(change(record))
    return record


@blp.route("/block-requests/<uuid:request_id>/review", methods=["POST"], endpoint="block_review")
@blp.access("block_request:start_review", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_start_review(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Start reviewing a submitted request (deciding agency; not the submitting officer)

    Needs a named officer of the deciding agency."""
    return decide_step("start_review", args, request_id)


@blp.route("/block-requests/<uuid:request_id>/return", methods=["POST"], endpoint="block_return")
@blp.access("block_request:return", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_return(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Return a request under review for changes, with a reason (not the submitting officer)

    Needs a named officer of the deciding agency."""
    return decide_step("return", args, request_id)


@blp.route("/block-requests/<uuid:request_id>/approve", methods=["POST"], endpoint="block_approve")
@blp.access("block_request:approve", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_approve(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Approve a request under review (not the submitting officer); the decision is checked again

    Needs a named officer of the deciding agency."""
    return decide_step("approve", args, request_id)


@blp.route("/block-requests/<uuid:request_id>/reject", methods=["POST"], endpoint="block_reject")
@blp.access("block_request:reject", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_reject(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Reject a request under review, with a reason (not the submitting officer)

    Needs a named officer of the deciding agency."""
    return decide_step("reject", args, request_id)


@blp.route("/block-requests/<uuid:request_id>/dispatch", methods=["POST"], endpoint="block_dispatch")
@blp.access("block_request:dispatch", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_dispatch(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Dispatch an approved request to its executors; their acknowledgement deadline starts

    Needs a named officer of the deciding agency."""
    return decide_step("dispatch", args, request_id)


@blp.route("/block-requests/<uuid:request_id>/lift", methods=["POST"], endpoint="block_lift")
@blp.access("block_request:lift", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_lift(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Lift a block in effect, with a reason and the written lifting decision (`decision_id`, required)

    The decision must be visible to the caller, have its document, and be issued by a body competent for
    the action. Each executor that executed the block must then confirm the removal. Needs a named
    officer of the deciding agency."""
    return decide_step("lift", args, request_id)


@blp.route("/block-requests/<uuid:request_id>/revoke", methods=["POST"], endpoint="block_revoke")
@blp.access("block_request:revoke", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_revoke(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Revoke an approved, dispatched or in-effect request (annulled), with a reason and its decision

    `decision_id` (required): the written decision annulling it, visible to the caller, with its document,
    issued by a body competent for the action. Each executor that executed the block must then confirm
    the removal. Needs a named officer of the deciding agency."""
    return decide_step("revoke", args, request_id)


@blp.route("/block-requests/<uuid:request_id>/targets/<uuid:target_id>/override", methods=["POST"])
@blp.access("block_request:override", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockOverrideArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def override_protected_target(args: dict[str, Any], request_id, target_id):
    """Record a reviewer's justified override of the over-blocking guard on one protected target"""
    return override_target(args, request_id, target_id)


def override_target(args: dict[str, Any], request_id: Any, target_id: Any) -> BlockRequest:
    """services.blocking.override and its audit: the API's route and the console's form."""
    record = load_for_change(request_id)
    target = service.override(
        db(),
        principal=caller(),
        block_request=record,
        target_id=target_id,
        justification=args["justification"],
    )
    audit_change({"target": target.display, "override_reason": target.override_reason})
    return record


@blp.route("/block-requests/<uuid:request_id>/executors", methods=["POST"], endpoint="block_redispatch")
@blp.access("block_request:redispatch", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockRedispatchArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_redispatch(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Address a dispatched or in-effect order to further executors, with a reason (deciding agency)

    The answer to an executor's `technically_infeasible`: the new executors get the order at once (their
    feeds, their acknowledgement deadline); the request stays in its state. Not for remove_listing
    (addressed to the platforms of its targets). Needs a named officer of the deciding agency."""
    return redispatch(args, request_id)


def redispatch(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """services.blocking.redispatch and its audit: the API's route and the console's form."""
    record = load_for_change(request_id)
    added = service.redispatch(
        db(), principal=caller(), block_request=record, executors=args["executors"], reason=args["reason"]
    )
    audit_change({**change(record), "added_executors": args["executors"], "count": len(added)})
    return record


@blp.route(
    "/block-requests/<uuid:request_id>/confirm-mirror", methods=["POST"], endpoint="block_confirm_mirror"
)
@blp.access("block_request:confirm_mirror", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockConfirmMirrorArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def block_request_confirm_mirror(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """Confirm that a mirror's targets fall under the original's decision although it does not name them

    For a mirror whose targets are only linked to the original's subjects (`mirror_coverage: linked`):
    without this step, recorded with the officer and the reason, it cannot be approved. Under review,
    not the submitting officer. Needs a named officer of the deciding agency."""
    return confirm_mirror(args, request_id)


def confirm_mirror(args: dict[str, Any], request_id: Any) -> BlockRequest:
    """services.blocking.confirm_mirror and its audit: the API's route and the console's form."""
    record = load_for_change(request_id)
    service.confirm_mirror(db(), principal=caller(), block_request=record, reason=args["reason"])
    audit_change({**change(record), "confirmed_mirror": args["reason"]})
    return record
