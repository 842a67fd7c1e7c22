"""Rescore only the ties that new communications touch.

After an ingest run the pairs in its new communications are the only ones whose
counts changed. :func:`rescore_communications` finds those pairs, reads every
communication of just those pairs (:meth:`GraphStore.interactions_of_pairs`,
which expands each pair from its less connected person), scores them with the
same formula as the full rebuild and writes them back (adding to their monthly history).

``as_of`` defaults to the newest of the communications read, which after an
ingest is the newest in the store, as in a rebuild (asking the store for its
newest communication would scan every one of them in the embedded store); pass
``as_of`` to score against another moment. Ties not touched keep the score (and
the ``as_of``) of their last rebuild until the next
one. Inferred edges are left to the full rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from tellgraph.graph.store import GraphStore
from tellgraph.schema.model import utcnow
from tellgraph.scoring.breakdown import edge_props, score_table
from tellgraph.scoring.config import ScoringConfig
from tellgraph.scoring.contacts import Pair, build_contacts, pair_key
from tellgraph.scoring.derive import FUTURE_SLACK, PhaseClock, ScoreReport, knows_edge, write_edges
from tellgraph.settings import Settings


def _rescore(
    store: GraphStore,
    *,
    pairs: Iterable[Pair],
    settings: Settings,
    config: ScoringConfig | None,
    now: datetime | None,
    as_of: datetime | None,
    clock: PhaseClock,
    batch: int = 5000,
) -> ScoreReport:
    config = config or ScoringConfig.from_settings(settings)
    now = now or utcnow()
    latest = now + FUTURE_SLACK
    wanted = sorted({pair_key(a, b) for a, b in pairs if a != b})
    if not wanted:
        return ScoreReport(communications=0, pairs=0, declared_only=0, as_of=None, seconds=clock.total)
    interactions = store.interactions_of_pairs(pairs=wanted)
    clock.lap("read")
    table, stats = build_contacts(interactions, config=config, latest=latest, only_pairs=wanted)
    if as_of is not None:
        table = table.where(table.ts <= as_of.timestamp())  # what was known at that moment
    as_of = as_of or stats.newest
    if as_of is None or not table.pair_count:
        return ScoreReport(
            communications=stats.communications, pairs=0, declared_only=0, as_of=as_of, seconds=clock.total
        )
    scores, health = score_table(table, as_of=as_of, config=config)
    props_list = edge_props(scores, health, config=config, scored_at=now)
    clock.lap("score")
    edges = [knows_edge(pair, props) for pair, props in zip(table.pairs, props_list, strict=True)]
    write_edges(store, edges, now=now, batch=batch)
    store.flush()
    clock.lap("write")
    return ScoreReport(
        communications=stats.communications,
        pairs=len(edges),
        declared_only=0,
        as_of=as_of,
        seconds=clock.total,
        skipped_bogus_dates=stats.skipped_bogus_dates,
        at_risk=int(health.at_risk.sum()),
        timings=clock.phases,
    )


def rescore_communications(
    store: GraphStore,
    *,
    communication_ids: Sequence[str],
    settings: Settings,
    config: ScoringConfig | None = None,
    now: datetime | None = None,
    as_of: datetime | None = None,
) -> ScoreReport:
    """Rescore every tie the given (new) communications touch.

    Args:
        store: the graph.
        communication_ids: ids of the communications just ingested (unknown ids are ignored).
        settings: ``half_life_days``.
        config: the formula; the default one with the settings' half-life when omitted.
        now: the time of the run.
        as_of: the moment to score at; the newest communication read when omitted.
    """
    clock = PhaseClock()
    config = config or ScoringConfig.from_settings(settings)
    ids = list(dict.fromkeys(communication_ids))
    new = store.find_interactions(comm_ids=ids, limit=max(1, len(ids))) if ids else []
    touched, _ = build_contacts(new, config=config)
    clock.lap("find")
    return _rescore(store, pairs=touched.pairs, settings=settings, config=config, now=now, as_of=as_of, clock=clock)


def rescore_pairs(
    store: GraphStore,
    *,
    settings: Settings,
    pairs: Sequence[tuple[str, str]] = (),
    person_ids: Sequence[str] = (),
    config: ScoringConfig | None = None,
    now: datetime | None = None,
    as_of: datetime | None = None,
) -> ScoreReport:
    """Rescore some ties from all their communications.

    Args:
        store: the graph.
        settings: ``half_life_days``.
        pairs: ties to rescore, as ``(person id, person id)`` in any order.
        person_ids: also every tie among these people that has communications
            (a manually logged meeting rescoring its attendees' ties).
        config: the formula; the default one with the settings' half-life when omitted.
        now: the time of the run.
        as_of: the moment to score at; the newest communication read when omitted.
    """
    clock = PhaseClock()
    config = config or ScoringConfig.from_settings(settings)
    wanted = {pair_key(a, b) for a, b in pairs if a != b}
    people = sorted(set(person_ids))
    if len(people) >= 2:
        among, _ = build_contacts(store.interactions_between(person_ids=people), config=config)
        members = set(people)
        wanted.update(p for p in among.pairs if p[0] in members and p[1] in members)
    clock.lap("find")
    return _rescore(store, pairs=wanted, settings=settings, config=config, now=now, as_of=as_of, clock=clock)
