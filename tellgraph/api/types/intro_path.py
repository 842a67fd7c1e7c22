"""Warm introduction paths."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from tellgraph.api.types.person import Person
from tellgraph.schema.model import Node as NodeModel
from tellgraph.services.intros import IntroPath as IntroPathModel
from tellgraph.services.intros import ScoredHop


def _person(node_id: str, nodes: dict[str, NodeModel]) -> Person:
    node = nodes.get(node_id) or NodeModel(label="Person", id=node_id, props={})  # type: ignore[arg-type]
    return Person.from_domain(node)


@strawberry.type(description="One introduction step on a warm path: a tie between two people.")
class Hop:
    from_: Person = strawberry.field(name="from")
    to: Person
    strength: float
    last_interaction: datetime | None
    interaction_count: int
    sentiment: float | None
    stale: bool = strawberry.field(description="Not in touch for longer than the staleness horizon.")
    negative: bool = strawberry.field(description="The tie's sentiment is negative.")
    days_since_last_interaction: float | None = strawberry.field(
        description="Days between the last interaction and the newest communication in the graph."
    )

    @classmethod
    def from_domain(cls, hop: ScoredHop, nodes: dict[str, NodeModel]) -> Self:
        props = hop.hop.props
        return cls(
            from_=_person(hop.hop.src_id, nodes),
            to=_person(hop.hop.dst_id, nodes),
            strength=hop.hop.strength,
            last_interaction=hop.hop.last_interaction,
            interaction_count=int(props.get("interaction_count") or 0),
            sentiment=props.get("sentiment"),
            stale=hop.stale,
            negative=hop.negative,
            days_since_last_interaction=round(hop.days_since, 1) if hop.days_since is not None else None,
        )


@strawberry.type(description="A ranked way to reach someone through people who know each other.")
class IntroPath:
    score: float = strawberry.field(
        description="Product of tie strengths, discounted for stale and negative ties; higher is better."
    )
    raw_score: float = strawberry.field(description="The plain product of tie strengths.")
    hops: list[Hop]
    explanation: str
    warnings: list[str]
    collapsed: int = strawberry.field(description="Near-duplicate paths (same intermediaries) folded into this one.")
    length: int

    @classmethod
    def from_domain(cls, item: IntroPathModel, nodes: dict[str, NodeModel]) -> Self:
        return cls(
            score=round(item.score, 6),
            raw_score=round(item.path.score, 6),
            hops=[Hop.from_domain(h, nodes) for h in item.hops],
            explanation=item.explanation,
            warnings=item.warnings,
            collapsed=item.collapsed,
            length=item.path.length,
        )
