"""Strategy: what went with won deals versus lost ones, and a price range from similar past deals.

Deals are projects with deal fields (``stage``, ``value``, ``currency``,
``outcome``, ``started_at``, ``closed_at``). For each deal the agent measures, from
the graph: the team's strongest tie to the other side's decision-makers (people
on it with a senior title), how many people were involved on each side, how long
the deal ran (closed deals) or has been open (open deals: the graph keeps no stage
history, so time in the current stage is approximated by the time since
``started_at``), and the response rhythm (median hours before the other side
answered the team). Won and lost deals are compared feature by feature; open deals
are checked against what won deals looked like at the same stage, and priced from
the most similar won deals in the same currency.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from tellgraph.agents.base import AgentConfig, AgentReport, iso_week, propose, team_members
from tellgraph.agents.drafting import Drafter
from tellgraph.goals.roles import role_score
from tellgraph.goals.text import STOPWORDS, days_between, words
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, SuggestedAction, action_id
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node
from tellgraph.settings import Settings

AGENT = "strategy"
WON = frozenset({"won", "win", "closed won", "closed-won", "signed", "awarded"})
LOST = frozenset({"lost", "loss", "closed lost", "closed-lost", "declined", "rejected"})
FEATURES = {
    "dm_strength": "team's strongest tie to their decision-makers",
    "people_involved": "people involved",
    "external_people": "people involved on their side",
    "days": "days from start to close (or open so far)",
    "reply_hours": "median hours before they answered us",
    "communications": "communications about the deal",
}


class DealFacts(BaseModel):
    """What the graph says about one deal."""

    id: str
    name: str
    stage: str | None
    outcome: str
    value: float | None
    currency: str | None
    companies: list[str]
    decision_makers: list[str]
    features: dict[str, float | None]
    evidence: list[str]


class Pattern(BaseModel):
    """One feature compared between won and lost deals."""

    feature: str
    description: str
    won_median: float | None
    lost_median: float | None
    won_count: int
    lost_count: int
    explanation: str


class PriceRange(BaseModel):
    """A suggested price range from similar won deals."""

    low: float
    high: float
    currency: str
    based_on: list[str]


class DealAdvice(BaseModel):
    """Advice on one open deal."""

    deal: DealFacts
    risks: list[str]
    strengths: list[str]
    price: PriceRange | None


class StrategyReport(BaseModel):
    """Patterns over closed deals and advice on open ones."""

    patterns: list[Pattern] = Field(default_factory=list)
    advice: list[DealAdvice] = Field(default_factory=list)
    deals: list[DealFacts] = Field(default_factory=list)


def _outcome(node: Node) -> str:
    value = str(node.props.get("outcome") or "").strip().lower()
    if value in WON:
        return "won"
    if value in LOST:
        return "lost"
    return "open"


def deal_facts(
    store: GraphStore, *, project: Node, team_ids: set[str], now: datetime, knows: dict[str, dict[str, float]]
) -> DealFacts:
    """Measure one deal (see the module docstring)."""
    people: dict[str, Node] = {}
    comm_ids: list[str] = []
    for neighbour in store.neighbours(
        label=NodeLabel.PROJECT, node_id=project.id, rel_types=[RelType.WORKED_ON, RelType.ABOUT], limit=2000
    ):
        if neighbour.node.label is NodeLabel.PERSON:
            people[neighbour.node.id] = neighbour.node
        elif neighbour.node.label is NodeLabel.COMMUNICATION:
            comm_ids.append(neighbour.node.id)
    interactions = store.find_interactions(comm_ids=comm_ids, limit=5000) if comm_ids else []
    involved_ids = {p for i in interactions for p in [*i.senders, *(r for r, _ in i.recipients), *i.participants]}
    missing = sorted(involved_ids - set(people))
    people.update({n.id: n for n in store.get_nodes(label=NodeLabel.PERSON, ids=missing)})
    external = {pid: n for pid, n in people.items() if pid not in team_ids}
    companies: set[str] = set()
    decision_makers = []
    for pid, node in sorted(external.items()):
        title = node.props.get("title")
        for neighbour in store.neighbours(label=NodeLabel.PERSON, node_id=pid, rel_types=[RelType.WORKS_AT], limit=3):
            companies.add(neighbour.node.name or neighbour.node.id)
            title = title or neighbour.edge.props.get("title")
        if role_score(title).decision_maker:
            decision_makers.append(pid)
    strengths = [knows.get(member, {}).get(dm, 0.0) for dm in decision_makers for member in team_ids]
    # Response rhythm: for each team message, hours until the other side next wrote in the deal's threads.
    ordered = sorted(interactions, key=lambda i: (i.timestamp, i.id))
    waits = []
    for index, message in enumerate(ordered):
        if not set(message.senders) & team_ids:
            continue
        reply = next((m for m in ordered[index + 1 :] if set(m.senders) - team_ids), None)
        if reply is not None:
            waits.append((reply.timestamp - message.timestamp).total_seconds() / 3600)
    started, closed = project.props.get("started_at"), project.props.get("closed_at")
    outcome = _outcome(project)
    end = closed if isinstance(closed, datetime) and outcome != "open" else now
    days = float(days_between(end, started)) if isinstance(started, datetime) else None
    features: dict[str, float | None] = {
        "dm_strength": round(max(strengths), 4) if strengths else (0.0 if decision_makers else None),
        "people_involved": float(len(people)),
        "external_people": float(len(external)),
        "days": days,
        "reply_hours": round(statistics.median(waits), 1) if waits else None,
        "communications": float(len(interactions)),
    }
    evidence = [f"{len(people)} people involved ({len(external)} on their side), {len(interactions)} communications"]
    if decision_makers:
        names = ", ".join(external[d].name or d for d in decision_makers[:3])
        evidence.append(f"decision-makers: {names}; strongest team tie {features['dm_strength']}")
    value = project.props.get("value")
    return DealFacts(
        id=project.id,
        name=project.name or project.id,
        stage=project.props.get("stage"),
        outcome=outcome,
        value=float(value) if isinstance(value, int | float) else None,
        currency=project.props.get("currency"),
        companies=sorted(companies),
        decision_makers=decision_makers,
        features=features,
        evidence=evidence,
    )


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 4) if present else None


def patterns(deals: Sequence[DealFacts]) -> list[Pattern]:
    """Each feature's median over won deals against lost deals."""
    won = [d for d in deals if d.outcome == "won"]
    lost = [d for d in deals if d.outcome == "lost"]
    found = []
    for feature, description in FEATURES.items():
        w = _median([d.features.get(feature) for d in won])
        lo = _median([d.features.get(feature) for d in lost])
        if w is None and lo is None:
            continue
        if w is not None and lo is not None:
            direction = "higher" if w > lo else "lower" if w < lo else "the same"
            explanation = f"won deals: {description} {w:g} (median of {len(won)}), {direction} than lost deals ({lo:g})"
        else:
            explanation = f"{description}: won {w if w is not None else 'n/a'}, lost {lo if lo is not None else 'n/a'}"
        found.append(
            Pattern(
                feature=feature,
                description=description,
                won_median=w,
                lost_median=lo,
                won_count=len(won),
                lost_count=len(lost),
                explanation=explanation,
            )
        )
    return found


