"""Links between subjects and identifiers, each asserted by one agency."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import RegistryBlueprint
from registry.api.context import (
    app_state,
    audit_change,
    audit_resource,
    audit_subjects,
    caller,
    db,
    replica_reads,
    reveal,
)
from registry.api.sharing import add_visibility_route
from registry.auth.scopes import Scope
from registry.models import Link
from registry.schemas.identifiers import RevealQuery
from registry.schemas.subjects import LinkCreate, LinkPage, LinkQuery, LinkRead, LinkUpdate
from registry.services import links as service
from registry.services.pagination import paginate
from registry.services.visibility import load_visible

blp = RegistryBlueprint("links", __name__, url_prefix="/api/v1/links", description="Subject-identifier links")


def _change(link: Link) -> dict[str, Any]:
    return {"id": str(link.id), "subject_id": str(link.subject_id), "identifier_id": str(link.identifier_id),
            "confidence": link.confidence, "source": link.source, "first_seen": link.first_seen.isoformat(),
            "last_seen": link.last_seen.isoformat(), "note": link.note}  # fmt: skip


@blp.route("", methods=["POST"])
@blp.access("link:create", Scope.REGISTRY_WRITE)
@blp.arguments(LinkCreate)
@blp.response(201, LinkRead)
@blp.alt_response(409, description="Your agency already asserts this link; `existing` is its id")
def create_link(args: dict[str, Any]):
    """Link a subject to an identifier

    Name the identifier by `identifier_id`, or by `identifier: {kind, value}` (registered if new).
    """
    link = service.create(db(), cipher=app_state().cipher, principal=caller(), data=args)
    audit_resource("link", link.id)
    audit_change(_change(link))
    return link


@blp.route("", methods=["GET"])
@blp.access("link:list", Scope.REGISTRY_READ)
@blp.arguments(LinkQuery, location="query")
@blp.response(200, LinkPage)
@replica_reads
def list_links(args: dict[str, Any]):
    """List links visible to the caller"""
    reveal(args["sensitive"])
    if args.get("subject_id"):
        audit_subjects([args["subject_id"]])  # a list filtered on a subject reads about it, found or not
    query = service.visible(
        caller(), subject_id=args.get("subject_id"), identifier_id=args.get("identifier_id")
    )
    return paginate(
        db(), query, page=args["page"], per_page=args["per_page"], order_by=[Link.created_at, Link.id]
    )


@blp.route("/<uuid:link_id>", methods=["GET"])
@blp.access("link:read", Scope.REGISTRY_READ)
@blp.arguments(RevealQuery, location="query")
@blp.response(200, LinkRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def get_link(args: dict[str, Any], link_id: Any):
    """Get one link"""
    reveal(args["sensitive"])
    audit_resource("link", link_id)
    return load_visible(db(), Link, link_id, caller())


@blp.route("/<uuid:link_id>", methods=["PATCH"])
@blp.access("link:update", Scope.REGISTRY_WRITE)
@blp.arguments(LinkUpdate)
@blp.response(200, LinkRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def update_link(args: dict[str, Any], link_id: Any):
    """Update a link: confidence, source, seen dates, note (asserting agency only)"""
    audit_resource("link", link_id)
    link = load_visible(db(), Link, link_id, caller())
    service.update(db(), link=link, principal=caller(), data=args)
    audit_change(_change(link))
    return link


add_visibility_route(blp, Link, "")
