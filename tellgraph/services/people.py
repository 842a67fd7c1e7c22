"""Read services over the graph: people, relationships and warm-intro paths.

Functions take the store and keyword-only arguments and return domain models;
the API layer maps them to GraphQL types and errors.
"""

from __future__ import annotations

from pydantic import BaseModel

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.store import GraphPath, GraphStore, Neighbour
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, StoredEdge, identity_key

MAX_REF_LENGTH = 320


def resolve_person(store: GraphStore, *, ref: str) -> Node:
    """A person by id (``p_...``) or by any of their email addresses.

    Raises:
        InvalidInput: an empty or oversized reference.
        NotFound: nobody has that id or address.
    """
    ref = ref.strip()
    if not ref or len(ref) > MAX_REF_LENGTH:
        raise InvalidInput("person", "give an email address or a person id")
    if "@" in ref:
        found = store.resolve_identities(keys=[identity_key("email", ref)])
        person_id = found.get(identity_key("email", ref))
        if person_id is None:
            raise NotFound("person", ref)
        ref = person_id
    nodes = store.get_nodes(label=NodeLabel.PERSON, ids=[ref])
    if not nodes:
        raise NotFound("person", ref)
    return nodes[0]


def resolve_people(store: GraphStore, *, refs: list[str]) -> list[Node]:
    """Several people; every reference must resolve."""
    return [resolve_person(store, ref=ref) for ref in refs]


class Relationship(BaseModel):
    """The KNOWS edge between two people, oriented from ``a`` to ``b``."""

    a: Node
    b: Node
    edge: StoredEdge | None


def relationship(store: GraphStore, *, a: str, b: str) -> Relationship:
    """The relationship between two people (``edge`` is None when they never interacted)."""
    person_a, person_b = resolve_person(store, ref=a), resolve_person(store, ref=b)
    edge = store.get_edge(
        rel_type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id=person_a.id,
        dst_label=NodeLabel.PERSON,
        dst_id=person_b.id,
    )
    return Relationship(a=person_a, b=person_b, edge=edge)


def relationships_of(store: GraphStore, *, person_id: str, limit: int) -> list[Neighbour]:
    """A person's KNOWS ties, strongest first."""
    return store.neighbours(label=NodeLabel.PERSON, node_id=person_id, rel_types=[RelType.KNOWS], limit=limit)


def warm_intro_paths(
    store: GraphStore, *, sources: list[str], target: str, max_hops: int, first: int, min_strength: float = 0.0
) -> tuple[list[GraphPath], dict[str, Node]]:
    """Ranked paths from anyone in ``sources`` to ``target``, with every node on them."""
    if not sources:
        raise InvalidInput("from", "name at least one team member")
    team = resolve_people(store, refs=sources)
    goal = resolve_person(store, ref=target)
    paths = store.k_best_paths(
        sources=[p.id for p in team], targets=[goal.id], max_hops=max_hops, k=first, min_strength=min_strength
    )
    ids = sorted({i for path in paths for i in path.node_ids})
    nodes = {n.id: n for n in store.get_nodes(label=NodeLabel.PERSON, ids=ids)}
    return paths, nodes


def explain_path(path: GraphPath, nodes: dict[str, Node]) -> str:
    """A path in words: who introduces whom, and how strong each tie is."""
    names = [nodes[i].name or i if i in nodes else i for i in path.node_ids]
    if path.length == 1:
        return f"{names[0]} knows {names[1]} directly (strength {path.hops[0].strength:.2f})."
    steps = ", who knows ".join(f"{names[i + 1]} (strength {hop.strength:.2f})" for i, hop in enumerate(path.hops))
    return f"{names[0]} knows {steps}. Overall score {path.score:.3f}."
