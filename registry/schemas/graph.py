"""Linked-entity graphs: the query and the nodes and edges shown."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from registry.identifiers import KINDS
from registry.schemas.output import Compute, Output, OutputSchema
from registry.services.graph import DEFAULT_KINDS, MAX_DEPTH, MAX_NODES


class GraphQuery(Schema):
    depth = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_DEPTH))
    kinds = DelimitedList(
        fields.String(validate=validate.OneOf(KINDS)),
        validate=validate.Length(min=1),
        metadata={
            "description": "identifier kinds that connect subjects, comma-separated; "
            f"default {','.join(DEFAULT_KINDS)}"
        },
    )
    max_nodes = fields.Integer(load_default=MAX_NODES, validate=validate.Range(min=1, max=MAX_NODES))


class GraphNode(Schema):
    id = fields.UUID()
    type = fields.String(metadata={"description": "subject | identifier"})
    label = fields.String(
        metadata={"description": "subject name, or identifier display (masked if sensitive)"}
    )
    subject_kind = fields.String()
    identifier_kind = fields.String()
    depth = fields.Integer()


class GraphEdge(Schema):
    id = fields.UUID(metadata={"description": "the link"})
    subject_id = fields.UUID()
    identifier_id = fields.UUID()
    confidence = fields.Integer()
    source = fields.String()


def _reached_nodes(graph: Any, output: Output) -> list[Any]:
    """The nodes, each subject among them recorded as reached by the request (its audit entry)."""
    nodes = list(graph.nodes.values())
    output.reach(node.id for node in nodes if node.type == "subject")
    return nodes


class GraphRead(OutputSchema):
    """services.graph.Graph: its nodes and edges in the order they were found."""

    computed: ClassVar[dict[str, Compute]] = {
        "nodes": lambda graph, output: _reached_nodes(graph, output),
        "edges": lambda graph, _: list(graph.edges.values()),
    }

    nodes = fields.List(fields.Nested(GraphNode))
    edges = fields.List(fields.Nested(GraphEdge))
    truncated = fields.Boolean(metadata={"description": "the node bound was reached"})
