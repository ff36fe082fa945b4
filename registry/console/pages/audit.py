"""The audit log for people: who reached a seller and why (the API's search), the CSV of a seller's
accesses, and the log's state (newest signed checkpoint, its signatures, witnesses' cosignatures).
Each route mirrors the API route of the same audit action (api/audit.py), with the same scope, schema
and services (registry.audit.search, AuditLog)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import request

from registry.api.audit import audit_log, fresh, subject_accesses_csv
from registry.api.context import audit_resource, db, writes_on_read
from registry.audit import search as audit_search
from registry.audit.log import LogState
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, load, render
from registry.console.session import page
from registry.errors import NotFound
from registry.schemas.audit import OUTCOMES, AuditHit, AuditSearchQuery

_QUERY = AuditSearchQuery()
_ASKED = ("agency", "officer", "resource", "action", "outcome", "from", "to", "page")


@bp.route("/audit", methods=["GET"])
@page("audit:search", None)
def audit_search_page() -> Any:
    """As GET /api/v1/audit/search: an auditor searches every entry, anyone else its agency's own."""
    asked = {key: value for key, value in request.args.items() if key in _ASKED and value}
    args = load(_QUERY, asked)
    found = None
    if any(key != "page" for key in asked):
        filters = audit_search.Filters(**{f.name: args.get(f.name) for f in fields(audit_search.Filters)})
        filters = audit_search.visible_filters(caller(), filters)
        result = audit_search.search(db(), filters, page=args["page"], per_page=args["per_page"])
        hit = AuditHit()
        found = {
            "items": [{**hit.dump(entry), "leaf_index": leaf} for entry, leaf in result.rows],
            "page": args["page"],
            "per_page": args["per_page"],
            "total": result.total,
            "total_exact": True,
            "has_more": args["page"] * args["per_page"] < result.total,
        }
    subject = _subject_of(args.get("resource"))
    return render(
        "console/audit/search.html",
        asked={key: value for key, value in asked.items() if key != "page"},
        found=found,
        outcomes=OUTCOMES,
        subject=subject,
        auditor=audit_search.own_agency_only(caller()) is None,
    )


def _subject_of(resource: str | None) -> str | None:
    kind, _, ident = (resource or "").partition(":")
    return ident if kind == "subject" and ident else None


@bp.route("/audit/subjects/<uuid:subject_id>/accesses.csv", methods=["GET"])
@page("audit:subject_accesses", Scope.AUDIT_READ, purpose=True)
def audit_subject_accesses(subject_id: Any) -> Any:
    """As GET /api/v1/audit/subjects/{id}/accesses: the same streamed CSV (the API's own view)."""
    return subject_accesses_csv(subject_id)


@bp.route("/audit/log", methods=["GET"])
@page("audit:checkpoint", None)
@writes_on_read  # sequences what is committed first (api.audit.fresh)
def audit_log_state() -> Any:
    """As GET /api/v1/audit/checkpoint (and ?witnessed=true), checked: the newest signed checkpoint and
    the newest one a witness cosigned, whether the log's keys verify them, and each witness's
    cosignature verified under that witness's key."""
    fresh()
    state: LogState | None
    try:
        state = audit_log().state(db())
    except NotFound:
        state = None
    if state is not None:
        audit_resource("audit_checkpoint", state.latest.size)
    return render("console/audit/log.html", state=state)
