"""Relationship maintenance: find team ties that are due or at risk and draft a touchpoint.

A tie is due when scoring says so (``next_contact_due`` passed, or ``at_risk``
with its ``risk_reasons``); where scoring has not written those yet, when the
silence is longer than the pair's usual rhythm (twice their mean gap between
contacts, at least ``default_cadence_days``). Each touchpoint's draft uses the
last topic and recent action items between the two people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tellgraph.agents.base import AgentConfig, AgentReport, iso_week, propose, team_members
from tellgraph.agents.context import first_email, pair_context
from tellgraph.agents.drafting import DraftContext, Drafter, TemplateDrafter, first_name
from tellgraph.goals.models import PersonRef
from tellgraph.goals.text import days_between, short_date
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, SuggestedAction, action_id
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node
from tellgraph.settings import Settings

AGENT = "relationship"


@dataclass
class DueTie:
    """A tie that needs attention, and why."""

    member: PersonRef
    other: Node
    strength: float
    reasons: list[str]
    overdue_days: int
    at_risk: bool
    priority: float


def due_reasons(props: dict[str, object], *, now: datetime, config: AgentConfig) -> tuple[list[str], int, bool]:
    """Why a tie needs a touchpoint now (empty when it does not), days overdue, and whether it is at risk."""
    reasons: list[str] = []
    overdue = 0
    at_risk = bool(props.get("at_risk"))
    if at_risk:
        risk = [str(r) for r in props.get("risk_reasons") or []]  # type: ignore[attr-defined]
        reasons.append("at risk" + (f": {'; '.join(risk)}" if risk else ""))
    due = props.get("next_contact_due")
    last = props.get("last_interaction")
    if isinstance(due, datetime):
        if due <= now:
            overdue = days_between(now, due)
            reasons.append(f"contact was due on {short_date(due)}")
    elif isinstance(last, datetime):
        first = props.get("first_interaction")
        count = int(props.get("interaction_count") or 0)  # type: ignore[call-overload]
        mean_gap = days_between(last, first) / max(count - 1, 1) if isinstance(first, datetime) and count > 1 else None
        cadence = max(config.default_cadence_days, int(2 * mean_gap) if mean_gap else 0)
        silent = days_between(now, last)
        if silent >= cadence:
            overdue = silent - cadence
            rhythm = f", against a usual gap of {mean_gap:.0f} days" if mean_gap else ""
            reasons.append(f"no contact for {silent} days{rhythm}")
    trend = props.get("trend") or props.get("sentiment_trend")
    if reasons and isinstance(trend, str) and trend in {"cooling", "declining", "falling", "down"}:
        reasons.append(f"trend {trend}")
    return reasons, overdue, at_risk


def find_due_ties(store: GraphStore, *, team: list[PersonRef], now: datetime, config: AgentConfig) -> list[DueTie]:
    """Every team tie at or above ``min_strength`` that is due, one per outside person (the strongest), ranked."""
    team_ids = {p.id for p in team}
    best: dict[str, DueTie] = {}
    for member in team:
        for neighbour in store.neighbours(
            label=NodeLabel.PERSON,
            node_id=member.id,
            rel_types=[RelType.KNOWS],
            limit=5000,
            min_strength=config.min_strength,
        ):
            other = neighbour.node
            if other.id in team_ids:
                continue
            props = neighbour.edge.props
            reasons, overdue, at_risk = due_reasons(props, now=now, config=config)
            if not reasons:
                continue
            strength = float(props.get("strength") or 0.0)
            priority = round(strength * (1 + min(overdue, 90) / 90) + (0.2 if at_risk else 0.0), 4)
            tie = DueTie(
                member=member,
                other=other,
                strength=strength,
                reasons=reasons,
                overdue_days=overdue,
                at_risk=at_risk,
                priority=priority,
            )
            current = best.get(other.id)
            if current is None or (tie.strength, tie.member.id) > (current.strength, current.member.id):
                best[other.id] = tie
    return sorted(best.values(), key=lambda t: (-t.priority, t.other.id))


def run(
    store: GraphStore, *, now: datetime, settings: Settings, config: AgentConfig, drafter: Drafter | None = None
) -> AgentReport:
    """Propose touchpoints for the most urgent due ties (at most ``max_touchpoints``)."""
    report = AgentReport(agent=AGENT)
    drafter = drafter or TemplateDrafter()
    team = team_members(store, settings=settings)
    if not team:
        report.notes.append("no team members known: flag people with is_team, create a goal or set owner_email")
        return report
    period = iso_week(now)
    actions = []
    for tie in find_due_ties(store, team=team, now=now, config=config)[: config.max_touchpoints]:
        context = pair_context(store, a=tie.member.id, b=tie.other.id, now=now)
        email = first_email(tie.other)
        other_name = tie.other.name or email or tie.other.id
        draft = drafter.draft(
            DraftContext(
                kind="touchpoint",
                sender_name=tie.member.name,
                recipient_name=other_name,
                recipient_first_name=first_name(tie.other.name),
                last_subject=context.last_subject,
                last_contact=short_date(context.last_contact) if context.last_contact else None,
                open_items=context.open_items,
                reason="; ".join(tie.reasons),
            )
        )
        actions.append(
            SuggestedAction(
                id=action_id(AGENT, "touchpoint", tie.other.id, period),
                kind="touchpoint",
                agent=AGENT,
                channel=ActionChannel.EMAIL if email else ActionChannel.INTERNAL,
                period=period,
                title=f"{tie.member.label}: touch base with {other_name}",
                target_ids=[tie.other.id],
                actor_id=tie.member.id,
                recipients=[email] if email else [],
                subject=draft.subject,
                draft=draft.body,
                reasons=tie.reasons,
                evidence=[
                    f"{tie.member.label} – {other_name}: strength {tie.strength:.2f}, "
                    f"{context.communications} shared communications, last {short_date(context.last_contact)}",
                    *([f"last topic: {context.last_subject}"] if context.last_subject else []),
                    *[f"recent action item: {item}" for item in context.open_items[:3]],
                ],
                priority=tie.priority,
            )
        )
    propose(store, actions=actions, now=now, report=report)
    return report
