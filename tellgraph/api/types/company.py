"""Companies and who works there."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from tellgraph.api.context import Info
from tellgraph.api.types.node import Node
from tellgraph.api.types.pagination import Connection, decode_offset, offset_connection, page_size
from tellgraph.graph.store import Neighbour
from tellgraph.schema.model import Node as NodeModel

if TYPE_CHECKING:
    from tellgraph.api.types.person import Person


def _when(props: dict[str, object], *names: str) -> datetime | None:
    for name in names:
        value = props.get(name)
        if isinstance(value, datetime):
            return value
    return None


@strawberry.type(description="A person's job at a company (a WORKS_AT edge).")
class Employment:
    title: str | None
    current: bool = strawberry.field(description="No end date is known.")
    since: datetime | None
    until: datetime | None
    source: str | None
    person_node: strawberry.Private[NodeModel]

    @classmethod
    def from_domain(cls, tie: Neighbour) -> Self:
        props = tie.edge.props
        return cls(
            title=props.get("title"),
            current=props.get("valid_to") is None,
            since=_when(props, "valid_from", "observed_at"),
            until=_when(props, "valid_to"),
            source=props.get("source"),
            person_node=tie.node,
        )

    @strawberry.field(description="Who holds the job.")
    def person(self) -> Annotated[Person, strawberry.lazy("tellgraph.api.types.person")]:
        from tellgraph.api.types.person import Person

        return Person.from_domain(self.person_node)


@strawberry.type(description="An organisation.")
class Company(Node):
    id: strawberry.ID
    name: str | None
    domain: str | None
    aliases: list[str]
    industry: str | None
    node: strawberry.Private[NodeModel]

    @classmethod
    def from_domain(cls, node: NodeModel) -> Self:
        props = node.props
        return cls(
            id=strawberry.ID(node.id),
            name=props.get("name"),
            domain=props.get("domain"),
            aliases=list(props.get("aliases") or []),
            industry=props.get("industry"),
            node=node,
        )

    @strawberry.field(description="People who work here now (WORKS_AT without an end date).")
    async def people_count(self, info: Info) -> int:
        row = await info.context.loaders.company_metrics.load(self.id)
        return row.people if row else 0

    @strawberry.field(description="The latest interaction of anyone who works here now.")
    async def last_interaction(self, info: Info) -> datetime | None:
        row = await info.context.loaders.company_metrics.load(self.id)
        return row.last_interaction if row else None

    @strawberry.field(description="Everyone recorded as working here, now or before, by id.")
    async def people(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Employment]:
        size = page_size(first, cap=info.context.settings.api_max_page, default=20)
        offset = decode_offset(after)
        loaders = info.context.loaders
        ties = await loaders.employees.load((self.id, offset + size + 1))
        total = await loaders.employee_count.load(self.id)
        window = ties[offset : offset + size]
        return offset_connection(
            window,
            offset=offset,
            size=size,
            total=total,
            convert=Employment.from_domain,
            has_next=len(ties) > offset + size,
        )
