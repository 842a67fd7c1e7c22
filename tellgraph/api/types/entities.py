"""Projects, topics, events and goals, as far as search and ``node(id:)`` show them."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from tellgraph.api.types.mirror import from_props
from tellgraph.api.types.node import Node
from tellgraph.schema.model import Node as NodeModel


@strawberry.type(description="A project or deal.")
class Project(Node):
    id: strawberry.ID
    name: str | None
    description: str | None
    stage: str | None
    value: float | None
    currency: str | None

    @classmethod
    def from_domain(cls, node: NodeModel) -> Self:
        return from_props(cls, node)


@strawberry.type(description="A subject communications are about.")
class Topic(Node):
    id: strawberry.ID
    name: str | None

    @classmethod
    def from_domain(cls, node: NodeModel) -> Self:
        return from_props(cls, node)


@strawberry.type(description="A meeting, conference or other gathering.")
class Event(Node):
    id: strawberry.ID
    name: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    location: str | None

    @classmethod
    def from_domain(cls, node: NodeModel) -> Self:
        return from_props(cls, node)


@strawberry.type(description="Something the team wants to win.")
class Goal(Node):
    id: strawberry.ID
    name: str | None
    description: str | None
    deadline: datetime | None
    status: str | None

    @classmethod
    def from_domain(cls, node: NodeModel) -> Self:
        return from_props(cls, node)
