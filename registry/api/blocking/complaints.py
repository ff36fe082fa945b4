"""A blocked site's owner's complaints: filed and read without a token, handled by the deciding agency."""

from __future__ import annotations

from typing import Any

from registry.api.blocking.common import NOT_FOUND, blp
from registry.api.context import app_state, audit_change, audit_resource, caller, db, replica_reads, reveal
from registry.api.context import current_output as output
from registry.auth.scopes import Scope
from registry.models import BlockComplaint
from registry.schemas.complaints import (
    BlockComplaintAnswer,
    BlockComplaintCreate,
    BlockComplaintLink,
    BlockComplaintLookup,
    BlockComplaintPage,
    BlockComplaintQuery,
    BlockComplaintRead,
    BlockComplaintReceipt,
    BlockComplaintSensitiveQuery,
    BlockComplaintStatus,
)
from registry.services import blocking as blocking_service
from registry.services.blocking import complaints as service
from registry.services.pagination import paginate

ANSWERED = "Already answered, or turned into an appeal; or a concurrent change"


@blp.route("/block-complaints", methods=["POST"])
@blp.public("block_complaint:file")
@blp.arguments(BlockComplaintCreate)
@blp.response(201, BlockComplaintReceipt)
def file_block_complaint(args: dict[str, Any]):
    """File a complaint against a block, as the owner of the blocked site (no account)

    Name the blocked domain or URL, say who you are and how to reach you (phone or e-mail), and why the
    block is wrong. The answer carries a receipt code, shown this once: with it,
    `POST /block-complaints/status` tells the complaint's status and the deciding agency's answer.
    The answer is the same whether or not a block is in effect on what you named.
    """
    complaint, code = service.file_complaint(db(), cipher=app_state().cipher, data=args)
    audit_resource("block_complaint", complaint.id)
    audit_change({"complaint": str(complaint.id), "target": complaint.target})
    output().loaded["receipt_code", complaint.id] = code
    return complaint


@blp.route("/block-complaints/status", methods=["POST"])
@blp.public("block_complaint:status")
@blp.arguments(BlockComplaintLookup)
@blp.response(200, BlockComplaintStatus)
@blp.alt_response(404, description="No complaint has this receipt code")
def block_complaint_status(args: dict[str, Any]):
    """Read a complaint's status and answer with its receipt code (no account)

    The code travels in the body, not the URL, so it stays out of server and proxy logs.
    """
    complaint = service.by_receipt(db(), cipher=app_state().cipher, code=args["receipt_code"])
    audit_resource("block_complaint", complaint.id)
    return complaint


@blp.route("/block-complaints", methods=["GET"])
@blp.access("block_complaint:list", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockComplaintQuery, location="query")
@blp.response(200, BlockComplaintPage)
@replica_reads
def list_block_complaints(args: dict[str, Any]):
    """List site owners' complaints (the deciding agency)

    Newest first. Contact details are masked unless `?sensitive=true` (registry:read_sensitive).
    """
    reveal(args.pop("sensitive"))
    return paginate(
        db(),
        service.list_query(caller(), args),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[BlockComplaint.filed_at.desc(), BlockComplaint.id],
    )


def _load(complaint_id: Any) -> BlockComplaint:
    audit_resource("block_complaint", complaint_id)
    return service.load(db(), caller(), complaint_id)


@blp.route("/block-complaints/<uuid:complaint_id>", methods=["GET"])
@blp.access("block_complaint:read", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockComplaintSensitiveQuery, location="query")
@blp.response(200, BlockComplaintRead)
@blp.alt_response(404, description=NOT_FOUND)
def get_block_complaint(args: dict[str, Any], complaint_id):
    """Read a site owner's complaint (the deciding agency)"""
    reveal(args["sensitive"])
    return _load(complaint_id)


@blp.route("/block-complaints/<uuid:complaint_id>/link", methods=["POST"])
@blp.access("block_complaint:link", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockComplaintLink)
@blp.response(200, BlockComplaintRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=ANSWERED + "; or the request is not in effect")
def link_block_complaint(args: dict[str, Any], complaint_id):
    """Link a complaint to the block request it is about (in effect; a named officer): under review"""
    complaint = service.link(
        db(), principal=caller(), complaint=_load(complaint_id), request_id=args["block_request_id"]
    )
    audit_change({"complaint": str(complaint.id), "block_request": str(complaint.request_id)})
    return complaint


@blp.route("/block-complaints/<uuid:complaint_id>/answer", methods=["POST"])
@blp.access("block_complaint:answer", Scope.BLOCKING_DECIDE)
@blp.arguments(BlockComplaintAnswer)
@blp.response(200, BlockComplaintRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=ANSWERED)
def answer_block_complaint(args: dict[str, Any], complaint_id):
    """Answer a complaint (a named officer): the owner reads the outcome and the answer with the code

    `upheld` finds the complaint right (lift or revoke the block by its own step); `dismissed` finds it
    wrong; `answered` replies without a finding.
    """
    complaint = service.answer(db(), principal=caller(), complaint=_load(complaint_id), data=args)
    audit_change({"complaint": str(complaint.id), "outcome": complaint.status, "answer": complaint.answer})
    return complaint


@blp.route("/block-complaints/<uuid:complaint_id>/appeal", methods=["POST"])
@blp.access("block_complaint:appeal", Scope.BLOCKING_DECIDE)
@blp.response(200, BlockComplaintRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description=ANSWERED + "; not linked; or an appeal is already pending")
def appeal_block_complaint(complaint_id):
    """Turn a linked complaint into an appeal against its block (a named officer)

    Filed through the appeal path, with the owner's statement as its grounds; it is decided with
    `POST /block-requests/{id}/appeals/{appeal_id}/decision`, and the complaint then shows the outcome.
    """
    complaint = _load(complaint_id)
    if complaint.block_request is not None:
        blocking_service.expire_if_due(db(), complaint.block_request)
    complaint = service.to_appeal(db(), principal=caller(), complaint=complaint)
    audit_change({"complaint": str(complaint.id), "appeal": str(complaint.appeal_id)})
    return complaint
