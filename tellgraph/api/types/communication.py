"""Communications (an email, a chat message, a meeting, a call) and who took part."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from tellgraph.api.context import Info
from tellgraph.api.types.node import Node
from tellgraph.graph.queries import Participation as ParticipationModel
from tellgraph.schema.model import Node as NodeModel

if TYPE_CHECKING:
    from tellgraph.api.types.person import Person


@strawberry.type(description="Someone who took part in a communication, and how.")
class Participation:
    role: str = strawberry.field(description="from, to, cc, bcc, attendee, organizer, speaker...")
    person_node: strawberry.Private[NodeModel]

    @classmethod
    def from_domain(cls, item: ParticipationModel) -> Self:
        return cls(role=item.role, person_node=item.person)

    @strawberry.field
    def person(self) -> Annotated[Person, strawberry.lazy("tellgraph.api.types.person")]:
        from tellgraph.api.types.person import Person

        return Person.from_domain(self.person_node)


@strawberry.type(description="One distinct communication, however many copies were read.")
class Communication(Node):
    id: strawberry.ID
    channel: str
    timestamp: datetime | None
    subject: str | None
    preview: str | None = strawberry.field(description="The first characters of the text, when previews are stored.")
    thread_key: str | None
    source: str | None
    sentiment: float | None
    action_items: list[str]
    participant_count: int
    redacted: bool = strawberry.field(description="Private details were erased with a participant's data.")
    node: strawberry.Private[NodeModel]

    @classmethod
    def from_domain(cls, node: NodeModel) -> Self:
        props = node.props
        return cls(
            id=strawberry.ID(node.id),
            channel=str(props.get("channel") or ""),
            timestamp=props.get("timestamp"),
            subject=props.get("subject"),
            preview=props.get("preview"),
            thread_key=props.get("thread_key"),
            source=props.get("source"),
            sentiment=props.get("sentiment"),
            action_items=[str(a) for a in props.get("action_items") or []],
            participant_count=int(props.get("participant_count") or 0),
            redacted=bool(props.get("redacted")),
            node=node,
        )

    @strawberry.field(description="Senders first, then To, Cc, Bcc, then attendees.")
    async def participants(self, info: Info) -> list[Participation]:
        items = await info.context.loaders.participants.load(self.id)
        info.context.loaders.prime_people([p.person for p in items])
        return [Participation.from_domain(p) for p in items]