def _similarity(a: DealFacts, b: DealFacts) -> float:
    wa = {w for w in words(a.name) if w not in STOPWORDS and len(w) > 2}
    wb = {w for w in words(b.name) if w not in STOPWORDS and len(w) > 2}
    text = len(wa & wb) / len(wa | wb) if wa | wb else 0.0
    company = 1.0 if set(a.companies) & set(b.companies) else 0.0
    size = 0.0
    pa, pb = a.features.get("people_involved"), b.features.get("people_involved")
    if pa and pb:
        size = min(pa, pb) / max(pa, pb)
    return round(0.5 * text + 0.3 * company + 0.2 * size, 4)


def price_range(deal: DealFacts, history: Sequence[DealFacts], *, top: int = 5) -> PriceRange | None:
    """The value range of the most similar won deals in the same currency (interquartile with 4 or more)."""
    similar = sorted(
        (
            (_similarity(deal, d), d)
            for d in history
            if d.outcome == "won" and d.value is not None and d.currency and d.currency == (deal.currency or d.currency)
        ),
        key=lambda item: (-item[0], item[1].id),
    )[:top]
    if not similar:
        return None
    values = sorted(d.value for _, d in similar if d.value is not None)
    if len(values) >= 4:
        quartiles = statistics.quantiles(values, n=4)
        low, high = quartiles[0], quartiles[2]
    else:
        low, high = values[0], values[-1]
    currency = similar[0][1].currency or ""
    return PriceRange(
        low=round(low, 2),
        high=round(high, 2),
        currency=currency,
        based_on=[f"{d.name}: {d.value:,.0f} {d.currency} (won, similarity {s:.2f})" for s, d in similar],
    )


