"""Linked entities: the subjects that share bank accounts, phones, domains, IPs or tax codes.

The graph is bipartite: subjects and identifiers are nodes, links (an agency's assertion that a subject
uses an identifier) are edges. Each depth level is one query: from the subjects found so far, through
their visible links to identifiers of the chosen kinds, to every visible subject visibly linked to the
same identifier. Only links and subjects the caller may see are followed, so a hidden link never
connects two subjects. The node count is bounded; a graph cut short says `truncated`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from registry.auth.principal import Principal
from registry.models import Identifier, Link, Subject
from registry.services import identifiers, visibility

DEFAULT_KINDS = ("bank_account", "phone", "domain", "ip", "tax_code")
MAX_DEPTH = 3
MAX_NODES = 500
ROWS_PER_NODE = 4  # a level reads at most this many rows per node still allowed, then stops


@dataclass(frozen=True)
class SubjectNode:
    id: uuid.UUID
    label: str  # the subject's name
    subject_kind: str
    depth: int
    type: str = "subject"


@dataclass(frozen=True)
class IdentifierNode:
    id: uuid.UUID
    label: str  # the identifier's display: masked for sensitive kinds; values never enter the graph
    identifier_kind: str
    depth: int
    type: str = "identifier"


@dataclass(frozen=True)
class Edge:
    id: uuid.UUID  # the link
    subject_id: uuid.UUID
    identifier_id: uuid.UUID
    confidence: int
    source: str


@dataclass
class Graph:
    """What GraphRead dumps: nodes and edges in the order they were found."""

    nodes: dict[uuid.UUID, SubjectNode | IdentifierNode] = field(default_factory=dict)
    edges: dict[uuid.UUID, Edge] = field(default_factory=dict)
    truncated: bool = False

    def add_node(self, node: SubjectNode | IdentifierNode, limit: int) -> bool:
        """True if the node is in the graph (already, or added now within the limit)."""
        if node.id in self.nodes:
            return True
        if len(self.nodes) >= limit:
            self.truncated = True
            return False
        self.nodes[node.id] = node
        return True


def _add_link(graph: Graph, row: Any, depth: int, limit: int) -> bool:
    """The far subject of a level row, with its link to the shared identifier; True if the subject is new."""
    new = row.subject_id not in graph.nodes
    if not graph.add_node(SubjectNode(row.subject_id, row.name, row.kind, depth), limit):
        return False
    graph.edges.setdefault(
        row.link_id, Edge(row.link_id, row.subject_id, row.identifier_id, row.confidence, row.source)
    )
    return new


def _level(
    session: Session, principal: Principal, frontier: list[uuid.UUID], kinds: tuple[str, ...], row_limit: int
) -> list[Any]:
    """One query: frontier subject -(visible link)- identifier of `kinds` -(visible link)- visible subject."""
    near, far, other = aliased(Link), aliased(Link), aliased(Subject)
    return list(
        session.execute(
            select(
                near.id.label("near_link_id"),
                near.subject_id.label("near_subject_id"),
                near.confidence.label("near_confidence"),
                near.source.label("near_source"),
                Identifier.id.label("identifier_id"),
                Identifier.kind.label("identifier_kind"),
                Identifier.display.label("display"),
                far.id.label("link_id"),
                far.subject_id.label("subject_id"),
                far.confidence.label("confidence"),
                far.source.label("source"),
                other.name.label("name"),
                other.kind.label("kind"),
            )
            .join(Identifier, Identifier.id == near.identifier_id)
            .join(far, far.identifier_id == near.identifier_id)
            .join(other, other.id == far.subject_id)
            .where(
                near.subject_id.in_(frontier),
                Identifier.kind.in_(kinds),
                visibility.record_visible(near, principal),
                visibility.record_visible(far, principal),
                visibility.record_visible(other, principal),
            )
            .order_by(near.subject_id, Identifier.id, far.subject_id, far.id)
            .limit(row_limit)
        )
    )


def _expand(
    session: Session,
    graph: Graph,
    principal: Principal,
    frontier: list[uuid.UUID],
    *,
    first_depth: int,
    depth: int,
    kinds: tuple[str, ...],
    max_nodes: int,
) -> None:
    for level in range(first_depth, depth + 1):
        if not frontier or graph.truncated:
            return
        row_limit = max(1, (max_nodes - len(graph.nodes)) * ROWS_PER_NODE) + 1
        rows = _level(session, principal, frontier, kinds, row_limit)
        if len(rows) >= row_limit:
            graph.truncated = True
            rows = rows[: row_limit - 1]
        next_frontier = []
        for row in rows:
            node = IdentifierNode(row.identifier_id, row.display, row.identifier_kind, level)
            if not graph.add_node(node, max_nodes):
                continue
            graph.edges.setdefault(
                row.near_link_id,
                Edge(
                    row.near_link_id,
                    row.near_subject_id,
                    row.identifier_id,
                    row.near_confidence,
                    row.near_source,
                ),
            )
            if _add_link(graph, row, level, max_nodes):
                next_frontier.append(row.subject_id)
        frontier = next_frontier


def from_subject(
    session: Session,
    *,
    principal: Principal,
    subject_id: Any,
    depth: int = 1,
    kinds: tuple[str, ...] = DEFAULT_KINDS,
    max_nodes: int = MAX_NODES,
) -> Graph:
    """Nodes and edges within `depth` shared-identifier hops of a subject (1 query per level)."""
    subject = visibility.load_visible(session, Subject, subject_id, principal)
    graph = Graph()
    graph.add_node(SubjectNode(subject.id, subject.name, subject.kind, 0), max_nodes)
    _expand(
        session, graph, principal, [subject.id], first_depth=1, depth=depth, kinds=kinds, max_nodes=max_nodes
    )
    return graph


def from_identifier(
    session: Session,
    *,
    principal: Principal,
    identifier_id: Any,
    depth: int = 1,
    kinds: tuple[str, ...] = DEFAULT_KINDS,
    max_nodes: int = MAX_NODES,
) -> Graph:
    """The identifier, the visible subjects using it, and `depth` levels of expansion from them."""
    identifier = identifiers.load_visible(session, principal=principal, identifier_id=identifier_id)
    graph = Graph()
    graph.add_node(IdentifierNode(identifier.id, identifier.display, identifier.kind, 0), max_nodes)
    rows = session.execute(
        select(
            Link.id.label("link_id"),
            Link.subject_id.label("subject_id"),
            Link.identifier_id.label("identifier_id"),
            Link.confidence.label("confidence"),
            Link.source.label("source"),
            Subject.name.label("name"),
            Subject.kind.label("kind"),
        )
        .join(Subject, Subject.id == Link.subject_id)
        .where(
            Link.identifier_id == identifier.id,
            visibility.record_visible(Link, principal),
            visibility.record_visible(Subject, principal),
        )
        .order_by(Link.subject_id, Link.id)
        .limit(max_nodes * ROWS_PER_NODE + 1)
    ).all()
    if len(rows) > max_nodes * ROWS_PER_NODE:
        graph.truncated = True
        rows = rows[:-1]
    frontier = [row.subject_id for row in rows if _add_link(graph, row, 0, max_nodes)]
    _expand(session, graph, principal, frontier, first_depth=1, depth=depth, kinds=kinds, max_nodes=max_nodes)
    return graph
