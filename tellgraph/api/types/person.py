"""People: who they are, where they work, whom they know, what they said."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from tellgraph.api.context import Info
from tellgraph.api.types.communication import Communication
from tellgraph.api.types.company import Company
from tellgraph.api.types.node import Node
from tellgraph.api.types.pagination import (
    Connection,
    Edge,
    PageInfo,
    decode_keyset,
    decode_offset,
    keyset_cursor,
    offset_connection,
    page_size,
)
from tellgraph.api.types.relationship import Relationship
from tellgraph.schema.model import Node as NodeModel
from tellgraph.services import timeline as timeline_service


@strawberry.type(description="Someone in the graph.")
class Person(Node):
    id: strawberry.ID
    name: str | None
    emails: list[str]
    title: str | None
    phones: list[str]
    aliases: list[str]
    linkedin_url: str | None
    is_team: bool = strawberry.field(description="One of the people whose network this is.")
    erased: bool = strawberry.field(description="Their personal data was erased (forgetPerson).")
    node: strawberry.Private[NodeModel]

    @classmethod
    def from_domain(cls, node: NodeModel) -> Self:
        props = node.props
        return cls(
            id=strawberry.ID(node.id),
            name=props.get("name"),
            emails=list(props.get("emails") or []),
            title=props.get("title"),
            phones=list(props.get("phones") or []),
            aliases=list(props.get("aliases") or []),
            linkedin_url=props.get("linkedin_url"),
            is_team=bool(props.get("is_team")),
            erased=bool(props.get("erased")),
            node=node,
        )

    @strawberry.field(description="The company the person works at now (from a profile, else their email domain).")
    async def company(self, info: Info) -> Company | None:
        found = await info.context.loaders.employer.load(self.id)
        return Company.from_domain(found) if found else None

    @strawberry.field(description="How many people they have a tie with.")
    async def degree(self, info: Info) -> int:
        return await info.context.loaders.knows_degree.load(self.id)

    @strawberry.field(description="Their latest interaction with anyone.")
    async def last_interaction(self, info: Info) -> datetime | None:
        row = await info.context.loaders.person_metrics.load(self.id)
        return row.last_interaction if row else None

    @strawberry.field(description="The person's ties, strongest first.")
    async def relationships(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Connection[Relationship]:
        size = page_size(first, cap=info.context.settings.api_max_page)
        offset = decode_offset(after)
        # One past the page says whether another page follows.
        page = await info.context.loaders.relationships.load((self.id, offset + size + 1))
        ties, total = (page.ties, page.total) if page is not None else ([], 0)
        return offset_connection(
            ties[offset : offset + size],
            offset=offset,
            size=size,
            total=total,
            convert=lambda t: Relationship.from_domain(t.edge, other=t.node, person=self.node),
            has_next=len(ties) > offset + size,
        )

    @strawberry.field(description="The person's communications, newest first.")
    async def timeline(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Communication]:
        size = page_size(first, cap=info.context.settings.api_max_page, default=20)
        before = decode_keyset(after)
        ctx = info.context
        page = await ctx.run(timeline_service.timeline, ctx.store, person_id=self.id, first=size, before=before)
        edges = [
            Edge(cursor=keyset_cursor(*timeline_service.keyset(node)), node=Communication.from_domain(node))
            for node in page.nodes
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=before is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )
