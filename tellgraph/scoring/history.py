"""Tie strength at any past date, and the monthly history kept on each edge.

:func:`strength_at` recomputes a pair's score from the communications before a
date, with the same formula as the rebuild, so "how strong was this tie in
March?" has an exact answer even for months no rebuild ran in. Every rebuild
also stores its month's snapshot on the edge (``history_2026_11: 0.82``, see
:func:`tellgraph.scoring.breakdown.monthly_history`), which is what timelines
read without touching the communications.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.store import GraphStore
from tellgraph.schema.model import as_utc, identity_key
from tellgraph.scoring.breakdown import ScoreBreakdown, edge_props, score_table
from tellgraph.scoring.config import ScoringConfig
from tellgraph.scoring.contacts import ContactTable, build_contacts, pair_key


def resolve_person(store: GraphStore, value: str) -> str:
    """A person id from an id or an email address; raises :class:`NotFound` for an unknown email."""
    if "@" not in value:
        return value
    key = identity_key("email", value)
    found = store.resolve_identities(keys=[key])
    if key not in found:
        raise NotFound("person", value)
    return found[key]


def _breakdowns(
    table: ContactTable, *, pair: tuple[str, str], dates: Sequence[datetime], config: ScoringConfig
) -> list[ScoreBreakdown]:
    out = []
    for at in dates:
        past = table.before(at)
        if not past.pair_count:
            out.append(ScoreBreakdown.empty(pair, as_of=at, config=config))
            continue
        scores, health = score_table(past, as_of=at, config=config)
        [props] = edge_props(scores, health, config=config, scored_at=at)
        out.append(ScoreBreakdown.from_props(pair, props))
    return out


def strength_series(
    store: GraphStore, *, a: str, b: str, dates: Sequence[datetime], config: ScoringConfig | None = None
) -> list[ScoreBreakdown]:
    """The pair's score at each of ``dates``, each from the communications strictly before it.

    Args:
        store: the graph.
        a: a person id or email address.
        b: another person id or email address.
        dates: the moments to score at (naive datetimes are UTC).
        config: the formula; the default one when omitted.
    """
    config = config or ScoringConfig()
    pair = pair_key(resolve_person(store, a), resolve_person(store, b))
    if pair[0] == pair[1]:
        raise InvalidInput("b", "a tie needs two different people")
    table, _ = build_contacts(store.interactions_of_pairs(pairs=[pair]), config=config, only_pairs=[pair])
    return _breakdowns(table, pair=pair, dates=[as_utc(d) for d in dates], config=config)


def strength_at(
    store: GraphStore, *, a: str, b: str, at: datetime, config: ScoringConfig | None = None
) -> ScoreBreakdown:
    """How strong the tie between ``a`` and ``b`` was at ``at``: the full breakdown and health then.

    Only communications strictly before ``at`` count, and recency is measured at
    ``at``. A pair with no communication before then gets strength 0.
    """
    [breakdown] = strength_series(store, a=a, b=b, dates=[at], config=config)
    return breakdown
