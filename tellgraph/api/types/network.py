"""A neighbourhood graph for visualisation."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from tellgraph.api.types.person import Person
from tellgraph.schema.model import StoredEdge
from tellgraph.services.network import NetworkGraph
from tellgraph.services.network import NetworkNode as NetworkNodeModel


@strawberry.type(description="A person in the picture.")
class NetworkNode:
    id: strawberry.ID
    depth: int = strawberry.field(description="Hops from the centre (0 is the centre).")
    person: Person

    @classmethod
    def from_domain(cls, item: NetworkNodeModel) -> Self:
        return cls(id=strawberry.ID(item.node.id), depth=item.depth, person=Person.from_domain(item.node))


@strawberry.type(description="A tie in the picture.")
class NetworkEdge:
    source: strawberry.ID
    target: strawberry.ID
    strength: float
    interaction_count: int
    last_interaction: datetime | None
    recency: float | None = strawberry.field(description="The recency component of the strength (0-1).")
    sentiment: float | None

    @classmethod
    def from_domain(cls, edge: StoredEdge) -> Self:
        p = edge.props
        return cls(
            source=strawberry.ID(edge.src_id),
            target=strawberry.ID(edge.dst_id),
            strength=float(p.get("strength") or 0.0),
            interaction_count=int(p.get("interaction_count") or 0),
            last_interaction=p.get("last_interaction"),
            recency=p.get("score_recency"),
            sentiment=p.get("sentiment"),
        )


@strawberry.type(description="Nodes and ties around a person, bounded in size.")
class Network:
    center: Person
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    truncated: bool = strawberry.field(description="The size limit left some neighbours out.")
    as_of: datetime | None = strawberry.field(description="The newest communication in the graph.")

    @classmethod
    def from_domain(cls, graph: NetworkGraph) -> Self:
        return cls(
            center=Person.from_domain(graph.center),
            nodes=[NetworkNode.from_domain(n) for n in graph.nodes],
            edges=[NetworkEdge.from_domain(e) for e in graph.edges],
            truncated=graph.truncated,
            as_of=graph.as_of,
        )
