"""Rebuild KNOWS edges from the activity log, with an explainable strength.

``interaction_count`` follows the public contract: the number of distinct
communications between two people in either direction, on any channel. For
email one of them sent it and the other received it (To, Cc or Bcc); for chat,
meetings and calls both took part. Co-recipients of the same mail do not count.

Strength (0-1) is a weighted sum of components stored beside it
(``score_frequency``, ``score_recency``, ``score_reciprocity``, ``score_breadth``)
so any number can be explained. Recency is measured against the newest
communication in the graph (``as_of``), so historical data scores sensibly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from tellgraph.graph.store import GraphStore, Interaction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, utcnow
from tellgraph.settings import Settings

WEIGHTS = {"frequency": 0.40, "recency": 0.35, "reciprocity": 0.15, "breadth": 0.10}
GROUP_LIMIT = 30
"""Meetings, calls and chats with more people than this are broadcasts: they add no pairwise ties."""
DECLARED_ONLY_STRENGTH = 0.15
"""A declared connection (LinkedIn) with no observed interaction."""


@dataclass
class PairStats:
    """Everything observed between two people, from the lower id (a) to the higher (b)."""

    comms: set[str] = field(default_factory=set)
    a_to_b: int = 0
    b_to_a: int = 0
    weight: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    channels: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)

    def add(self, *, comm: Interaction, sender: str | None, a: str, weight: float) -> None:
        if comm.id in self.comms:
            return
        self.comms.add(comm.id)
        if sender == a:
            self.a_to_b += 1
        elif sender is not None:
            self.b_to_a += 1
        self.weight += weight
        ts = comm.timestamp
        self.first = ts if self.first is None or ts < self.first else self.first
        self.last = ts if self.last is None or ts > self.last else self.last
        self.channels.add(comm.channel)
        self.days.add(ts.date().isoformat())


class ScoreReport(BaseModel):
    """What a rebuild did."""

    communications: int
    pairs: int
    declared_only: int
    as_of: datetime | None
    seconds: float


def _pair(x: str, y: str) -> tuple[str, str]:
    return (x, y) if x < y else (y, x)


def collect_pairs(interactions: Iterable[Interaction]) -> tuple[dict[tuple[str, str], PairStats], int, datetime | None]:
    """Aggregate pairwise statistics from communications."""
    pairs: dict[tuple[str, str], PairStats] = {}
    total = 0
    as_of: datetime | None = None
    for comm in interactions:
        total += 1
        as_of = comm.timestamp if as_of is None or comm.timestamp > as_of else as_of
        recipients = sorted({pid for pid, _ in comm.recipients})
        if comm.senders:
            # Broadcast mail counts, but less: 1 / log2(1 + recipients).
            weight = 1.0 / math.log2(1 + max(1, len(recipients)))
            for sender in comm.senders:
                for recipient in recipients:
                    if recipient == sender:
                        continue
                    a, b = _pair(sender, recipient)
                    pairs.setdefault((a, b), PairStats()).add(comm=comm, sender=sender, a=a, weight=weight)
        group = sorted(set(comm.participants) | (set(comm.senders) if comm.participants else set()))
        if 2 <= len(group) <= GROUP_LIMIT:
            weight = 1.0 / math.log2(len(group))
            for i, x in enumerate(group):
                for y in group[i + 1 :]:
                    pairs.setdefault((x, y), PairStats()).add(comm=comm, sender=None, a=x, weight=weight)
    return pairs, total, as_of


def score_pair(stats: PairStats, *, as_of: datetime, half_life_days: float) -> dict[str, object]:
    """Strength and its components for one pair."""
    frequency = 1.0 - math.exp(-stats.weight / 8.0)
    assert stats.last is not None and stats.first is not None
    age_days = max(0.0, (as_of - stats.last).total_seconds() / 86400.0)
    recency = 0.5 ** (age_days / half_life_days)
    both = stats.a_to_b + stats.b_to_a
    reciprocity = (
        (min(stats.a_to_b, stats.b_to_a) / max(stats.a_to_b, stats.b_to_a))
        if both and min(stats.a_to_b, stats.b_to_a)
        else 0.0
    )
    if not both:
        reciprocity = 1.0  # meetings and calls are two-way by nature
    breadth = 1.0 - math.exp(-len(stats.days) / 10.0)
    components = {"frequency": frequency, "recency": recency, "reciprocity": reciprocity, "breadth": breadth}
    strength = sum(WEIGHTS[k] * v for k, v in components.items())
    explanation = (
        f"{len(stats.comms)} communications ({stats.a_to_b} one way, {stats.b_to_a} the other) on "
        f"{len(stats.days)} days; last {age_days:.0f} days before {as_of.date().isoformat()}."
    )
    return {
        "strength": round(min(1.0, max(0.0, strength)), 6),
        "interaction_count": len(stats.comms),
        "first_interaction": stats.first,
        "last_interaction": stats.last,
        "count_a_to_b": stats.a_to_b,
        "count_b_to_a": stats.b_to_a,
        "days_with_contact": len(stats.days),
        "channels": sorted(stats.channels),
        **{f"score_{k}": round(v, 6) for k, v in components.items()},
        "explanation": explanation,
    }


def rebuild_knows(store: GraphStore, *, settings: Settings, batch: int = 5000) -> ScoreReport:
    """Recompute every observed KNOWS edge from the communications in ``store``."""
    started = time.perf_counter()
    pairs, total, as_of = collect_pairs(store.iter_interactions())
    now = utcnow()
    edges: list[Edge] = []
    for (a, b), stats in pairs.items():
        assert as_of is not None
        edges.append(
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id=a,
                dst_label=NodeLabel.PERSON,
                dst_id=b,
                props=score_pair(stats, as_of=as_of, half_life_days=settings.half_life_days),  # type: ignore[arg-type]
                provenance=["communications"],
            )
        )
    declared_only = []
    for edge in store.iter_edges(rel_type=RelType.KNOWS):
        if (edge.src_id, edge.dst_id) not in pairs and "strength" not in edge.props:
            declared_only.append(
                Edge(
                    type=RelType.KNOWS,
                    src_label=NodeLabel.PERSON,
                    src_id=edge.src_id,
                    dst_label=NodeLabel.PERSON,
                    dst_id=edge.dst_id,
                    props={
                        "strength": DECLARED_ONLY_STRENGTH,
                        "interaction_count": 0,
                        "explanation": "Declared connection with no observed communication.",
                    },
                )
            )
    all_edges = edges + declared_only
    for start in range(0, len(all_edges), batch):
        store.upsert_edges(edges=all_edges[start : start + batch], now=now)
    store.flush()
    return ScoreReport(
        communications=total,
        pairs=len(edges),
        declared_only=len(declared_only),
        as_of=as_of,
        seconds=round(time.perf_counter() - started, 3),
    )
