"""Search results: a union of everything search can find."""

from __future__ import annotations

from typing import Annotated, Self

import strawberry

from tellgraph.api.types.audit import AuditEntry
from tellgraph.api.types.communication import Communication
from tellgraph.api.types.company import Company
from tellgraph.api.types.entities import Event, Goal, Project, Topic
from tellgraph.api.types.pagination import Connection
from tellgraph.api.types.person import Person
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Node as NodeModel
from tellgraph.services.search import SearchHit as SearchHitModel

SearchResult = Annotated[
    Person | Company | Communication | Project | Topic | Event | Goal,
    strawberry.union("SearchResult", description="Anything search can find."),
]
AnyNode = Person | Company | Communication | Project | Topic | Event | Goal | AuditEntry


def to_graphql(node: NodeModel) -> AnyNode | None:
    """The GraphQL object for a stored node, or None for labels the API does not expose."""
    if node.label is NodeLabel.PERSON:
        return Person.from_domain(node)
    if node.label is NodeLabel.COMPANY:
        return Company.from_domain(node)
    if node.label is NodeLabel.COMMUNICATION:
        return Communication.from_domain(node)
    if node.label is NodeLabel.PROJECT:
        return Project.from_domain(node)
    if node.label is NodeLabel.TOPIC:
        return Topic.from_domain(node)
    if node.label is NodeLabel.EVENT:
        return Event.from_domain(node)
    if node.label is NodeLabel.GOAL:
        return Goal.from_domain(node)
    if node.label is NodeLabel.AUDIT_ENTRY:
        return AuditEntry.from_node(node)
    return None


@strawberry.type(description="One search result.")
class SearchHit:
    node: SearchResult
    score: float = strawberry.field(description="Reciprocal-rank-fusion score; exact matches score above 1.")
    matched_by: list[str] = strawberry.field(description="exact, text and/or semantic.")

    @classmethod
    def from_domain(cls, hit: SearchHitModel) -> Self:
        found = to_graphql(hit.node)
        assert found is not None and not isinstance(found, AuditEntry)
        return cls(node=found, score=hit.score, matched_by=hit.matched_by)


@strawberry.type(description="A page of search results.")
class SearchConnection(Connection[SearchHit]):
    semantic: bool = strawberry.field(description="Whether semantic (vector) search took part.")
