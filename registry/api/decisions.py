"""Written decisions: the legal ground every sanction, block and freeze rests on, with the document itself."""

from __future__ import annotations

from typing import IO, Any

from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from registry.api.blueprint import RegistryBlueprint, accepts
from registry.api.context import app_state, audit_change, audit_resource, caller, db, replica_reads
from registry.api.sharing import add_visibility_route
from registry.auth.scopes import Scope
from registry.models import Decision, DecisionDocument
from registry.schemas.decisions import (
    DecisionConfirmation,
    DecisionCreate,
    DecisionDocumentRead,
    DecisionPage,
    DecisionQuery,
    DecisionRead,
    SignatureOverride,
)
from registry.services import decisions as service
from registry.services.pagination import paginate

blp = RegistryBlueprint(
    "decisions", __name__, url_prefix="/api/v1/decisions", description="Written decisions"
)

PDF_BODY = {"required": True, "content": {service.PDF: {"schema": {"type": "string", "format": "binary"}}}}


@blp.route("", methods=["POST"])
@blp.access("decision:create", Scope.REGISTRY_WRITE)
@blp.arguments(DecisionCreate)
@blp.response(201, DecisionRead)
@blp.alt_response(409, description="Already registered (same issuer, number and date); `existing` is its id")
def create_decision(args: dict[str, Any]):
    """Record a written decision

    The caller's agency owns the record and, unless `issuer` names another body, is its issuer. A
    decision recorded on another body's behalf is shown to that body and stays `pending` until its
    officer confirms it (`POST /decisions/{id}/confirmation`); nothing may rest on it before. The
    document itself is uploaded afterwards with `PUT /decisions/{id}/document` and must match
    `document_sha256`.
    """
    return record_decision(args)


def record_decision(args: dict[str, Any]) -> Decision:
    """services.decisions.create and its audit: the API's POST and the console's form alike."""
    decision = service.create(db(), principal=caller(), data=args)
    audit_resource("decision", decision.id)
    audit_change(DecisionCreate().dump(args))
    return decision


@blp.route("", methods=["GET"])
@blp.access("decision:list", Scope.REGISTRY_READ)
@blp.arguments(DecisionQuery, location="query")
@blp.response(200, DecisionPage)
@replica_reads
def list_decisions(args: dict[str, Any]):
    """List decisions visible to the caller, newest first"""
    return paginate(db(), service.search(caller(), args), page=args["page"], per_page=args["per_page"],
                    order_by=service.ORDER)  # fmt: skip


