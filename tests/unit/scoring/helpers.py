"""Hand-made communications for scoring tests, with a fixed clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import count

from tellgraph.graph.store import GraphStore, Interaction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Channel, Communication, Edge, Person

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""Monday 5 January 2026, 09:00 UTC: day 0 of every scenario."""
_ids = count(1)


def at(days: float, hours: float = 0.0) -> datetime:
    """A moment ``days`` (and ``hours``) after :data:`T0`."""
    return T0 + timedelta(days=days, hours=hours)


def mail(
    sender: str,
    to: Sequence[str],
    *,
    days: float,
    hours: float = 0.0,
    cc: Sequence[str] = (),
    thread: str | None = None,
    sentiment: float | None = None,
    channel: str = "email",
    cid: str | None = None,
) -> Interaction:
    """A message from ``sender`` to ``to`` (and ``cc``)."""
    return Interaction(
        id=cid or f"c{next(_ids):06d}",
        timestamp=at(days, hours),
        channel=channel,
        thread_key=thread,
        sentiment=sentiment,
        senders=[sender],
        recipients=sorted([(p, "TO") for p in to] + [(p, "CC") for p in cc]),
        participants=[],
    )


def meeting(organiser: str, attendees: Sequence[str], *, days: float, channel: str = "meeting") -> Interaction:
    """A meeting (or call) everyone took part in."""
    return Interaction(
        id=f"c{next(_ids):06d}",
        timestamp=at(days),
        channel=channel,
        thread_key=None,
        senders=[organiser],
        recipients=[],
        participants=sorted(attendees),
    )


def write(store: GraphStore, interactions: Iterable[Interaction], *, names: dict[str, str] | None = None) -> None:
    """Store communications (and their people) exactly as ingest would shape them."""
    interactions = list(interactions)
    people = sorted({p for i in interactions for p in [*i.senders, *(r for r, _ in i.recipients), *i.participants]})
    store.upsert_entities(entities=[Person(id=p, name=(names or {}).get(p, p.title())) for p in people])
    comms = [
        Communication(
            id=i.id,
            channel=Channel(i.channel),
            source="test",
            timestamp=i.timestamp,
            thread_key=i.thread_key,
            sentiment=i.sentiment,
        )
        for i in interactions
    ]
    edges: list[Edge] = []
    person, comm = NodeLabel.PERSON, NodeLabel.COMMUNICATION
    for i in interactions:
        edges += [Edge(type=RelType.SENT, src_label=person, src_id=s, dst_label=comm, dst_id=i.id) for s in i.senders]
        edges += [
            Edge(type=RelType(rel), src_label=comm, src_id=i.id, dst_label=person, dst_id=r) for r, rel in i.recipients
        ]
        edges += [
            Edge(type=RelType.PARTICIPATED, src_label=person, src_id=p, dst_label=comm, dst_id=i.id)
            for p in i.participants
            if p not in i.senders
        ]
    store.write_batch(entities=comms, edges=edges, now=at(400))
