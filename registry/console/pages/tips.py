"""Tips from the public, as the routed agency works them: its groups and list, a tip with its files,
triage, links to subjects and violations, re-routing and closing. Each route mirrors the API route of the
same audit action (api/tips.py): the same scope (registry:write), schemas and service calls."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for

from registry.api import tips as api
from registry.api.context import db, replica_reads
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, load, render
from registry.console.session import page
from registry.db import utcnow
from registry.models import Tip
from registry.schemas.tips import (
    TipClose,
    TipGroupPage,
    TipLinkCreate,
    TipPage,
    TipQuery,
    TipRead,
    TipReroute,
)
from registry.services.pagination import paginate
from registry.services.tips import handling

_QUERY, _LINK, _REROUTE, _CLOSE = TipQuery(), TipLinkCreate(), TipReroute(), TipClose()


@bp.route("/tips", methods=["GET"])
@page("tip:list", Scope.REGISTRY_WRITE)
@replica_reads
def tips() -> Any:
    """As GET /api/v1/tips and /api/v1/tips/groups: the agency's groups with counts, then its tips
    (of a status, of a group), newest first; contacts and sensitive values masked."""
    wanted = ("status", "group", "page")
    args = load(_QUERY, {key: value for key, value in request.args.items() if key in wanted and value})
    args.pop("sensitive")
    found = paginate(
        db(),
        handling.list_query(caller(), args),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[Tip.received_at.desc(), Tip.id],
    )
    groups = handling.groups(db(), caller(), status=args.get("status"), page=1, per_page=20)
    return render(
        "console/tips/list.html",
        found=TipPage().dump(found),
        groups=TipGroupPage().dump(groups),
        filters={k: args[k] for k in ("status", "group") if args.get(k)},
        statuses=[s for s in ("received", "under_review", "handled", "dismissed")],
    )


@bp.route("/tips/<uuid:tip_id>", methods=["GET"])
@page("tip:read", Scope.REGISTRY_WRITE)
def tip(tip_id: Any) -> Any:
    """As GET /api/v1/tips/{id}: the tip, its files, links and the steps it allows."""
    item = TipRead().dump(api.load(tip_id))
    return render("console/tips/detail.html", item=item, open=item["status"] in handling.OPEN)


@bp.route("/tips/<uuid:tip_id>/attachments/<uuid:attachment_id>", methods=["GET"])
@page("tip:download_attachment", Scope.REGISTRY_WRITE)
def tip_attachment(tip_id: Any, attachment_id: Any) -> Any:
    """As GET /api/v1/tips/{id}/attachments/{attachment_id}: the file as an attachment."""
    return api.attachment_response(api.load(tip_id), attachment_id)


def _back(tip_id: Any) -> Any:
    return redirect(url_for("console.tip", tip_id=tip_id))


@bp.route("/tips/<uuid:tip_id>/triage", methods=["POST"])
@page("tip:triage", Scope.REGISTRY_WRITE)
def triage_tip(tip_id: Any) -> Any:
    """As POST /api/v1/tips/{id}/triage."""
    api.changed(handling.triage(db(), principal=caller(), tip=api.load(tip_id), now=utcnow()))
    return _back(tip_id)


@bp.route("/tips/<uuid:tip_id>/links", methods=["POST"])
@page("tip:link", Scope.REGISTRY_WRITE)
def link_tip(tip_id: Any) -> Any:
    """As POST /api/v1/tips/{id}/links: a subject's or a violation's id, as the officer chose."""
    record = request.form.get("record_id", "").strip()
    field = "violation_id" if request.form.get("record_type") == "violation" else "subject_id"
    args = load(_LINK, {field: record})
    found = api.load(tip_id)
    made = handling.link(db(), principal=caller(), tip=found, now=utcnow(), **args)
    api.changed(found, subject=str(made.subject_id), violation=str(made.violation_id))
    return _back(tip_id)


@bp.route("/tips/<uuid:tip_id>/reroute", methods=["POST"])
@page("tip:reroute", Scope.REGISTRY_WRITE)
def reroute_tip(tip_id: Any) -> Any:
    """As POST /api/v1/tips/{id}/reroute: then the tip is the other agency's, so back to the list."""
    args = load(_REROUTE, {"agency": request.form.get("agency", "")})
    found = handling.reroute(
        db(), principal=caller(), tip=api.load(tip_id), agency_code=args["agency"], now=utcnow()
    )
    api.changed(found, agency=args["agency"])
    return redirect(url_for("console.tips"))


@bp.route("/tips/<uuid:tip_id>/close", methods=["POST"])
@page("tip:close", Scope.REGISTRY_WRITE)
def close_tip(tip_id: Any) -> Any:
    """As POST /api/v1/tips/{id}/close."""
    args = load(_CLOSE, {"outcome": request.form.get("outcome", ""), "note": request.form.get("note", "")})
    found = handling.close(
        db(),
        principal=caller(),
        tip=api.load(tip_id),
        outcome=args["outcome"],
        note=args["note"],
        now=utcnow(),
    )
    api.changed(found, note=found.outcome_note)
    return _back(tip_id)
