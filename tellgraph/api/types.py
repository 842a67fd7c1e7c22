"""GraphQL types, each mapped from the domain with ``from_domain``."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Self, cast

import strawberry
from strawberry.scalars import JSON

from tellgraph.api.context import Info
from tellgraph.errors import InvalidInput
from tellgraph.graph.store import GraphPath, PathHop
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, StoredEdge
from tellgraph.services import people


def page_size(first: int, *, cap: int) -> int:
    """Refuse negative and oversized pages with a clear message."""
    if first < 0:
        raise InvalidInput("first", "must not be negative")
    if first > cap:
        raise InvalidInput("first", f"at most {cap} per page")
    return first


def encode_cursor(value: str) -> str:
    """Opaque Relay cursor."""
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> str:
    """The value inside a cursor (invalid cursors raise ValueError)."""
    return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")


@strawberry.type
class Company:
    """An organisation."""

    id: strawberry.ID
    name: str | None
    domain: str | None

    @classmethod
    def from_domain(cls, node: Node) -> Self:
        return cls(id=strawberry.ID(node.id), name=node.props.get("name"), domain=node.props.get("domain"))


@strawberry.type
class PersonRef:
    """A person as shown on a path hop."""

    id: strawberry.ID
    name: str | None
    emails: list[str]

    @classmethod
    def from_domain(cls, node: Node) -> Self:
        return cls(id=strawberry.ID(node.id), name=node.props.get("name"), emails=list(node.props.get("emails") or []))


@strawberry.type
class Breakdown:
    """How a strength was computed: every component of the score."""

    components: JSON
    explanation: str | None


def _breakdown(props: dict[str, Any]) -> Breakdown | None:
    components = {k.removeprefix("score_"): v for k, v in props.items() if k.startswith("score_")}
    if not components:
        return None
    return Breakdown(components=cast("JSON", components), explanation=props.get("explanation"))


@strawberry.type
class Relationship:
    """A tie between two people: how strong, how often, since when."""

    strength: float | None
    interaction_count: int
    first_interaction: datetime | None
    last_interaction: datetime | None
    sentiment: float | None
    trend: str | None
    next_contact_due: datetime | None
    breakdown: Breakdown | None
    other: PersonRef | None = None

    @classmethod
    def from_domain(cls, edge: StoredEdge | None, other: Node | None = None) -> Self:
        props = edge.props if edge else {}
        return cls(
            strength=props.get("strength"),
            interaction_count=int(props.get("interaction_count") or 0),
            first_interaction=props.get("first_interaction"),
            last_interaction=props.get("last_interaction"),
            sentiment=props.get("sentiment"),
            trend=props.get("trend"),
            next_contact_due=props.get("next_contact_due"),
            breakdown=_breakdown(props),
            other=PersonRef.from_domain(other) if other else None,
        )


@strawberry.type
class PageInfo:
    """Relay page information."""

    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class RelationshipEdge:
    """A relationship in a connection."""

    cursor: str
    node: Relationship


@strawberry.type
class RelationshipConnection:
    """A page of relationships."""

    edges: list[RelationshipEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Hop:
    """One introduction step on a warm path."""

    from_: PersonRef = strawberry.field(name="from")
    to: PersonRef
    strength: float
    last_interaction: datetime | None

    @classmethod
    def from_domain(cls, hop: PathHop, nodes: dict[str, Node]) -> Self:
        return cls(
            from_=PersonRef.from_domain(nodes[hop.src_id]),
            to=PersonRef.from_domain(nodes[hop.dst_id]),
            strength=hop.strength,
            last_interaction=hop.last_interaction,
        )


@strawberry.type
class IntroPath:
    """A ranked way to reach someone through people who know each other."""

    score: float
    hops: list[Hop]
    explanation: str

    @classmethod
    def from_domain(cls, path: GraphPath, nodes: dict[str, Node], explanation: str) -> Self:
        return cls(score=path.score, hops=[Hop.from_domain(h, nodes) for h in path.hops], explanation=explanation)


@strawberry.type
class Person:
    """Someone in the graph."""

    id: strawberry.ID
    name: str | None
    emails: list[str]
    title: str | None
    node: strawberry.Private[Node]

    @classmethod
    def from_domain(cls, node: Node) -> Self:
        return cls(
            id=strawberry.ID(node.id),
            name=node.props.get("name"),
            emails=list(node.props.get("emails") or []),
            title=node.props.get("title"),
            node=node,
        )

    @strawberry.field(description="The company the person works at (from their email domain or a profile).")
    def company(self, info: Info) -> Company | None:
        store = info.context.store
        for neighbour in store.neighbours(
            label=NodeLabel.PERSON, node_id=self.id, rel_types=[RelType.WORKS_AT], limit=1
        ):
            return Company.from_domain(neighbour.node)
        return None

    @strawberry.field(description="The person's ties, strongest first.")
    def relationships(self, info: Info, first: int = 10, after: str | None = None) -> RelationshipConnection:
        size = page_size(first, cap=info.context.settings.api_max_page)
        offset = 0
        if after:
            try:
                offset = int(decode_cursor(after))
            except ValueError:
                raise InvalidInput("after", "not a cursor from this API") from None
        store = info.context.store
        # Fetch one past the page to know whether another page follows.
        ties = people.relationships_of(store, person_id=self.id, limit=offset + size + 1)
        page = ties[offset : offset + size]
        total = store.degree(label=NodeLabel.PERSON, node_id=self.id, rel_types=[RelType.KNOWS])
        edges = [
            RelationshipEdge(cursor=encode_cursor(str(offset + i + 1)), node=Relationship.from_domain(t.edge, t.node))
            for i, t in enumerate(page)
        ]
        return RelationshipConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(ties) > offset + size, end_cursor=edges[-1].cursor if edges else None),
            total_count=total,
        )


@strawberry.type
class CountEntry:
    """How many of one label or type."""

    name: str
    count: int


@strawberry.type
class Stats:
    """Graph size."""

    nodes: list[CountEntry]
    edges: list[CountEntry]
