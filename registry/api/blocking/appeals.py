"""Appeals against a block in effect: filing (submitting or deciding agency) and deciding them."""

from __future__ import annotations

from typing import Any

from registry.api.blocking.common import INVALID_STATE, NOT_FOUND, blp, load_for_change
from registry.api.context import audit_change, caller, db
from registry.auth.scopes import Scope
from registry.models import BlockAppeal, BlockRequest
from registry.schemas.blocking import (
    BlockAppealCreate,
    BlockAppealDecision,
    BlockAppealRead,
    BlockRequestRead,
)
from registry.services import blocking as service


@blp.route("/block-requests/<uuid:request_id>/appeals", methods=["POST"])
@blp.access("block_request:file_appeal", Scope.BLOCKING_SUBMIT)
@blp.idempotent
@blp.arguments(BlockAppealCreate)
@blp.response(201, BlockAppealRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or an appeal already pending")
def file_block_appeal(args: dict[str, Any], request_id):
    """Record a complaint (appeal) against a request in effect (submitting or deciding agency)"""
    return file_appeal(args, request_id)


def file_appeal(args: dict[str, Any], request_id: Any) -> BlockAppeal:
    """services.blocking.file_appeal and its audit: the API's route and the console's form."""
    record = load_for_change(request_id)
    appeal = service.file_appeal(db(), principal=caller(), block_request=record, data=args)
    audit_change({"appeal": str(appeal.id), "appellant": appeal.appellant, "grounds": appeal.grounds})
    return appeal


@blp.route("/block-requests/<uuid:request_id>/appeals/<uuid:appeal_id>/decision", methods=["POST"])
@blp.access("block_request:decide_appeal", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockAppealDecision)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE + "; or the appeal is already decided")
def decide_block_appeal(args: dict[str, Any], request_id, appeal_id):
    """Decide an appeal: upheld lifts the block, dismissed leaves it in effect (not the approving officer)

    Either outcome rests on a written decision (`decision_id`, required): visible to the caller, with its
    document, issued by a body competent for the action.
    """
    return decide_appeal(args, request_id, appeal_id)


def decide_appeal(args: dict[str, Any], request_id: Any, appeal_id: Any) -> BlockRequest:
    """services.blocking.decide_appeal and its audit: the API's route and the console's form."""
    record = load_for_change(request_id)
    appeal = service.decide_appeal(
        db(), principal=caller(), block_request=record, appeal_id=appeal_id, data=args
    )
    audit_change({"appeal": str(appeal.id), "outcome": appeal.status, "reason": appeal.decision_reason})
    return record
