"""Seller search (diacritic-insensitive, the API's search) and seller history."""

from __future__ import annotations

from typing import Any

from flask import request

from registry.api.context import app_state, audit_only_resource, audit_resource, db, replica_reads
from registry.auth.scopes import Scope
from registry.console.blueprint import bp
from registry.console.pages.common import caller, load, render
from registry.console.session import open_page, page
from registry.schemas.subjects import HistoryRead, SubjectPage, SubjectQuery
from registry.services import history as history_service
from registry.services import subjects as service

_QUERY = SubjectQuery()


@bp.route("/", methods=["GET"])
@open_page
def home() -> Any:
    return render("console/home.html")


@bp.route("/subjects", methods=["GET"])
@page("subject:list", Scope.REGISTRY_READ, purpose=True)
@replica_reads
def subjects() -> Any:
    """As GET /api/v1/subjects?q= (a search) or ?sort=name (every seller the officer may see, in Vietnamese
    alphabetical order, optionally of one province): a page of subjects, never sensitive values."""
    wanted = ("q", "page", "sort", "province")
    args = load(_QUERY, {key: value for key, value in request.args.items() if key in wanted and value})
    args.pop("sensitive", None)
    found = None
    if args.get("q") or args["sort"] == "name":
        found = SubjectPage().dump(
            service.search_page(
                db(),
                cipher=app_state().cipher,
                principal=caller(),
                q=args.get("q"),
                filters=args,
                page=args["page"],
                per_page=args["per_page"],
            )
        )
    return render(
        "console/subjects/search.html",
        q=args.get("q", ""),
        sort=args["sort"],
        province=args.get("province", ""),
        found=found,
    )


@bp.route("/subjects/<uuid:subject_id>/history", methods=["GET"])
@page("subject:history", Scope.REGISTRY_READ, purpose=True)
@replica_reads
def history(subject_id: Any) -> Any:
    """As GET /api/v1/subjects/{id}/history: the seller's history as far as the officer may see it."""
    audit_resource("subject", subject_id)
    audit_only_resource()
    found = HistoryRead().dump(history_service.history(db(), principal=caller(), subject_id=subject_id))
    return render("console/subjects/history.html", history=found)
