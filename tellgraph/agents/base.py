"""What every agent shares: its configuration, report, team and how proposals are stored.

Agents are deterministic under the injected clock ``now``: the same graph and the
same ``now`` give the same actions with the same ids
(:func:`tellgraph.schema.actions.action_id` of agent, kind, target and period), so
a repeated run proposes nothing twice. A proposal that already exists is refreshed
only while it is still ``proposed`` and unedited; decided ones are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from tellgraph.goals.models import PersonRef
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionStatus, SuggestedAction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, identity_key
from tellgraph.services import audit
from tellgraph.settings import Settings

_TARGET_LABELS = (
    NodeLabel.PERSON,
    NodeLabel.COMPANY,
    NodeLabel.PROJECT,
    NodeLabel.EVENT,
    NodeLabel.GOAL,
    NodeLabel.COMMUNICATION,
    NodeLabel.SIGNAL,
)


class AgentConfig(BaseModel):
    """What agents read and how much they propose per run."""

    feeds: list[str] = Field(default_factory=list)
    """RSS/Atom feed URLs for the research agent."""
    pages: list[str] = Field(default_factory=list)
    """Announcement page URLs (HTML) for the research agent."""
    max_touchpoints: int = Field(default=10, ge=0, le=200)
    min_strength: float = Field(default=0.3, ge=0.0, le=1.0)
    """Ties weaker than this are not worth a maintenance touchpoint."""
    default_cadence_days: int = Field(default=45, ge=1)
    """Contact gap after which a tie without ``next_contact_due`` is due."""
    brief_horizon_days: int = Field(default=7, ge=1, le=60)
    max_goal_actions: int = Field(default=5, ge=0, le=50)
    fetch_timeout: float = Field(default=15.0, gt=0)


class AgentReport(BaseModel):
    """What one agent did in a run."""

    agent: str
    proposed: list[str] = Field(default_factory=list)
    """Ids of actions created in this run."""
    refreshed: list[str] = Field(default_factory=list)
    """Ids of still-proposed actions whose content was updated."""
    unchanged: list[str] = Field(default_factory=list)
    """Ids of actions already proposed or decided (left as they were)."""
    signals: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)


def iso_week(now: datetime) -> str:
    """The period most agents dedupe on: ``2026-W46``."""
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def team_members(store: GraphStore, *, settings: Settings | None = None, extra: Sequence[str] = ()) -> list[PersonRef]:
    """The team: people flagged ``is_team``, members and owners of goals, and the configured owner.

    Ordered by id. ``extra`` adds person ids.
    """
    ids: set[str] = set(extra)
    ids.update(n.id for n in store.find_nodes(label=NodeLabel.PERSON, prop="is_team", value=True, limit=1000))
    after: str | None = None
    while True:
        goals = store.list_nodes(label=NodeLabel.GOAL, after=after, limit=200)
        for goal in goals:
            for neighbour in store.neighbours(
                label=NodeLabel.GOAL, node_id=goal.id, rel_types=[RelType.MEMBER_OF, RelType.OWNS], limit=200
            ):
                if neighbour.node.label is NodeLabel.PERSON:
                    ids.add(neighbour.node.id)
        if len(goals) < 200:
            break
        after = goals[-1].id
    if settings is not None and settings.owner_email:
        key = identity_key("email", settings.owner_email)
        found = store.resolve_identities(keys=[key]).get(key)
        if found:
            ids.add(found)
    nodes = store.get_nodes(label=NodeLabel.PERSON, ids=sorted(ids))
    return [PersonRef.from_node(n) for n in nodes]


def propose(store: GraphStore, *, actions: Sequence[SuggestedAction], now: datetime, report: AgentReport) -> None:
    """Store new proposals with ``CONCERNS`` edges to their targets; leave decided ones alone."""
    if not actions:
        return
    unique = {a.id: a for a in actions}
    existing = {n.id: n.as_entity() for n in store.get_nodes(label=NodeLabel.SUGGESTED_ACTION, ids=sorted(unique))}
    writes: list[SuggestedAction] = []
    for action_id_, action in sorted(unique.items()):
        current = existing.get(action_id_)
        if current is None:
            writes.append(action.model_copy(update={"proposed_at": now, "status": ActionStatus.PROPOSED}))
            report.proposed.append(action_id_)
        elif isinstance(current, SuggestedAction) and current.status is ActionStatus.PROPOSED and not current.edited:
            refreshed = action.model_copy(update={"proposed_at": current.proposed_at, "status": ActionStatus.PROPOSED})
            if refreshed.model_dump(exclude={"proposed_at"}) != current.model_dump(exclude={"proposed_at"}):
                writes.append(refreshed)
                report.refreshed.append(action_id_)
            else:
                report.unchanged.append(action_id_)
        else:
            report.unchanged.append(action_id_)
    if not writes:
        return
    targets = sorted({t for a in writes for t in [*a.target_ids, *([a.goal_id] if a.goal_id else [])]})
    labels: dict[str, NodeLabel] = {}
    for label in _TARGET_LABELS:
        for found in store.existing_ids(label=label, ids=[t for t in targets if t not in labels]):
            labels[found] = label
    edges = [
        Edge(
            type=RelType.CONCERNS,
            src_label=NodeLabel.SUGGESTED_ACTION,
            src_id=a.id,
            dst_label=labels[t],
            dst_id=t,
            props={"role": "goal" if t == a.goal_id else "target"},
            provenance=[a.agent],
        )
        for a in writes
        for t in dict.fromkeys([*a.target_ids, *([a.goal_id] if a.goal_id else [])])
        if t in labels
    ]
    store.write_batch(entities=writes, edges=edges, now=now)
    # One audit entry per agent and batch of proposals (ids and counts only; titles and drafts name people).
    # Not linked to the actions, so an action's own trail stays its decisions.
    by_agent: dict[str, list[str]] = {}
    for a in writes:
        by_agent.setdefault(a.agent, []).append(a.id)
    audit.record_many(
        store,
        entries=[
            audit.audit_entry(
                action="agent.propose",
                actor=f"agent:{agent}",
                subject_ids=ids,
                details={
                    "proposed": sum(1 for i in ids if i in report.proposed),
                    "refreshed": sum(1 for i in ids if i in report.refreshed),
                },
                now=now,
            )
            for agent, ids in sorted(by_agent.items())
        ],
    )
    store.flush()
