"""A relationship: the KNOWS tie between two people, with the numbers behind its strength."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self, cast

import strawberry
from strawberry.scalars import JSON

from tellgraph.schema.model import Node as NodeModel
from tellgraph.schema.model import StoredEdge

if TYPE_CHECKING:
    from tellgraph.api.types.person import Person

PersonRef = Annotated["Person", strawberry.lazy("tellgraph.api.types.person")]


@strawberry.type(description="How a strength was computed: every component of the score.")
class Breakdown:
    components: JSON
    explanation: str | None


def breakdown_of(props: dict[str, Any]) -> Breakdown | None:
    """The ``score_*`` components of an edge, if it has any."""
    components = {k.removeprefix("score_"): v for k, v in props.items() if k.startswith("score_")}
    if not components:
        return None
    return Breakdown(components=cast("JSON", components), explanation=props.get("explanation"))


@strawberry.type(description="A tie between two people: how strong, how often, since when.")
class Relationship:
    strength: float | None
    interaction_count: int = strawberry.field(
        description="Distinct communications between the two, either direction, any channel."
    )
    first_interaction: datetime | None
    last_interaction: datetime | None
    sentiment: float | None
    trend: str | None
    next_contact_due: datetime | None
    channels: list[str]
    breakdown: Breakdown | None
    person_node: strawberry.Private[NodeModel | None]
    other_node: strawberry.Private[NodeModel | None]

    @classmethod
    def from_domain(
        cls, edge: StoredEdge | None, other: NodeModel | None = None, person: NodeModel | None = None
    ) -> Self:
        props = edge.props if edge else {}
        return cls(
            strength=props.get("strength"),
            interaction_count=int(props.get("interaction_count") or 0),
            first_interaction=props.get("first_interaction"),
            last_interaction=props.get("last_interaction"),
            sentiment=props.get("sentiment"),
            trend=props.get("trend"),
            next_contact_due=props.get("next_contact_due"),
            channels=[str(c) for c in props.get("channels") or []],
            breakdown=breakdown_of(props),
            person_node=person,
            other_node=other,
        )

    @strawberry.field(description="The person the relationship was asked about (`a`, or the list's owner).")
    def person(self) -> PersonRef | None:
        from tellgraph.api.types.person import Person

        return Person.from_domain(self.person_node) if self.person_node else None

    @strawberry.field(description="The other person (`b`, or the tie's other end).")
    def other(self) -> PersonRef | None:
        from tellgraph.api.types.person import Person

        return Person.from_domain(self.other_node) if self.other_node else None
