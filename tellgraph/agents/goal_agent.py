"""The goal agent: recompute every active goal's map, snapshot it, flag what changed, propose next steps.

Each next step of the map becomes an action (an intro request to the connector, a
follow-up on a stalled thread, a reconnect touchpoint...). Stalls and gaps that
are new since the previous snapshot are flagged in the report and ranked higher.
"""

from __future__ import annotations

from datetime import datetime

from tellgraph.agents.base import AgentConfig, AgentReport, iso_week, propose
from tellgraph.agents.drafting import DraftContext, Drafter, TemplateDrafter, first_name
from tellgraph.goals.embedding import Embedder
from tellgraph.goals.map import GoalMapOptions, goal_map
from tellgraph.goals.models import GoalMap, NextStep
from tellgraph.goals.snapshots import record_snapshot
from tellgraph.goals.text import short_date
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, SuggestedAction, action_id
from tellgraph.schema.labels import NodeLabel
from tellgraph.settings import Settings

AGENT = "goal"
NEW_BOOST = 0.2


def _email_of(store: GraphStore, person_id: str) -> str | None:
    nodes = store.get_nodes(label=NodeLabel.PERSON, ids=[person_id])
    emails = nodes[0].props.get("emails") if nodes else None
    return str(emails[0]) if emails else None


def action_for_step(
    store: GraphStore, *, gmap: GoalMap, step: NextStep, now: datetime, drafter: Drafter
) -> SuggestedAction:
    """The action that carries out one next step of a goal map."""
    goal = gmap.goal.goal
    period = iso_week(now)
    stall = next((s for s in gmap.stalls if step.key.endswith(s.key)), None)
    # Gap keys are "<kind>:<person or target id>[:<team member>]".
    is_new = (stall is not None and stall.new) or any(
        g.split(":")[1] == step.contact.id for g in gmap.changes.new_gaps if g.count(":") >= 1
    )
    priority = round(step.priority + (NEW_BOOST if is_new else 0.0), 4)
    sender = step.actor.name if step.actor else None
    kind, channel, recipients, subject, body = step.kind, ActionChannel.INTERNAL, [], None, None
    if step.kind == "intro" and step.via is not None:
        kind = "intro_request"
        email = _email_of(store, step.via.id)
        draft = drafter.draft(
            DraftContext(
                kind="intro_request",
                sender_name=sender,
                recipient_name=step.via.name,
                recipient_first_name=first_name(step.via.name),
                about_name=step.contact.label,
                reason=f'It concerns our work on "{goal.name}".',
                facts=[f'"{goal.name}"'],
            )
        )
        channel = ActionChannel.EMAIL if email else ActionChannel.INTERNAL
        recipients, subject, body = ([email] if email else []), draft.subject, draft.body
    elif step.kind == "follow_up" and stall is not None:
        email = _email_of(store, step.contact.id)
        draft = drafter.draft(
            DraftContext(
                kind="follow_up",
                sender_name=sender,
                recipient_name=step.contact.name,
                recipient_first_name=first_name(step.contact.name),
                last_subject=stall.subject,
                last_contact=short_date(stall.first_unanswered_at),
            )
        )
        channel = ActionChannel.EMAIL if email else ActionChannel.INTERNAL
        recipients, subject, body = ([email] if email else []), draft.subject, draft.body
    elif step.kind == "reconnect":
        kind = "touchpoint"
        email = _email_of(store, step.contact.id)
        draft = drafter.draft(
            DraftContext(
                kind="touchpoint",
                sender_name=sender,
                recipient_name=step.contact.name,
                recipient_first_name=first_name(step.contact.name),
            )
        )
        channel = ActionChannel.EMAIL if email else ActionChannel.INTERNAL
        recipients, subject, body = ([email] if email else []), draft.subject, draft.body
    else:
        body = f"{step.why}\nWhy now: {step.why_now}"
    who = step.actor.label if step.actor else "The team"
    through = f" through {step.via.label}" if step.via and step.kind == "intro" else ""
    return SuggestedAction(
        id=action_id(AGENT, kind, f"{goal.id}:{step.contact.id}", period),
        kind=kind,
        agent=AGENT,
        channel=channel,
        period=period,
        title=f"{who}: {step.kind.replace('_', ' ')} {step.contact.label}{through} ({goal.name})",
        target_ids=[step.contact.id, *([step.via.id] if step.via else [])],
        goal_id=goal.id,
        actor_id=step.actor.id if step.actor else None,
        via_id=step.via.id if step.via else None,
        recipients=recipients,
        subject=subject,
        draft=body,
        reasons=[step.why, f"why now: {step.why_now}", *(["new since the last run"] if is_new else [])],
        evidence=step.evidence,
        priority=priority,
    )


def run(
    store: GraphStore,
    *,
    now: datetime,
    settings: Settings,
    config: AgentConfig,
    drafter: Drafter | None = None,
    embedder: Embedder | None = None,
    options: GoalMapOptions | None = None,
) -> AgentReport:
    """Map, snapshot and act on every active goal."""
    report = AgentReport(agent=AGENT)
    drafter = drafter or TemplateDrafter()
    actions: list[SuggestedAction] = []
    after: str | None = None
    while True:
        page = store.list_nodes(label=NodeLabel.GOAL, after=after, limit=200)
        for node in page:
            if node.props.get("status", "active") != "active":
                continue
            gmap = goal_map(store, goal_id=node.id, now=now, options=options, embedder=embedder)
            record_snapshot(store, goal_map=gmap)
            name = gmap.goal.goal.name
            report.notes.append(
                f"{name}: coverage {gmap.coverage.ratio:.0%}, {len(gmap.gaps)} gaps, {len(gmap.stalls)} stalls, "
                f"momentum {gmap.momentum.trend}"
            )
            report.notes += [f"{name}: new stall '{s.subject}'" for s in gmap.stalls if s.new]
            report.notes += [f"{name}: new gap {g}" for g in gmap.changes.new_gaps]
            for step in gmap.next_steps[: config.max_goal_actions]:
                actions.append(action_for_step(store, gmap=gmap, step=step, now=now, drafter=drafter))
        if len(page) < 200:
            break
        after = page[-1].id
    propose(store, actions=actions, now=now, report=report)
    return report
