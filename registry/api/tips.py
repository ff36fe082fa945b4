"""Tips from the public: filed and followed without a token; triaged by the agency they are routed to."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from registry.api.blueprint import RegistryBlueprint, accepts
from registry.api.context import app_state, audit_change, audit_resource, caller, db, replica_reads, reveal
from registry.api.context import current_output as output
from registry.api.limits import max_body
from registry.auth.scopes import Scope
from registry.config import Settings
from registry.db import utcnow
from registry.errors import NotFound
from registry.models import Tip, TipAttachment
from registry.schemas.tips import (
    TipChallengeRead,
    TipClose,
    TipCreate,
    TipGroupPage,
    TipGroupQuery,
    TipLinkCreate,
    TipLookup,
    TipPage,
    TipQuery,
    TipRead,
    TipReceipt,
    TipReroute,
    TipSensitiveQuery,
    TipStatusRead,
)
from registry.services import agencies
from registry.services.pagination import paginate
from registry.services.tips import challenge, filing, handling
from registry.services.tips.files import EXTENSION, MAX_FILES, Upload

blp = RegistryBlueprint(
    "tips", __name__, url_prefix="/api/v1", description="Tips and complaints from the public"
)
NOT_FOUND = "No such tip, or not routed to the caller's agency"
MULTIPART = "multipart/form-data"


def tip_body_limit(settings: Settings) -> int:
    """The files at their largest, and room for the form's text fields."""
    return MAX_FILES * settings.tip_attachment_bytes + 256 * 1024


def new_challenge() -> challenge.Challenge:
    settings = app_state().settings
    return challenge.issue(
        app_state().cipher,
        bits=settings.tip_pow_bits,
        lifetime=settings.tip_challenge_seconds,
        now=utcnow(),
    )


def sent_files() -> list[Upload]:
    return [Upload(f.filename or "", f.read()) for f in request.files.getlist("attachments")]


def file_and_audit(args: dict[str, Any], uploads: list[Upload]) -> tuple[Tip, str]:
    """The filing and its audit entry: the API's POST and the public page alike. The entry records the
    tip, its group's keyed hash and the agency, never the value or the reporter."""
    tip, code = filing.file_tip(
        db(),
        cipher=app_state().cipher,
        data=args,
        uploads=uploads,
        max_bytes=app_state().settings.tip_attachment_bytes,
        now=utcnow(),
    )
    audit_resource("tip", tip.id)
    audit_change({"tip": str(tip.id), "group": tip.group_key, "agency": agencies.code(db(), tip.agency_id)})
    return tip, code


@blp.route("/tips/challenge", methods=["GET"])
@blp.public("tip:challenge")
@blp.response(200, TipChallengeRead, headers={"Cache-Control": {"schema": {"type": "string"}}})
def tip_challenge():
    """Get a proof-of-work challenge to file a tip with (no account)

    Find decimal digits `solution` such that SHA-256 of `<challenge>:<solution>` (UTF-8) starts with
    `bits` zero bits (about 2^bits tries), then send both with `POST /tips` before `expires_at`.
    A challenge files one tip. The public page does this in the browser.
    """
    found = new_challenge()
    answer = {"challenge": found.token, "bits": found.bits, "expires_at": found.expires_at}
    return answer, 200, {"Cache-Control": "no-store"}


@blp.route("/tips", methods=["POST"])
@blp.public("tip:file")
@accepts(MULTIPART)
@max_body(tip_body_limit)
@blp.arguments(TipCreate, location="form", content_type=MULTIPART)
@blp.response(201, TipReceipt)
@blp.alt_response(409, description="The challenge was already used")
@blp.alt_response(413, description="Larger than the files allowed")
@blp.alt_response(415, description="Not multipart/form-data")
def file_tip(args: dict[str, Any]):
    """Report a website, shop, account or phone (no account)

    A `multipart/form-data` form: what is reported (`kind`, `value`), the violation (`category`,
    optionally `goods_group`, `province`), what happened (`description`), optionally how to reach you
    (stored encrypted; only the agency handling the tip may read it), a solved challenge
    (`challenge`, `solution`) and up to 3 files (`attachments`: PDF, JPEG or PNG). The tip is matched to
    the registry's identifiers, grouped with tips about the same one and routed to the competent
    agency by category and goods group. The answer's receipt code is shown this once: with it,
    `POST /tips/status` tells the status, and nothing else. A refused filing stores nothing and leaves
    the challenge unspent.
    """
    tip, code = file_and_audit(args, sent_files())
    output().loaded["receipt_code", tip.id] = code
    return tip


@blp.route("/tips/status", methods=["POST"])
@blp.public("tip:status")
@blp.arguments(TipLookup)
@blp.response(200, TipStatusRead)
@blp.alt_response(404, description="No tip has this receipt code")
def tip_status(args: dict[str, Any]):
    """Read a tip's status with its receipt code (no account)

    Only the status and the day it was reached. The code travels in the body, not the URL, so it stays
    out of server and proxy logs.
    """
    tip = filing.by_receipt(db(), cipher=app_state().cipher, code=args["receipt_code"])
    audit_resource("tip", tip.id)
    return tip


