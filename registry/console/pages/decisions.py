"""Written decisions: the list the agency may see, a decision with its document's signature check and what
rests on it, recording a new one with its PDF, the issuer's confirmation, a reviewing officer's override of
a failed signature check, and the document's download. Each route mirrors the API route of the same audit
action (api/decisions.py), with the same scope, schema and service call; the upload's limits and the
audited changes are the API's own functions."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from flask import redirect, request, url_for
from werkzeug.datastructures import FileStorage, MultiDict

from registry.api import decisions as api
from registry.api.context import audit_resource, db
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, load, render
from registry.console.session import page
from registry.errors import ValidationFailed
from registry.models import DocumentType, IssuerConfirmation, SignatureStatus, Visibility
from registry.schemas.decisions import (
    DecisionConfirmation,
    DecisionCreate,
    DecisionPage,
    DecisionQuery,
    DecisionRead,
    SignatureOverride,
)
from registry.services import decision_uses
from registry.services import decisions as service
from registry.services.pagination import paginate

_QUERY, _CREATE, _CONFIRM, _OVERRIDE = (
    DecisionQuery(),
    DecisionCreate(),
    DecisionConfirmation(),
    SignatureOverride(),
)
FILTERS = ("page", "number", "issuer", "document_type", "issued_from", "issued_to")
# The form's fields typed as one line each; lists are one entry per line (legal bases, targets).
LINES = ("legal_bases", "targets")
TEXTS = (
    "document_type", "number", "place", "issued_on", "issuer", "issuing_body", "signer_name", "signer_title",
    "signer_capacity", "reason", "effective_from", "effective_to", "executing_party", "visibility",
)  # fmt: skip


@bp.route("/decisions", methods=["GET"])
@page("decision:list", Scope.REGISTRY_READ)
def decisions() -> Any:
    """As GET /api/v1/decisions: the decisions the officer's agency may see, newest first."""
    wanted = {key: value for key, value in request.args.items() if key in FILTERS and value}
    args = load(_QUERY, wanted)
    found = paginate(
        db(),
        service.search(caller(), args),
        page=args["page"],
        per_page=args["per_page"],
        order_by=service.ORDER,
    )
    return render(
        "console/decisions/list.html",
        found=DecisionPage().dump(found),
        filters={key: wanted.get(key, "") for key in FILTERS if key != "page"},
        document_types=[kind.value for kind in DocumentType],
    )


@bp.route("/decisions/<uuid:decision_id>", methods=["GET"])
@page("decision:read", Scope.REGISTRY_READ)
def decision(decision_id: Any) -> Any:
    """As GET /api/v1/decisions/{id}, with what rests on it (services.decision_uses)."""
    audit_resource("decision", decision_id)
    record = service.get_decision_for_use(db(), decision_id, caller())
    shown = DecisionRead().dump(record)
    principal = caller()
    writes = principal.has(Scope.REGISTRY_WRITE)
    return render(
        "console/decisions/detail.html",
        item=shown,
        uses=decision_uses.resting_on(db(), principal, record),
        can_upload=writes and record.document_id is None and record.owner_agency_id == principal.agency_id,
        can_confirm=writes
        and record.issuer_confirmation == IssuerConfirmation.PENDING
        and record.issuer_agency_id == principal.agency_id,
        can_override=any(principal.has(scope) for scope in service.REVIEWING_SCOPES)
        and record.signature_status == SignatureStatus.FAILED
        and record.signature_override_at is None,
    )


@bp.route("/decisions/new", methods=["GET"])
@page("decision:form", Scope.REGISTRY_WRITE, purpose=True)
def new_decision() -> Any:
    """The form to record a decision with its document."""
    return render(
        "console/decisions/new.html",
        document_types=[kind.value for kind in DocumentType],
        visibilities=[one.value for one in Visibility],
    )


def _document() -> FileStorage:
    sent = request.files.get("document")
    if sent is None or not sent.filename:
        raise ValidationFailed("Choose the decision's PDF.", errors={"document": ["Missing."]})
    return sent


def _read(sent: FileStorage) -> bytes:
    """The file field's bytes, within the API's limits (api.decisions.read_document: 415, 413)."""
    return api.read_document(
        content_type=sent.mimetype, length=sent.content_length or None, stream=sent.stream
    )


def _form_data(form: MultiDict, digest: str) -> dict[str, Any]:
    data: dict[str, Any] = {key: form[key] for key in TEXTS if form.get(key, "").strip()}
    for key in LINES:
        data[key] = [line.strip() for line in form.get(key, "").splitlines() if line.strip()]
    data["shared_with"] = form.get("shared_with", "").replace(",", " ").split()
    data["document_sha256"] = digest
    return data


@bp.route("/decisions", methods=["POST"])
@page("decision:create", Scope.REGISTRY_WRITE)
def create_decision() -> Any:
    """As POST /api/v1/decisions then PUT /api/v1/decisions/{id}/document, in one transaction: the record
    carries the SHA-256 of the file sent with it, so the document the audited change names is that file.
    A refused document (not a PDF, too large, unsafe) records nothing."""
    content = _read(_document())
    args = load(_CREATE, _form_data(request.form, hashlib.sha256(content).hexdigest()))
    record = api.record_decision(args)
    service.attach_document(
        db(), principal=caller(), decision=record, content=content, content_type=service.PDF
    )
    return redirect(url_for("console.decision", decision_id=record.id))


@bp.route("/decisions/<uuid:decision_id>/document", methods=["POST"])
@page("decision:upload_document", Scope.REGISTRY_WRITE)
def upload_decision_document(decision_id: Any) -> Any:
    """As PUT /api/v1/decisions/{id}/document: a decision recorded without its document (e.g. through the
    API) gets it here, from its owner."""
    sent = request.files.get("document")
    if sent is None or not sent.filename:  # as an empty PUT body: not a readable PDF (422), once visible
        api.receive_document(decision_id, content_type=service.PDF, length=0, stream=io.BytesIO(b""))
    else:
        api.receive_document(decision_id, content_type=sent.mimetype, length=None, stream=sent.stream)
    return redirect(url_for("console.decision", decision_id=decision_id))


@bp.route("/decisions/<uuid:decision_id>/confirmation", methods=["POST"])
@page("decision:confirm", Scope.REGISTRY_WRITE)
def confirm_decision(decision_id: Any) -> Any:
    """As POST /api/v1/decisions/{id}/confirmation: the issuing body confirms (or refuses) the record."""
    data = {"confirmed": request.form.get("confirmed", ""), "note": request.form.get("note") or None}
    api.confirm(load(_CONFIRM, data), decision_id)
    return redirect(url_for("console.decision", decision_id=decision_id))


@bp.route("/decisions/<uuid:decision_id>/signature-override", methods=["POST"])
@page("decision:override_signature", service.REVIEWING_SCOPES)
def override_decision_signature(decision_id: Any) -> Any:
    """As POST /api/v1/decisions/{id}/signature-override: a reviewing officer, with a reason (four-eyes)."""
    api.override_signature(load(_OVERRIDE, {"reason": request.form.get("reason", "")}), decision_id)
    return redirect(url_for("console.decision", decision_id=decision_id))


@bp.route("/decisions/<uuid:decision_id>/document", methods=["GET"])
@page("decision:download_document", Scope.REGISTRY_READ)
def decision_document(decision_id: Any) -> Any:
    """As GET /api/v1/decisions/{id}/document: the PDF as uploaded, as an attachment."""
    return api.document_response(decision_id)
