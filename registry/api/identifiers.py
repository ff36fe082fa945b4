"""Identifiers: register any spelling, look up by any spelling."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import PERSONAL_DATA, RegistryBlueprint
from registry.api.context import app_state, audit_change, audit_resource, caller, db, replica_reads, reveal
from registry.auth.scopes import Scope
from registry.models import Identifier
from registry.schemas.identifiers import (
    IdentifierCreate,
    IdentifierCreated,
    IdentifierLookup,
    IdentifierMatch,
    IdentifierPage,
    IdentifierQuery,
    IdentifierRead,
    RevealQuery,
)
from registry.schemas.output import current as output
from registry.services import identifiers as service
from registry.services.pagination import paginate

blp = RegistryBlueprint("identifiers", __name__, url_prefix="/api/v1/identifiers", description="Identifiers")


@blp.route("", methods=["POST"])
@blp.access("identifier:create", Scope.REGISTRY_WRITE)
@blp.arguments(IdentifierCreate)
@blp.response(201, IdentifierCreated)
@blp.alt_response(409, description="Already registered; `existing` is its id")
def create_identifier(args: dict[str, Any]):
    """Register an identifier

    The value is normalised to its canonical form (returned in `value`).
    """
    registered = service.create(db(), cipher=app_state().cipher, principal=caller(), **args)
    audit_resource("identifier", registered.identifier.id)
    audit_change({"kind": registered.identifier.kind, "value_hash": registered.identifier.value_hash})
    reveal(caller().has(Scope.REGISTRY_READ_SENSITIVE))
    output().loaded["related", registered.identifier.id] = registered.related
    return registered.identifier


@blp.route("", methods=["GET"])
@blp.access("identifier:list", Scope.REGISTRY_READ)
@blp.arguments(IdentifierQuery, location="query")
@blp.response(200, IdentifierPage)
@replica_reads
def list_identifiers(args: dict[str, Any]):
    """List identifiers visible to the caller"""
    reveal(args["sensitive"])
    return paginate(
        db(),
        service.visible(caller(), kind=args.get("kind")),
        page=args["page"],
        per_page=args["per_page"],
        order_by=[Identifier.created_at, Identifier.id],
    )


@blp.route("/lookup", methods=["GET"])
@blp.access("identifier:lookup", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(IdentifierLookup, location="query")
@blp.response(200, IdentifierMatch)
@blp.alt_response(404, description="Not registered, or not visible to the caller")
@replica_reads
def lookup_identifier(args: dict[str, Any]):
    """Find an identifier by any accepted spelling

    With the subjects linked to it that the caller may see; for a sensitive identifier (bank account,
    personal ID) only with scope registry:read_sensitive: without it the answer says the identifier is
    known, never who holds it (as /identifiers/match).
    """
    reveal(args["sensitive"])
    found, subjects = service.lookup(
        db(), cipher=app_state().cipher, principal=caller(), kind=args["kind"], value=args["value"]
    )
    audit_resource("identifier", found.id)
    output().loaded["subjects", found.id] = subjects
    return found


@blp.route("/<uuid:identifier_id>", methods=["GET"])
@blp.access("identifier:read", Scope.REGISTRY_READ)
@blp.arguments(RevealQuery, location="query")
@blp.response(200, IdentifierRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
def get_identifier(args: dict[str, Any], identifier_id):
    """Get one identifier"""
    reveal(args["sensitive"])
    audit_resource("identifier", identifier_id)
    return service.load_visible(db(), principal=caller(), identifier_id=identifier_id)
