"""Linked-entity graphs from a subject or an identifier, as far as the caller may see."""

from __future__ import annotations

from typing import Any

from registry.api.blueprint import PERSONAL_DATA, RegistryBlueprint
from registry.api.context import audit_detail, audit_resource, caller, db, replica_reads
from registry.auth.scopes import Scope
from registry.schemas.graph import GraphQuery, GraphRead
from registry.services import graph as service

blp = RegistryBlueprint("graph", __name__, url_prefix="/api/v1", description="Linked entities")


def _options(args: dict[str, Any]) -> dict[str, Any]:
    args.setdefault("kinds", list(service.DEFAULT_KINDS))
    return {
        "depth": args["depth"],
        "kinds": tuple(dict.fromkeys(args["kinds"])),
        "max_nodes": args["max_nodes"],
    }


def _audit(args: dict[str, Any], graph: service.Graph) -> None:
    audit_detail(
        depth=args["depth"],
        kinds=sorted(set(args["kinds"])),
        nodes=len(graph.nodes),
        truncated=graph.truncated,
    )


@blp.route("/subjects/<uuid:subject_id>/graph", methods=["GET"])
@blp.access("subject:graph", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(GraphQuery, location="query")
@blp.response(200, GraphRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@replica_reads
def subject_graph(args: dict[str, Any], subject_id: Any):
    """Subjects linked to this one through shared identifiers

    Nodes are subjects and identifiers, edges are links; expansion goes `depth` (1-3) subject-to-subject
    hops through identifiers of `kinds`, over visible links and subjects only, up to `max_nodes`
    (`truncated` says when the bound cut it short). Sensitive identifiers appear masked.
    """
    audit_resource("subject", subject_id)
    graph = service.from_subject(db(), principal=caller(), subject_id=subject_id, **_options(args))
    _audit(args, graph)
    return graph


@blp.route("/identifiers/<uuid:identifier_id>/graph", methods=["GET"])
@blp.access("identifier:graph", Scope.REGISTRY_READ, purpose=PERSONAL_DATA)
@blp.arguments(GraphQuery, location="query")
@blp.response(200, GraphRead)
@blp.alt_response(404, description="Not found, or not visible to the caller")
@replica_reads
def identifier_graph(args: dict[str, Any], identifier_id: Any):
    """Subjects using this identifier, and those linked to them

    The identifier's visible subjects are the start (depth 0); then as for a subject's graph.
    """
    audit_resource("identifier", identifier_id)
    graph = service.from_identifier(db(), principal=caller(), identifier_id=identifier_id, **_options(args))
    _audit(args, graph)
    return graph