@blp.route("/<uuid:decision_id>", methods=["GET"])
@blp.access("decision:read", Scope.REGISTRY_READ)
@blp.response(200, DecisionRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def get_decision(decision_id):
    """Get one decision"""
    audit_resource("decision", decision_id)
    return service.get_decision_for_use(db(), decision_id, caller())


@blp.route("/<uuid:decision_id>/document", methods=["PUT"])
@blp.access("decision:upload_document", Scope.REGISTRY_WRITE)
@accepts(service.PDF)
@blp.doc(requestBody=PDF_BODY)
@blp.response(200, DecisionDocumentRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@blp.alt_response(413, description="Larger than the registry accepts")
@blp.alt_response(415, description="Not `application/pdf`")
@blp.alt_response(422, description="Not a readable PDF, not the recorded SHA-256, or active content")
def upload_decision_document(decision_id):
    """Upload the decision's document (owner only)

    The raw PDF is the request body. Its SHA-256 must equal the decision's `document_sha256`;
    uploading the same document again changes nothing. It must be a PDF that parses, ends with `%%EOF`
    and has no active content: JavaScript, launch or submit actions, embedded files, file attachments
    or HTML markup are refused (422 `unsafe-document`).

    Its digital signatures (PAdES) are checked against the registry's trust list and the findings kept
    on the decision (`signature_status`, `signatures`): `verified`, `unsigned` (a scan, allowed and
    shown as such) or `failed` (kept, but it grounds nothing until a reviewing officer overrides).
    """
    return receive_document(
        decision_id, content_type=request.mimetype, length=request.content_length, stream=request.stream
    )


def read_document(*, content_type: str, length: int | None, stream: IO[bytes]) -> bytes:
    """A decision's document as sent (the API's PUT body, the console's file field): a PDF (415
    otherwise) of at most REGISTRY_MAX_DOCUMENT_BYTES (413 otherwise)."""
    if content_type != service.PDF:
        raise UnsupportedMediaType(f"The document must be sent as {service.PDF}.")
    limit = app_state().settings.max_document_bytes
    if length is not None and length > limit:
        raise RequestEntityTooLarge(f"The document is larger than {limit} bytes.")
    content = stream.read(limit + 1)  # also bounds a body sent without Content-Length
    if len(content) > limit:
        raise RequestEntityTooLarge(f"The document is larger than {limit} bytes.")
    return content


def receive_document(
    decision_id: Any, *, content_type: str, length: int | None, stream: IO[bytes]
) -> DecisionDocument:
    """The upload of a decision's document and its audit: the API's PUT and the console's form alike
    (the owner is checked before the body is read)."""
    audit_resource("decision", decision_id)
    decision = service.get_decision_for_use(db(), decision_id, caller())
    service.check_can_attach(caller(), decision)
    content = read_document(content_type=content_type, length=length, stream=stream)
    document = service.attach_document(
        db(), principal=caller(), decision=decision, content=content, content_type=content_type
    )
    audit_change({"decision": str(decision.id), "sha256": document.sha256, "size": document.size})
    return document


@blp.route("/<uuid:decision_id>/confirmation", methods=["POST"])
@blp.access("decision:confirm", Scope.REGISTRY_WRITE)
@blp.arguments(DecisionConfirmation)
@blp.response(200, DecisionRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@blp.alt_response(409, description="Not waiting for confirmation")
def confirm_decision(args: dict[str, Any], decision_id):
    """Confirm (or refuse) a decision recorded on the caller's behalf (the issuing body, by an officer)

    Another agency recorded this decision naming the caller's agency as its issuer. A named officer of
    the issuing body confirms that it issued it (`confirmed: true`), after which blocks and freezes may
    rest on it, or refuses the record (`false`).
    """
    return confirm(args, decision_id)


def confirm(args: dict[str, Any], decision_id: Any) -> Decision:
    """services.decisions.confirm and its audit: the API's POST and the console's form alike."""
    audit_resource("decision", decision_id)
    decision = service.get_decision_for_use(db(), decision_id, caller())
    service.confirm(
        db(), principal=caller(), decision=decision, confirmed=args["confirmed"], note=args["note"]
    )
    audit_change({"decision": str(decision.id), **args})
    return decision


@blp.route("/<uuid:decision_id>/signature-override", methods=["POST"])
@blp.access("decision:override_signature", service.REVIEWING_SCOPES)
@blp.arguments(SignatureOverride)
@blp.response(200, DecisionRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@blp.alt_response(409, description="The signature check did not fail, or was already overridden")
def override_decision_signature(args: dict[str, Any], decision_id):
    """Let a decision whose signature does not verify ground orders (a reviewing officer, with a reason)

    For a body that decides blocks or processes freezes, by a named officer who neither recorded the
    decision nor uploaded its document (four-eyes). The override, its reason and officer are shown with
    the decision and kept in the audit log; a later check with other findings clears it.
    """
    return override_signature(args, decision_id)


def override_signature(args: dict[str, Any], decision_id: Any) -> Decision:
    """services.decisions.override_signature and its audit: the API's POST and the console's form."""
    audit_resource("decision", decision_id)
    decision = service.get_decision_for_use(db(), decision_id, caller())
    service.override_signature(db(), principal=caller(), decision=decision, reason=args["reason"])
    audit_change({"decision": str(decision.id), **args})
    return decision


@blp.route("/<uuid:decision_id>/document", methods=["GET"])
@blp.access("decision:download_document", Scope.REGISTRY_READ)
@blp.response(200, content_type=service.PDF, description="The document as uploaded")
@blp.alt_response(404, description="Not found, not visible to the caller, or no document uploaded")
def download_decision_document(decision_id):
    """Download the decision's document"""
    return document_response(decision_id)


def document_response(decision_id: Any) -> Response:
    """The decision's document as a download: the API's GET and the console's link alike."""
    audit_resource("decision", decision_id)
    decision = service.get_decision_for_use(db(), decision_id, caller())
    document = service.document_of(db(), decision)
    return Response(
        document.content,
        mimetype=service.PDF,
        headers={
            "Content-Disposition": f'attachment; filename="decision-{decision.id}.pdf"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{document.sha256}"',
        },
    )


add_visibility_route(blp, Decision, "")