def analyse(store: GraphStore, *, team_ids: set[str], now: datetime) -> StrategyReport:
    """Facts for every deal, patterns over closed ones and advice for open ones."""
    knows: dict[str, dict[str, float]] = defaultdict(dict)
    for member in team_ids:
        for n in store.neighbours(label=NodeLabel.PERSON, node_id=member, rel_types=[RelType.KNOWS], limit=5000):
            knows[member][n.node.id] = float(n.edge.props.get("strength") or 0.0)
    deals = []
    after: str | None = None
    while True:
        page = store.list_nodes(label=NodeLabel.PROJECT, after=after, limit=1000)
        for project in page:
            if any(project.props.get(k) is not None for k in ("stage", "value", "outcome")):
                deals.append(deal_facts(store, project=project, team_ids=team_ids, now=now, knows=knows))
        if len(page) < 1000:
            break
        after = page[-1].id
    found = patterns(deals)
    closed = [d for d in deals if d.outcome != "open"]
    advice = []
    for deal in (d for d in deals if d.outcome == "open"):
        same_stage = [d for d in closed if d.outcome == "won" and d.stage and d.stage == deal.stage] or [
            d for d in closed if d.outcome == "won"
        ]
        risks: list[str] = []
        strengths: list[str] = []
        for pattern in found:
            mine = deal.features.get(pattern.feature)
            won_here = _median([d.features.get(pattern.feature) for d in same_stage])
            if mine is None or won_here is None or pattern.lost_median is None or pattern.won_median is None:
                continue
            if pattern.won_median == pattern.lost_median:
                continue
            closer_to_won = abs(mine - pattern.won_median) <= abs(mine - pattern.lost_median)
            line = f"{pattern.description}: {mine:g} (won deals {pattern.won_median:g}, lost {pattern.lost_median:g})"
            (strengths if closer_to_won else risks).append(line)
        advice.append(DealAdvice(deal=deal, risks=risks, strengths=strengths, price=price_range(deal, closed)))
    return StrategyReport(patterns=found, advice=advice, deals=deals)


def run(
    store: GraphStore, *, now: datetime, settings: Settings, config: AgentConfig, drafter: Drafter | None = None
) -> AgentReport:
    """Propose one internal insight per open deal: risks, strengths and a price range, with evidence."""
    report = AgentReport(agent=AGENT)
    team_ids = {p.id for p in team_members(store, settings=settings)}
    result = analyse(store, team_ids=team_ids, now=now)
    report.notes.append(f"{len(result.deals)} deals, {sum(d.outcome != 'open' for d in result.deals)} closed")
    report.notes += [p.explanation for p in result.patterns]
    period = iso_week(now)
    actions = []
    for item in result.advice:
        lines = [f"Deal: {item.deal.name} (stage {item.deal.stage or 'unknown'})"]
        lines += [f"Risk: {r}" for r in item.risks] + [f"Strength: {s}" for s in item.strengths]
        if item.price:
            lines.append(f"Suggested price range: {item.price.low:,.0f}-{item.price.high:,.0f} {item.price.currency}")
            lines += [f"  based on {b}" for b in item.price.based_on]
        actions.append(
            SuggestedAction(
                id=action_id(AGENT, "deal_insight", item.deal.id, period),
                kind="deal_insight",
                agent=AGENT,
                channel=ActionChannel.INTERNAL,
                period=period,
                title=f"Deal insight: {item.deal.name}",
                target_ids=[item.deal.id],
                draft="\n".join(lines),
                reasons=item.risks[:3] or ["no risk pattern found"],
                evidence=[*item.deal.evidence, *(item.price.based_on if item.price else [])],
                priority=round(0.3 + 0.1 * len(item.risks), 4),
            )
        )
    propose(store, actions=actions, now=now, report=report)
    return report
