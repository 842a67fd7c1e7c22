"""What agents know about a relationship: the last topic, the last contact and open action items."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node

OPEN_ITEM_DAYS = 90


class PairContext(BaseModel):
    """Between two people: their shared communications, newest first, reduced to what a draft needs."""

    last_subject: str | None = None
    last_contact: datetime | None = None
    last_from_other: datetime | None = None
    communications: int = 0
    open_items: list[str] = Field(default_factory=list)
    subjects: list[str] = Field(default_factory=list)


def pair_context(store: GraphStore, *, a: str, b: str, now: datetime, limit: int = 200) -> PairContext:
    """Communications in which both ``a`` and ``b`` took part, up to ``now``."""
    shared = []
    for interaction in store.find_interactions(person_ids=[b], limit=limit):
        if interaction.timestamp > now:
            continue
        involved = set(interaction.senders) | {p for p, _ in interaction.recipients} | set(interaction.participants)
        if a in involved:
            shared.append(interaction)
    context = PairContext(communications=len(shared))
    if not shared:
        return context
    nodes = {n.id: n for n in store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[i.id for i in shared[:50]])}
    context.last_contact = shared[0].timestamp
    context.last_from_other = next((i.timestamp for i in shared if b in i.senders), None)
    for interaction in shared[:50]:
        node = nodes.get(interaction.id)
        if node is None:
            continue
        subject = node.props.get("subject")
        if subject and context.last_subject is None:
            context.last_subject = subject
        if subject and subject not in context.subjects:
            context.subjects.append(subject)
        if interaction.timestamp >= now - timedelta(days=OPEN_ITEM_DAYS):
            for item in node.props.get("action_items") or []:
                if item not in context.open_items:
                    context.open_items.append(item)
    context.subjects = context.subjects[:5]
    context.open_items = context.open_items[:5]
    return context


def works_at(store: GraphStore, *, person_id: str) -> tuple[Node | None, str | None]:
    """The person's company and title there (the first WORKS_AT edge), if known."""
    for neighbour in store.neighbours(label=NodeLabel.PERSON, node_id=person_id, rel_types=[RelType.WORKS_AT], limit=5):
        return neighbour.node, neighbour.edge.props.get("title")
    return None, None


def first_email(node: Node) -> str | None:
    """A person's first email address."""
    emails = node.props.get("emails") or []
    return str(emails[0]) if emails else None