@blp.route("/tips", methods=["GET"])
@blp.access("tip:list", Scope.REGISTRY_WRITE)
@blp.arguments(TipQuery, location="query")
@blp.response(200, TipPage)
@replica_reads
def list_tips(args: dict[str, Any]):
    """List the tips routed to the caller's agency, newest first

    `?group=` lists one group's tips (`GET /tips/groups`). Contacts and sensitive values are masked
    unless `?sensitive=true` (registry:read_sensitive).
    """
    reveal(args.pop("sensitive"))
    return paginate(
        db(),
        handling.list_query(caller(), args),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[Tip.received_at.desc(), Tip.id],
    )


@blp.route("/tips/groups", methods=["GET"])
@blp.access("tip:groups", Scope.REGISTRY_WRITE)
@blp.arguments(TipGroupQuery, location="query")
@blp.response(200, TipGroupPage)
@replica_reads
def list_tip_groups(args: dict[str, Any]):
    """List the caller's tips grouped by what they are about, with counts, latest first

    Tips about the same identifier (a URL by its shop or account, else its site) share a group.
    """
    return handling.groups(
        db(), caller(), status=args.get("status"), page=args["page"], per_page=args["per_page"]
    )


def load(tip_id: Any) -> Tip:
    audit_resource("tip", tip_id)
    return handling.load(db(), caller(), tip_id)


@blp.route("/tips/<uuid:tip_id>", methods=["GET"])
@blp.access("tip:read", Scope.REGISTRY_WRITE)
@blp.arguments(TipSensitiveQuery, location="query")
@blp.response(200, TipRead)
@blp.alt_response(404, description=NOT_FOUND)
def get_tip(args: dict[str, Any], tip_id):
    """Read a tip routed to the caller's agency"""
    reveal(args["sensitive"])
    return load(tip_id)


@blp.route("/tips/<uuid:tip_id>/attachments/<uuid:attachment_id>", methods=["GET"])
@blp.access("tip:download_attachment", Scope.REGISTRY_WRITE)
@blp.response(200, content_type="application/octet-stream", description="The file as sent")
@blp.alt_response(404, description=NOT_FOUND + "; or no such file")
def download_tip_attachment(tip_id, attachment_id):
    """Download a file attached to a tip routed to the caller's agency"""
    return attachment_response(load(tip_id), attachment_id)


def attachment_response(tip: Tip, attachment_id: Any) -> Response:
    found: TipAttachment | None = next((a for a in tip.attachments if a.id == attachment_id), None)
    if found is None:
        raise NotFound("The tip has no such file.")
    return Response(
        found.content,
        mimetype=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="tip-{tip.id}-{found.position}.'
            f'{EXTENSION[found.content_type]}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{found.sha256}"',
        },
    )


def changed(tip: Tip, **facts: Any) -> Tip:
    audit_change({"tip": str(tip.id), "status": tip.status, **facts})
    return tip


@blp.route("/tips/<uuid:tip_id>/triage", methods=["POST"])
@blp.access("tip:triage", Scope.REGISTRY_WRITE)
@blp.response(200, TipRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="Not `received`, or a concurrent change")
def triage_tip(tip_id):
    """Take a received tip under review"""
    tip = handling.triage(db(), principal=caller(), tip=load(tip_id), now=utcnow())
    return changed(tip)


@blp.route("/tips/<uuid:tip_id>/links", methods=["POST"])
@blp.access("tip:link", Scope.REGISTRY_WRITE)
@blp.arguments(TipLinkCreate)
@blp.response(200, TipRead)
@blp.alt_response(404, description=NOT_FOUND + "; or the subject or violation is not visible to the caller")
def link_tip(args: dict[str, Any], tip_id):
    """Link a tip to a subject or a violation the caller may see (again: no change)"""
    tip = load(tip_id)
    made = handling.link(db(), principal=caller(), tip=tip, now=utcnow(), **args)
    return changed(tip, subject=str(made.subject_id), violation=str(made.violation_id))


@blp.route("/tips/<uuid:tip_id>/reroute", methods=["POST"])
@blp.access("tip:reroute", Scope.REGISTRY_WRITE)
@blp.arguments(TipReroute)
@blp.response(200, TipRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="Closed, or a concurrent change")
def reroute_tip(args: dict[str, Any], tip_id):
    """Send an open tip to another agency: received there, no longer the caller's"""
    tip = handling.reroute(
        db(), principal=caller(), tip=load(tip_id), agency_code=args["agency"], now=utcnow()
    )
    return changed(tip, agency=args["agency"])


@blp.route("/tips/<uuid:tip_id>/close", methods=["POST"])
@blp.access("tip:close", Scope.REGISTRY_WRITE)
@blp.arguments(TipClose)
@blp.response(200, TipRead)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(409, description="Closed already, or a concurrent change")
def close_tip(args: dict[str, Any], tip_id):
    """Close a tip with its outcome (`handled` or `dismissed`) and a note; the reporter sees the outcome"""
    tip = handling.close(
        db(), principal=caller(), tip=load(tip_id), outcome=args["outcome"], note=args["note"], now=utcnow()
    )
    return changed(tip, note=tip.outcome_note)
