"""Warm introduction paths: ranked, explained, de-duplicated, wary of stale and unhappy ties.

The store enumerates simple paths scored by the product of tie strengths. This
service re-scores them with a policy (a tie not used for longer than the
horizon, or with negative sentiment, counts for less), collapses near-duplicates
and explains each path in words.

Near-duplicates: two paths are the same *introduction* when they pass through
the same set of intermediaries, whatever their order and whichever end they
start or finish at. ``Maya → Daniel → Omar`` and ``Tom → Daniel → Omar`` both
mean "ask Daniel"; ``Maya → Daniel → Hana → Omar`` and ``Maya → Hana → Daniel →
Omar`` both mean "ask Daniel and Hana"; for a company, ``Maya → Daniel → Omar``
and ``Maya → Daniel → Hana`` both mean "ask Daniel into the AFC". The best one
is kept and counts the others in ``collapsed``. Direct ties (no intermediary) are
never collapsed.

Exactness: penalties only lower scores, so a path the store did not return
(its raw score is below the last one returned) cannot beat one we kept if the
kept one's adjusted score is at least that raw score. When that cannot be shown
the search is repeated with the largest candidate pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from tellgraph.graph.store import MAX_PATHS, GraphPath, GraphStore, PathHop, check_path_args, path_sort_key
from tellgraph.schema.model import Node
from tellgraph.services.people import IntroTarget, resolve_intro_ends


@dataclass(frozen=True)
class IntroPolicy:
    """How to discount ties when ranking introductions.

    Attributes:
        stale_after_days: a tie whose last interaction is older than this (before the newest
            communication in the graph) is stale.
        stale_factor: what a stale tie's strength is multiplied by.
        negative_below: a tie whose sentiment is below this is negative.
        negative_factor: what a negative tie's strength is multiplied by (0 avoids it).
    """

    stale_after_days: float = 180.0
    stale_factor: float = 0.5
    negative_below: float = -0.2
    negative_factor: float = 0.3


class ScoredHop(BaseModel):
    """One tie on a path and how the policy judged it."""

    hop: PathHop
    stale: bool
    negative: bool
    factor: float
    days_since: float | None


class IntroPath(BaseModel):
    """A ranked introduction path."""

    path: GraphPath
    score: float
    hops: list[ScoredHop]
    collapsed: int = 0
    explanation: str = ""
    warnings: list[str] = []

    @property
    def intermediaries(self) -> list[str]:
        """The people between the team member and the target."""
        return self.path.node_ids[1:-1]


class IntroPlan(BaseModel):
    """The best introductions to a target and every person on them."""

    target: IntroTarget
    team: list[Node]
    paths: list[IntroPath]
    nodes: dict[str, Node]
    as_of: datetime | None
    candidates: int


def score_hop(hop: PathHop, *, as_of: datetime | None, policy: IntroPolicy) -> ScoredHop:
    """Judge one tie: is it stale, is it unhappy, what factor applies."""
    days_since = None
    stale = False
    if as_of is not None and hop.last_interaction is not None:
        days_since = max(0.0, (as_of - hop.last_interaction).total_seconds() / 86400.0)
        stale = days_since > policy.stale_after_days
    sentiment = hop.props.get("sentiment")
    negative = isinstance(sentiment, int | float) and sentiment < policy.negative_below
    factor = (policy.stale_factor if stale else 1.0) * (policy.negative_factor if negative else 1.0)
    return ScoredHop(hop=hop, stale=stale, negative=negative, factor=factor, days_since=days_since)


def _collapse_key(path: GraphPath) -> tuple[str, ...]:
    middle = path.node_ids[1:-1]
    if not middle:
        return ("direct", path.node_ids[0], path.node_ids[-1])
    return ("via", *sorted(middle))


def rank_paths(
    candidates: list[GraphPath], *, as_of: datetime | None, policy: IntroPolicy, first: int
) -> list[IntroPath]:
    """Re-score, order best first and collapse near-duplicates; at most ``first``."""
    scored = []
    for path in candidates:
        hops = [score_hop(h, as_of=as_of, policy=policy) for h in path.hops]
        factor = 1.0
        for hop in hops:
            factor *= hop.factor
        scored.append(IntroPath(path=path, score=path.score * factor, hops=hops))
    scored.sort(key=lambda p: (-round(p.score, 12), *path_sort_key(p.path)[1:]))
    kept: dict[tuple[str, ...], IntroPath] = {}
    for item in scored:
        key = _collapse_key(item.path)
        if key in kept:
            kept[key].collapsed += 1
        else:
            kept[key] = item
    return list(kept.values())[:first]


def _strength_words(strength: float) -> str:
    if strength >= 0.7:
        return "well"
    if strength >= 0.4:
        return "fairly well"
    return "a little"


def _tie(hop: ScoredHop) -> str:
    parts = [f"strength {hop.hop.strength:.2f}"]
    if hop.hop.last_interaction is not None:
        parts.append(f"last in touch {hop.hop.last_interaction.date().isoformat()}")
    return ", ".join(parts)


def explain(item: IntroPath, nodes: dict[str, Node]) -> tuple[str, list[str]]:
    """The path in words, and warnings about the ties it relies on."""
    names = [(nodes[i].name if i in nodes else None) or i for i in item.path.node_ids]
    first = item.hops[0]
    text = f"{names[0]} knows {names[1]} {_strength_words(first.hop.strength)} ({_tie(first)})"
    if len(item.hops) == 1:
        text += ": a direct tie, no introduction needed."
    else:
        for i, hop in enumerate(item.hops[1:], start=2):
            text += f", who knows {names[i]} {_strength_words(hop.hop.strength)} ({_tie(hop)})"
        helpers = " and ".join(names[1:-1])
        text += f". Ask {helpers} to introduce {names[0]} to {names[-1]}."
    if item.collapsed:
        text += f" ({item.collapsed} similar path{'s' if item.collapsed > 1 else ''} through the same people.)"
    warnings = []
    for i, hop in enumerate(item.hops):
        pair = f"{names[i]}–{names[i + 1]}"
        if hop.stale and hop.days_since is not None:
            warnings.append(f"The {pair} tie is stale: last in touch {hop.days_since:.0f} days before the newest data.")
        if hop.negative:
            warnings.append(f"The {pair} tie has negative sentiment ({float(hop.hop.props['sentiment']):.2f}).")
    if warnings:
        text += " " + " ".join(warnings)
    return text, warnings


def find_intro_paths(
    store: GraphStore,
    *,
    sources: list[str],
    target: str,
    max_hops: int = 3,
    first: int = 5,
    policy: IntroPolicy | None = None,
    min_strength: float = 0.0,
    as_of: Callable[[], datetime | None] | None = None,
) -> IntroPlan:
    """The best warm introductions from the team to a person or to anyone currently at a company.

    Args:
        store: the graph.
        sources: the team, as emails or person ids.
        target: a person (email or id) or a company (domain or id).
        max_hops: the longest path considered (1-6).
        first: how many introductions to return (1-100).
        policy: how stale and negative ties are discounted.
        min_strength: ties weaker than this are never used.
        as_of: gives the newest communication's time (staleness is measured from it); by default
            the store is asked. The API passes a cached value: it only changes when data is ingested.

    Raises:
        InvalidInput: bad bounds or references.
        NotFound: a team member or the target does not exist.
    """
    check_path_args(max_hops=max_hops, k=first)
    team, goal = resolve_intro_ends(store, team=sources, target=target)
    return plan_intro_paths(
        store,
        team=team,
        goal=goal,
        max_hops=max_hops,
        first=first,
        policy=policy,
        min_strength=min_strength,
        as_of=as_of,
    )


def plan_intro_paths(
    store: GraphStore,
    *,
    team: list[Node],
    goal: IntroTarget,
    max_hops: int = 3,
    first: int = 5,
    policy: IntroPolicy | None = None,
    min_strength: float = 0.0,
    as_of: Callable[[], datetime | None] | None = None,
) -> IntroPlan:
    """:func:`find_intro_paths` for a team and a target already resolved."""
    check_path_args(max_hops=max_hops, k=first)
    policy = policy or IntroPolicy()
    team_ids = [p.id for p in team]
    target_ids = [p.id for p in goal.people if p.id not in set(team_ids)]
    newest = as_of() if as_of is not None else store.latest_communication()
    pool = min(MAX_PATHS, max(4 * first, first + 20))
    ranked: list[IntroPath] = []
    candidates: list[GraphPath] = []
    while target_ids:
        candidates = store.k_best_paths(
            sources=team_ids,
            targets=target_ids,
            max_hops=max_hops,
            k=pool,
            min_strength=min_strength,
            with_nodes=True,
        )
        ranked = rank_paths(candidates, as_of=newest, policy=policy, first=first)
        exhausted = len(candidates) < pool or pool >= MAX_PATHS
        floor = candidates[-1].score if candidates else 0.0
        if exhausted or (len(ranked) >= first and ranked[-1].score >= floor):
            break
        pool = MAX_PATHS
    nodes = {n.id: n for item in ranked for n in item.path.nodes}
    nodes.update((n.id, n) for n in [*team, *goal.people] if n.id in nodes)
    for item in ranked:
        item.explanation, item.warnings = explain(item, nodes)
    return IntroPlan(target=goal, team=team, paths=ranked, nodes=nodes, as_of=newest, candidates=len(candidates))


def horizon(as_of: datetime | None, policy: IntroPolicy) -> datetime | None:
    """The date before which a tie counts as stale."""
    return as_of - timedelta(days=policy.stale_after_days) if as_of else None
