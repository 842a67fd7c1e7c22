"""Rebuild KNOWS edges from the activity log, with an explainable strength, health and history.

``interaction_count`` follows the public contract: the number of distinct
communications between two people in either direction, on any channel. For
email one of them sent it and the other received it (To, Cc or Bcc); for chat,
meetings and calls both took part. Co-recipients of the same mail do not count.

Strength (0-1) is a weighted sum of components stored beside it
(``score_<component>``, with the ``weights`` used; see
:mod:`tellgraph.scoring.strength`) so any number can be explained. Recency is
measured against the newest communication in the graph (``as_of``), so
historical data scores sensibly.

:func:`rebuild_knows` is what ``tellgraph score`` runs: every observed KNOWS
edge is rewritten with strength, breakdown, health and predictions, its monthly
history gains this month's snapshot, declared-only ties (LinkedIn) keep a small fixed strength,
ties whose communications are gone are removed, and ``INFERRED_KNOWS`` edges are
recomputed. The math lives in pure modules; this one only reads and writes the store.
"""

from __future__ import annotations

import gc
import logging
import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from tellgraph.graph.store import GraphStore, Interaction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, utcnow
from tellgraph.scoring.breakdown import LEGACY_PROPS, Props, edge_props, score_table, strengths_only
from tellgraph.scoring.config import COMPONENTS, SCORE_VERSION, ScoringConfig
from tellgraph.scoring.contacts import Pair, build_contacts
from tellgraph.scoring.inference import (
    THREAD_LIMIT,
    Attendance,
    Employment,
    Inferred,
    ThreadCollector,
    ThreadMembers,
    co_attendance,
    mutual_candidates,
    mutual_connections,
    same_company,
    shared_threads,
)
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

WEIGHTS = {"frequency": 0.40, "recency": 0.35, "reciprocity": 0.15, "breadth": 0.10}
"""Weights of the legacy formula (:func:`score_pair`), kept for callers that still use it."""
GROUP_LIMIT = 30
"""Meetings, calls and chats with more people than this are broadcasts: they add no pairwise ties."""
DECLARED_ONLY_STRENGTH = 0.15
"""A declared connection (LinkedIn) with no observed interaction."""
FUTURE_SLACK = timedelta(days=2)
"""Communications dated further than this after ``now`` are bogus and not scored."""
PROVENANCE = "communications"
CHUNK = 50_000
"""Ties scored, written and released at a time by a rebuild."""
_EXISTING_PROPS = ("interaction_count", "declared_by", "connected_on")
_DECLARED_PROPS = ("declared_by", "connected_on")


class ScoreReport(BaseModel):
    """What a rebuild (or an incremental rescore) did."""

    communications: int
    pairs: int
    declared_only: int
    as_of: datetime | None
    seconds: float
    skipped_bogus_dates: int = 0
    removed: int = 0
    at_risk: int = 0
    inferred: int = 0
    inferred_removed: int = 0
    timings: dict[str, float] = Field(default_factory=dict)


