"""A person's neighbourhood for visualisation: the strongest ties out to a few hops, bounded in size.

Expansion is breadth-first and deterministic: each level takes every frontier
person's strongest ties (strength, then id), sharing the remaining node budget
evenly across the frontier, so that a hub cannot crowd out everyone else. The
edges returned are every ``KNOWS`` tie among the chosen people.
"""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel

from tellgraph.errors import InvalidInput
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, StoredEdge
from tellgraph.services.people import resolve_person

MAX_DEPTH = 3
MAX_NODES = 500


class NetworkNode(BaseModel):
    """A person in the picture and how many hops from the centre."""

    node: Node
    depth: int


class NetworkGraph(BaseModel):
    """Nodes and ties around a person; ``truncated`` says the budget cut some neighbours off."""

    center: Node
    nodes: list[NetworkNode]
    edges: list[StoredEdge]
    truncated: bool
    as_of: datetime | None


def network(
    store: GraphStore, *, center: str, depth: int = 2, limit: int = 50, min_strength: float = 0.0
) -> NetworkGraph:
    """The neighbourhood of ``center`` (an email or id), at most ``limit`` people including the centre.

    Raises:
        InvalidInput: depth outside 1..3, limit outside 1..500, or a negative strength.
        NotFound: the centre does not exist.
    """
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidInput("depth", f"must be between 1 and {MAX_DEPTH}")
    if not 1 <= limit <= MAX_NODES:
        raise InvalidInput("limit", f"must be between 1 and {MAX_NODES}")
    if not 0.0 <= min_strength <= 1.0:
        raise InvalidInput("minStrength", "must be between 0 and 1")
    person = resolve_person(store, ref=center)
    chosen: dict[str, NetworkNode] = {person.id: NetworkNode(node=person, depth=0)}
    frontier = [person.id]
    truncated = False
    for level in range(1, depth + 1):
        budget = limit - len(chosen)
        if budget <= 0 or not frontier:
            truncated = truncated or bool(frontier)
            break
        share = max(1, math.ceil(budget / len(frontier)))
        found = store.neighbours_many(
            label=NodeLabel.PERSON,
            node_ids=frontier,
            rel_types=[RelType.KNOWS],
            limit=share + len(chosen),  # room for neighbours already in the picture
            min_strength=min_strength,
        )
        next_frontier = []
        for node_id in frontier:
            taken = 0
            for neighbour in found.get(node_id, []):
                if neighbour.node.id in chosen or neighbour.node.label is not NodeLabel.PERSON:
                    continue
                if taken >= share or len(chosen) >= limit:
                    truncated = True
                    break
                chosen[neighbour.node.id] = NetworkNode(node=neighbour.node, depth=level)
                next_frontier.append(neighbour.node.id)
                taken += 1
        frontier = next_frontier
    edges = store.edges_among(label=NodeLabel.PERSON, rel_type=RelType.KNOWS, ids=list(chosen))
    edges = [e for e in edges if float(e.props.get("strength") or 0.0) >= min_strength]
    return NetworkGraph(
        center=person,
        nodes=list(chosen.values()),
        edges=edges,
        truncated=truncated,
        as_of=store.latest_communication(),
    )
