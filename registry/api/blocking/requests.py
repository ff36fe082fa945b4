"""The submitting agency's routes, and reading: submit, list, the overdue list, read, edit, (re)submit."""

from __future__ import annotations

from typing import Any

from registry.api.blocking.common import INVALID_STATE, NOT_FOUND, blp, change, load, load_for_change, shown
from registry.api.context import app_state, audit_change, audit_resource, caller, db, replica_reads
from registry.auth.scopes import Scope
from registry.db import utcnow
from registry.models import BlockRequest
from registry.schemas.blocking import (
    BlockOverduePage,
    BlockRequestCreate,
    BlockRequestItem,
    BlockRequestPage,
    BlockRequestQuery,
    BlockRequestRead,
    BlockRequestUpdate,
    BlockTransitionArgs,
)
from registry.schemas.common import PageQuery
from registry.services import blocking as service
from registry.services.blocking.access import ANY_BLOCKING
from registry.services.pagination import paginate


@blp.route("/block-requests", methods=["POST"])
@blp.access("block_request:create", Scope.BLOCKING_SUBMIT)
@blp.idempotent
@blp.arguments(BlockRequestCreate)
@blp.response(201, BlockRequestRead)
@blp.alt_response(409, description="Idempotency-Key reused with a different body")
def create_block_request(args: dict[str, Any]):
    """Submit a block request (or save it as a draft)

    Targets are normalised and linked to registry identifiers. Submission needs a visible decision whose
    issuer is competent for the action, the justifying violations, and no protected target unless an
    override is requested with a justification. Retries with the same Idempotency-Key replay the answer.
    """
    return create_request(args)


def create_request(args: dict[str, Any]) -> BlockRequest:
    """services.blocking.create and its audit: the API's route and the console's form."""
    record = service.create(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("block_request", record.id)
    audit_change(change(record))
    return record


@blp.route("/block-requests", methods=["GET"])
@blp.access("block_request:list", (*ANY_BLOCKING, Scope.REPORTS_READ))
@blp.arguments(BlockRequestQuery, location="query")
@blp.response(200, BlockRequestPage)
@replica_reads
def list_block_requests(args: dict[str, Any]):
    """List block requests visible to the caller

    Needs one of blocking:submit, blocking:decide, blocking:execute (the Standing Office: reports:read).
    `executor=me` lists only the
    orders dispatched to the caller's agency, in the executor's view.
    """
    service.require_reader(caller(), *ANY_BLOCKING)
    page = paginate(
        db(),
        service.list_query(caller(), args, utcnow()),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[BlockRequest.created_at.desc(), BlockRequest.id],
    )
    shown(page["items"], as_executor=args.get("executor") == "me", with_transitions=False)
    return page


@blp.route("/block-requests/overdue", methods=["GET"])
@blp.access("block_request:overdue", (Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE, Scope.REPORTS_READ))
@blp.arguments(PageQuery, location="query")
@blp.response(200, BlockOverduePage)
@replica_reads
def list_overdue_block_requests(args: dict[str, Any]):
    """List block requests whose current step is past its deadline

    The Standing Office (NSC389) sees all; a submitting agency sees its own. Needs blocking:submit or
    blocking:decide (the Standing Office: reports:read).
    """
    service.require_reader(caller(), Scope.BLOCKING_SUBMIT, Scope.BLOCKING_DECIDE)
    return paginate(
        db(),
        service.overdue_query(caller(), utcnow()),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[BlockRequest.state_due_at, BlockRequest.id],
    )


@blp.route("/block-requests/<uuid:request_id>", methods=["GET"])
@blp.access("block_request:read", (*ANY_BLOCKING, Scope.REPORTS_READ))
@blp.response(200, BlockRequestItem)
@blp.alt_response(404, description=NOT_FOUND)
def get_block_request(request_id):
    """Get one block request (an executor gets its own order view)

    Needs one of blocking:submit, blocking:decide, blocking:execute (the Standing Office: reports:read).
    A request read after its validity
    ended shows as expired; `registry workflows tick` records the expiry.
    """
    service.require_reader(caller(), *ANY_BLOCKING)
    record = load(request_id)
    shown([record], with_transitions=True)
    return record


@blp.route("/block-requests/<uuid:request_id>", methods=["PATCH"])
@blp.access("block_request:update", Scope.BLOCKING_SUBMIT)
@blp.arguments(BlockRequestUpdate)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def update_block_request(args: dict[str, Any], request_id):
    """Change a draft or a request returned for changes (submitting agency)"""
    record = load_for_change(request_id)
    service.update(db(), cipher=app_state().cipher, principal=caller(), block_request=record, data=args)
    audit_change(change(record))
    return record


@blp.route("/block-requests/<uuid:request_id>/submit", methods=["POST"])
@blp.access("block_request:submit", Scope.BLOCKING_SUBMIT)
@blp.arguments(BlockTransitionArgs)
@blp.response(200, BlockRequestRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=INVALID_STATE)
def submit_block_request(args: dict[str, Any], request_id):
    """Submit a draft, or resubmit a returned request, for review (named officer)"""
    record = load_for_change(request_id)
    service.submit(db(), principal=caller(), block_request=record, reason=args.get("reason"))
    audit_change(change(record))
    return record