class PhaseClock:
    """Seconds per phase of a scoring run, for the report and the benchmark."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def lap(self, name: str) -> None:
        """Close the current phase and add its time to ``name`` (phases may repeat, chunk by chunk)."""
        now = time.perf_counter()
        self.phases[name] = round(self.phases.get(name, 0.0) + now - self.last, 3)
        self.last = now

    @property
    def total(self) -> float:
        """Seconds since the clock started."""
        return round(time.perf_counter() - self.started, 3)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk scoring pass.

    A rebuild allocates millions of small objects while the embedded store holds
    millions more, and every full collection rescans all of them (about a fifth
    of a rebuild's time). What scoring allocates forms no reference cycles, so
    reference counting still frees it all; collection resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def knows_edge(pair: Pair, props: Props, *, provenance: Sequence[str] = (PROVENANCE,)) -> Edge:
    """A KNOWS edge from scoring's own output, skipping model validation.

    ``Edge`` validation costs more than all of scoring for a million edges, and it
    checks nothing here: pairs come ordered (lower id first), property names are
    the fixed ones of :func:`edge_props`, and floats are rounded finite numbers.
    """
    return Edge.model_construct(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id=pair[0],
        dst_label=NodeLabel.PERSON,
        dst_id=pair[1],
        props=props,
        provenance=list(provenance),
    )


def declared_only_props(*, as_of: datetime | None, scored_at: datetime, clear: Iterable[str] = ()) -> Props:
    """A declared tie (a LinkedIn connection) nobody has been seen communicating on."""
    props: Props = dict.fromkeys(clear)
    props.update(
        {
            "strength": DECLARED_ONLY_STRENGTH,
            "interaction_count": 0,
            "explanation": "Declared connection with no observed communication.",
            "trend": "steady",
            "sentiment_trend": "steady",
            "at_risk": False,
            "risk_reasons": [],
            "as_of": as_of,
            "scored_at": scored_at,
            "scoring_version": SCORE_VERSION,
        }
    )
    return props


def write_edges(store: GraphStore, edges: list[Edge], *, now: datetime, batch: int) -> None:
    """Upsert edges in batches (one transaction each on Neo4j)."""
    for start in range(0, len(edges), batch):
        store.upsert_edges(edges=edges[start : start + batch], now=now)


def rebuild_knows(
    store: GraphStore,
    *,
    settings: Settings,
    config: ScoringConfig | None = None,
    now: datetime | None = None,
    infer: bool = True,
    batch: int = 5000,
) -> ScoreReport:
    """Recompute every observed KNOWS edge (and the inferred ones) from the communications in ``store``.

    Args:
        store: the graph.
        settings: :class:`tellgraph.settings.Settings` (``half_life_days``).
        config: the scoring formula; the default one with the settings' half-life when omitted.
        now: the time of the run (``scored_at``; communications after ``now`` + 2 days are bogus).
        infer: also recompute ``INFERRED_KNOWS`` edges.
        batch: edges per write.
    """
    with paused_gc():
        return _rebuild(store, settings=settings, config=config, now=now, infer=infer, batch=batch)


def _rebuild(
    store: GraphStore,
    *,
    settings: Settings,
    config: ScoringConfig | None,
    now: datetime | None,
    infer: bool,
    batch: int,
) -> ScoreReport:
    clock = PhaseClock()
    config = config or ScoringConfig.from_settings(settings)
    now = now or utcnow()
    threads = ThreadCollector()
    table, stats = build_contacts(
        store.iter_interactions(), config=config, latest=now + FUTURE_SLACK, observer=threads if infer else None
    )
    clock.lap("read")
    as_of = stats.newest
    scored = set(table.pairs)
    existing = _existing_ties(store)
    clock.lap("read_existing")

    strengths: dict[Pair, float] = {}
    at_risk = 0
    if as_of is not None and table.pair_count:
        scores, health = score_table(table, as_of=as_of, config=config)
        strengths = strengths_only(scores)
        at_risk = int(health.at_risk.sum())
        clock.lap("score")
        # Chunks keep memory bounded: one chunk of property maps exists at a time, not a million.
        for start in range(0, table.pair_count, CHUNK):
            rows = slice(start, start + CHUNK)
            part = edge_props(scores.take(rows), health.take(rows), config=config, scored_at=now)
            edges = [knows_edge(pair, props) for pair, props in zip(table.pairs[rows], part, strict=True)]
            clock.lap("props")
            write_edges(store, edges, now=now, batch=batch)
            clock.lap("write")

    declared: list[Edge] = []
    stale: list[Pair] = []
    for pair, old in existing.items():
        if pair in scored:
            continue
        is_declared = any(old.get(name) is not None for name in _DECLARED_PROPS)
        if is_declared or not old.get("interaction_count"):
            # Drop every scored property the tie may still carry from when it had communications.
            declared.append(
                knows_edge(pair, declared_only_props(as_of=as_of, scored_at=now, clear=_CLEARED), provenance=())
            )
        else:
            stale.append(pair)
    write_edges(store, declared, now=now, batch=batch)
    removed = store.delete_edges(rel_type=RelType.KNOWS, pairs=stale) if stale else 0
    clock.lap("write")
    inferred = inferred_removed = 0
    if infer:
        observed = scored | set(existing)
        inferred, inferred_removed = infer_connections(
            store,
            strengths=strengths,
            observed=observed,
            threads=threads.threads,
            as_of=as_of,
            now=now,
            batch=batch,
        )
        clock.lap("infer")
    store.flush()
    report = ScoreReport(
        communications=stats.communications,
        pairs=len(scored),
        declared_only=len(declared),
        as_of=as_of,
        seconds=clock.total,
        skipped_bogus_dates=stats.skipped_bogus_dates,
        removed=removed,
        at_risk=at_risk,
        inferred=inferred,
        inferred_removed=inferred_removed,
        timings=clock.phases,
    )
    logger.info(
        "scored %s ties (%s at risk) from %s communications in %.1f s",
        report.pairs,
        report.at_risk,
        report.communications,
        report.seconds,
    )
    return report


def _existing_ties(store: GraphStore) -> dict[Pair, dict[str, Any]]:
    """Every KNOWS edge already stored, with just what decides its fate when it is not rescored."""
    return {
        (src, dst): props for src, dst, props in store.iter_edge_props(rel_type=RelType.KNOWS, names=_EXISTING_PROPS)
    }


_SCORED_ONLY = frozenset(
    {
        "first_interaction",
        "last_interaction",
        "count_a_to_b",
        "count_b_to_a",
        "count_together",
        "days_with_contact",
        "channels",
        "threads",
        "initiated_by_a",
        "initiated_by_b",
        "replies_by_a",
        "replies_by_b",
        "reply_days",
        "reply_days_by_a",
        "reply_days_by_b",
        "sentiment",
        "expected_gap_days",
        "next_contact_due",
        "attention_in_days",
        "preferred_channel",
        "preferred_format",
        "unanswered_count",
        "unanswered_by",
    }
)
"""Properties only a tie with communications has (cleared when it falls back to declared-only)."""
_CLEARED: tuple[str, ...] = (
    *sorted(_SCORED_ONLY),
    *(f"score_{name}" for name in COMPONENTS),
    "weights",
    *LEGACY_PROPS,
)


# -- inferred connections -------------------------------------------------------------


def _events(store: GraphStore) -> list[Attendance]:
    people: dict[str, set[str]] = {}
    for rel in (RelType.ATTENDED, RelType.ORGANIZED):
        for edge in store.iter_edges(rel_type=rel):
            people.setdefault(edge.dst_id, set()).add(edge.src_id)
    nodes = {node.id: node for node in store.get_nodes(label=NodeLabel.EVENT, ids=sorted(people))}
    events = []
    for event_id, attendees in sorted(people.items()):
        node = nodes.get(event_id)
        name = (node.name if node else None) or "an event"
        starts = node.props.get("starts_at") if node else None
        events.append(Attendance(event_id=event_id, name=name, starts_at=starts, people=attendees))
    return events


def _employment(store: GraphStore) -> list[Employment]:
    rows = [
        edge
        for edge in store.iter_edges(rel_type=RelType.WORKS_AT)
        if isinstance(edge.props.get("valid_from"), datetime) and isinstance(edge.props.get("valid_to"), datetime)
    ]
    names = {
        node.id: node.name or str(node.props.get("domain") or node.id)
        for node in store.get_nodes(label=NodeLabel.COMPANY, ids=sorted({e.dst_id for e in rows}))
    }
    return [
        Employment(
            person=e.src_id,
            company=e.dst_id,
            company_name=names.get(e.dst_id, e.dst_id),
            valid_from=e.props["valid_from"],
            valid_to=e.props["valid_to"],
        )
        for e in rows
    ]


def _names(store: GraphStore, label: NodeLabel, ids: Iterable[str], prop: str = "name") -> dict[str, str]:
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 1000):
        for node in store.get_nodes(label=label, ids=wanted[start : start + 1000]):
            value = node.props.get(prop)
            if isinstance(value, str) and value:
                found[node.id] = value
    return found


def infer_connections(
    store: GraphStore,
    *,
    strengths: Mapping[Pair, float],
    observed: set[Pair],
    threads: Mapping[str, ThreadMembers],
    as_of: datetime | None,
    now: datetime,
    batch: int = 5000,
) -> tuple[int, int]:
    """Recompute ``INFERRED_KNOWS`` edges; returns (edges written, stale edges removed)."""
    found: dict[Pair, Inferred] = {}
    co_attendance(_events(store), observed=observed, found=found)
    useful = {
        key: thread
        for key, thread in threads.items()
        if thread.messages >= 2 and 2 <= len(thread.people) <= THREAD_LIMIT
    }
    subjects = _names(store, NodeLabel.COMMUNICATION, (t.first_comm for t in useful.values()), prop="subject")
    shared_threads(useful, observed=observed, found=found, subjects=subjects)
    same_company(_employment(store), observed=observed, found=found)
    candidates = mutual_candidates(strengths, observed=observed)
    names = _names(store, NodeLabel.PERSON, (m for middles in candidates.values() for m in middles[:3]))
    mutual_connections(candidates, found=found, names=names)

    edges = [
        Edge.model_construct(
            type=RelType.INFERRED_KNOWS,
            src_label=NodeLabel.PERSON,
            src_id=pair[0],
            dst_label=NodeLabel.PERSON,
            dst_id=pair[1],
            props=inferred.props(as_of=as_of, inferred_at=now),
            provenance=sorted(inferred.methods),
        )
        for pair, inferred in sorted(found.items())
        if not math.isclose(inferred.confidence, 0.0)
    ]
    stale = [
        (edge.src_id, edge.dst_id)
        for edge in store.iter_edges(rel_type=RelType.INFERRED_KNOWS)
        if (edge.src_id, edge.dst_id) not in found
    ]
    removed = store.delete_edges(rel_type=RelType.INFERRED_KNOWS, pairs=stale) if stale else 0
    write_edges(store, edges, now=now, batch=batch)
    return len(edges), removed


# -- the legacy formula ---------------------------------------------------------------


@dataclass
class PairStats:
    """Everything observed between two people, from the lower id (a) to the higher (b).

    Kept with :func:`collect_pairs` and :func:`score_pair` for callers of the first
    formula; new code rescores with :func:`tellgraph.scoring.incremental.rescore_pairs`.
    """

    comms: set[str] = field(default_factory=set)
    a_to_b: int = 0
    b_to_a: int = 0
    weight: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    channels: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)

    def add(self, *, comm: Interaction, sender: str | None, a: str, weight: float) -> None:
        """Count one communication once."""
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


def _pair(x: str, y: str) -> tuple[str, str]:
    return (x, y) if x < y else (y, x)


def collect_pairs(interactions: Iterable[Interaction]) -> tuple[dict[tuple[str, str], PairStats], int, datetime | None]:
    """Aggregate pairwise statistics from communications (legacy formula)."""
    pairs: dict[tuple[str, str], PairStats] = {}
    total = 0
    as_of: datetime | None = None
    for comm in interactions:
        total += 1
        as_of = comm.timestamp if as_of is None or comm.timestamp > as_of else as_of
        recipients = sorted({pid for pid, _ in comm.recipients})
        if comm.senders:
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
    """Strength and its components for one pair (legacy formula)."""
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
