"""Coordination: meeting briefings, post-meeting outcomes, and routing intro requests.

- :func:`meeting_brief` / :func:`run`: for an upcoming event the team attends, who
  else is there, the relationship history with each, open items, mutual
  connections and talking points. Internal: nothing leaves the system.
- :func:`capture_meeting_outcome`: decisions and action items from a transcript,
  written to the graph (the communication's ``action_items`` and one action per
  item) with a drafted follow-up email that waits for approval.
- :func:`route_intro_request`: the best connector to someone and a double-opt-in
  intro request to that connector, drafted for approval.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from tellgraph.agents.base import AgentConfig, AgentReport, propose, team_members
from tellgraph.agents.context import first_email, pair_context, works_at
from tellgraph.agents.drafting import DraftContext, Drafter, TemplateDrafter, first_name
from tellgraph.errors import InvalidInput, NotFound
from tellgraph.goals.models import PersonRef
from tellgraph.goals.roles import role_score
from tellgraph.goals.text import fold, short_date
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, SuggestedAction, action_id
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Communication, Node, stable_id
from tellgraph.services.people import explain_path, resolve_person
from tellgraph.settings import Settings

AGENT = "coordination"
MAX_BRIEF_PEOPLE = 12


# -- meeting briefs -------------------------------------------------------------------------


class AttendeeBrief(BaseModel):
    """One attendee in a briefing."""

    person: PersonRef
    company: str | None
    best_tie: str | None
    strength: float
    history: list[str]
    open_items: list[str]
    mutual: list[str]
    talking_points: list[str]


class MeetingBrief(BaseModel):
    """A briefing for one event."""

    event_id: str
    event_name: str
    starts_at: datetime | None
    team: list[PersonRef]
    attendees: list[AttendeeBrief]

    def text(self) -> str:
        """The briefing as plain text."""
        lines = [
            f"Briefing: {self.event_name} ({short_date(self.starts_at)})",
            "Team attending: " + ", ".join(p.label for p in self.team),
            "",
        ]
        for a in self.attendees:
            header = (
                a.person.label
                + (f", {a.person.title}" if a.person.title else "")
                + (f" at {a.company}" if a.company else "")
            )
            lines.append(f"* {header}")
            lines.append(f"  Relationship: {a.best_tie or 'nobody on the team knows them yet'}")
            lines += [f"  History: {h}" for h in a.history[:2]]
            lines += [f"  Open: {item}" for item in a.open_items[:3]]
            if a.mutual:
                lines.append("  Mutual connections: " + ", ".join(a.mutual[:5]))
            lines += [f"  Talking point: {t}" for t in a.talking_points[:3]]
        return "\n".join(lines)


def _known(store: GraphStore, person_id: str) -> dict[str, tuple[float, Node]]:
    return {
        n.node.id: (float(n.edge.props.get("strength") or 0.0), n.node)
        for n in store.neighbours(label=NodeLabel.PERSON, node_id=person_id, rel_types=[RelType.KNOWS], limit=2000)
    }


def meeting_brief(store: GraphStore, *, event: Node, team_ids: set[str], now: datetime) -> MeetingBrief | None:
    """The briefing for ``event``, or None when no team member attends it."""
    attendees = [
        n.node
        for n in store.neighbours(
            label=NodeLabel.EVENT, node_id=event.id, rel_types=[RelType.ATTENDED, RelType.ORGANIZED], limit=1000
        )
        if n.node.label is NodeLabel.PERSON
    ]
    team = [a for a in attendees if a.id in team_ids]
    others = [a for a in attendees if a.id not in team_ids]
    if not team or not others:
        return None
    team_known = {m.id: _known(store, m.id) for m in team}
    goal_targets: dict[str, list[str]] = {}
    for other in others:
        for n in store.neighbours(label=NodeLabel.PERSON, node_id=other.id, rel_types=[RelType.TARGETS], limit=20):
            if n.node.label is NodeLabel.GOAL:
                goal_targets.setdefault(other.id, []).append(n.node.name or n.node.id)
    ranked = []
    for other in others:
        strength, member = max(
            ((team_known[m.id].get(other.id, (0.0, other))[0], m) for m in team), key=lambda item: (item[0], item[1].id)
        )
        company, title = works_at(store, person_id=other.id)
        importance = (
            strength
            + role_score(title or other.props.get("title")).score * 0.5
            + (0.5 if other.id in goal_targets else 0.0)
        )
        ranked.append((importance, other, member, strength, company, title))
    ranked.sort(key=lambda r: (-r[0], r[1].id))
    briefs = []
    for _, other, member, strength, company, title in ranked[:MAX_BRIEF_PEOPLE]:
        context = pair_context(store, a=member.id, b=other.id, now=now)
        their = _known(store, other.id)
        mutual = sorted(
            (
                node.name or node.id
                for pid, (_, node) in their.items()
                if any(pid in team_known[m.id] for m in team) and pid not in team_ids
            ),
        )
        talking = [f"goal: {g}" for g in goal_targets.get(other.id, [])]
        for neighbour in store.neighbours(
            label=NodeLabel.PERSON, node_id=other.id, rel_types=[RelType.CONCERNS], limit=20
        ):
            if neighbour.node.label is NodeLabel.SIGNAL:
                talking.append(f"news: {neighbour.node.props.get('title')}")
        talking += [f"follow up on '{s}'" for s in context.subjects[:2]]
        history = []
        if context.communications:
            history.append(
                f"{context.communications} communications with {member.name or member.id}, "
                f"last {short_date(context.last_contact)}"
                + (f" ('{context.last_subject}')" if context.last_subject else "")
            )
        briefs.append(
            AttendeeBrief(
                person=PersonRef.from_node(other, title=title),
                company=company.name if company else None,
                best_tie=f"{member.name or member.id} (strength {strength:.2f})" if strength > 0 else None,
                strength=strength,
                history=history,
                open_items=context.open_items,
                mutual=mutual,
                talking_points=talking,
            )
        )
    starts = event.props.get("starts_at")
    return MeetingBrief(
        event_id=event.id,
        event_name=event.name or event.id,
        starts_at=starts if isinstance(starts, datetime) else None,
        team=[PersonRef.from_node(t) for t in team],
        attendees=briefs,
    )


def upcoming_events(store: GraphStore, *, now: datetime, horizon_days: int) -> list[Node]:
    """Events starting after ``now`` and within the horizon, soonest first."""
    end = now + timedelta(days=horizon_days)
    found, after = [], None
    while True:
        page = store.list_nodes(label=NodeLabel.EVENT, after=after, limit=1000)
        found += [
            e for e in page if isinstance(e.props.get("starts_at"), datetime) and now < e.props["starts_at"] <= end
        ]
        if len(page) < 1000:
            break
        after = page[-1].id
    return sorted(found, key=lambda e: (e.props["starts_at"], e.id))


# -- outcomes -------------------------------------------------------------------------------

_SPEAKER = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?([A-Z][\w.'\- ]{1,60}?):\s+(.+)$")
_HEADER = re.compile(r"^\s*(title|date|subject|attendees|participants)\s*:", re.IGNORECASE)
_REQUEST = re.compile(r"\b(can you|could you|would you|please|will you)\b", re.IGNORECASE)
_COMMIT = re.compile(r"\b(i'll|i will|we'll|we will|i can send|let me|i'm going to|we're going to)\b", re.IGNORECASE)
_NEXT = re.compile(r"\b(next steps?|action items?|to do|follow[- ]up)\b", re.IGNORECASE)
_DECISION = re.compile(
    r"\b(agreed|we agree|decided|let's go with|we'll go with|confirmed|sounds good)\b", re.IGNORECASE
)
_DUE = re.compile(
    r"\b(by|before|on|until)\s+((?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|end of (?:the )?(?:day|week|month)|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\s+\d{1,2})",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class OutcomeItem(BaseModel):
    """An action item from a meeting."""

    text: str
    owner_name: str | None
    owner_id: str | None
    due: str | None
    speaker: str


class MeetingOutcome(BaseModel):
    """What a meeting decided and who does what next."""

    title: str | None
    decisions: list[str] = Field(default_factory=list)
    items: list[OutcomeItem] = Field(default_factory=list)
    speakers: list[str] = Field(default_factory=list)
    action_ids: list[str] = Field(default_factory=list)


def parse_transcript(text: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The title (from a ``Title:`` header) and the (speaker, utterance) lines of a transcript."""
    title = None
    lines: list[tuple[str, str]] = []
    for raw in text.splitlines():
        if _HEADER.match(raw):
            key, _, value = raw.partition(":")
            if key.strip().lower() in {"title", "subject"}:
                title = value.strip() or title
            continue
        match = _SPEAKER.match(raw)
        if match:
            lines.append((match.group(1).strip(), match.group(2).strip()))
        elif lines and raw.strip():
            speaker, said = lines[-1]
            lines[-1] = (speaker, f"{said} {raw.strip()}")
    return title, lines


def extract_outcome(text: str, *, participants: Mapping[str, str]) -> MeetingOutcome:
    """Decisions and action items (with owner and due date when stated) from a transcript."""
    title, lines = parse_transcript(text)
    speakers = list(dict.fromkeys(s for s, _ in lines))
    first_names = {fold(name.split()[0]): name for name in speakers}
    outcome = MeetingOutcome(title=title, speakers=speakers)
    for index, (speaker, said) in enumerate(lines):
        for sentence in _SENTENCE.split(said):
            sentence = sentence.strip()
            if len(sentence) < 8:
                continue
            if _DECISION.search(sentence) and sentence not in outcome.decisions:
                outcome.decisions.append(sentence)
            request, commit = _REQUEST.search(sentence), _COMMIT.search(sentence)
            if not (request or commit or (_NEXT.search(sentence) and _DUE.search(sentence))):
                continue
            if request and "?" not in sentence and not _DUE.search(sentence):
                continue  # "please" in passing is not a request
            owner = speaker
            if request and not commit:
                # "Maya, can you..." names the owner; otherwise the next speaker is usually the one asked.
                named = [first_names[w] for w in (fold(t.strip(",")) for t in sentence.split()[:3]) if w in first_names]
                nxt = next((s for s, _ in lines[index + 1 :] if s != speaker), None)
                owner = named[0] if named else (nxt or speaker)
            due = _DUE.search(sentence)
            outcome.items.append(
                OutcomeItem(
                    text=sentence,
                    owner_name=owner,
                    owner_id=None,
                    due=due.group(2) if due else None,
                    speaker=speaker,
                )
            )
    outcome.decisions = outcome.decisions[:10]
    outcome.items = outcome.items[:20]
    return outcome


def capture_meeting_outcome(
    store: GraphStore,
    *,
    transcript: str,
    now: datetime,
    participants: Mapping[str, str],
    team_ids: set[str] | None = None,
    communication_id: str | None = None,
    event_id: str | None = None,
    drafter: Drafter | None = None,
) -> MeetingOutcome:
    """Write a meeting's outcome into the graph.

    Action items are added to the communication's ``action_items`` (when
    ``communication_id`` names the ingested transcript or meeting), each becomes an
    internal ``action_item`` action for its owner, and a follow-up email to the
    outside participants is drafted for approval.

    Args:
        store: the graph.
        transcript: ``Speaker: text`` lines (``Title:``/``Date:`` headers allowed).
        now: the clock.
        participants: speaker name → email address, to find people in the graph.
        team_ids: who is on the team (by default, everyone :func:`team_members` finds).
        communication_id: the ingested meeting or transcript, when there is one.
        event_id: the event the meeting belongs to, when there is one.
        drafter: writes the follow-up email.
    """
    if not transcript.strip():
        raise InvalidInput("transcript", "is empty")
    outcome = extract_outcome(transcript, participants=participants)
    if team_ids is None:
        team_ids = {p.id for p in team_members(store)}
    people: dict[str, Node] = {}
    for name, email in participants.items():
        try:
            people[name] = resolve_person(store, ref=email)
        except (NotFound, InvalidInput):
            continue
    for item in outcome.items:
        node = people.get(item.owner_name or "")
        item.owner_id = node.id if node else None
    anchor = communication_id or event_id or stable_id("meeting", outcome.title or "", transcript[:200])
    period = f"meeting:{anchor}"
    targets = [t for t in (communication_id, event_id) if t]
    actions: list[SuggestedAction] = []
    for number, item in enumerate(outcome.items):
        actions.append(
            SuggestedAction(
                id=action_id(AGENT, "action_item", f"{anchor}:{number}", period),
                kind="action_item",
                agent=AGENT,
                channel=ActionChannel.INTERNAL,
                period=period,
                title=f"{item.owner_name or 'Someone'}: {item.text[:150]}",
                target_ids=[*targets, *([item.owner_id] if item.owner_id else [])],
                actor_id=item.owner_id,
                draft=item.text,
                reasons=[f"said by {item.speaker} in '{outcome.title or 'the meeting'}'"]
                + ([f"due {item.due}"] if item.due else []),
                priority=0.6 if item.owner_id in team_ids else 0.4,
            )
        )
    external = [(name, node) for name, node in people.items() if node.id not in team_ids]
    host = next((node for node in people.values() if node.id in team_ids), None)
    recipients = [e for _, node in external if (e := first_email(node))]
    if recipients and (outcome.items or outcome.decisions):
        draft = (drafter or TemplateDrafter()).draft(
            DraftContext(
                kind="meeting_follow_up",
                sender_name=host.name if host else None,
                recipient_name=external[0][1].name if len(external) == 1 else None,
                recipient_first_name=first_name(external[0][1].name) if len(external) == 1 else "all",
                last_subject=outcome.title,
                facts=outcome.decisions,
                open_items=[f"{i.owner_name}: {i.text}" + (f" (by {i.due})" if i.due else "") for i in outcome.items],
            )
        )
        actions.append(
            SuggestedAction(
                id=action_id(AGENT, "meeting_follow_up", anchor, period),
                kind="meeting_follow_up",
                agent=AGENT,
                channel=ActionChannel.EMAIL,
                period=period,
                title=f"Send the follow-up of '{outcome.title or 'the meeting'}'",
                target_ids=[*targets, *(node.id for _, node in external)],
                actor_id=host.id if host else None,
                recipients=recipients,
                subject=draft.subject,
                draft=draft.body,
                reasons=[f"{len(outcome.items)} action items and {len(outcome.decisions)} decisions captured"],
                priority=0.7,
            )
        )
    report = AgentReport(agent=AGENT)
    propose(store, actions=actions, now=now, report=report)
    outcome.action_ids = [a.id for a in actions]
    if communication_id:
        found = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[communication_id])
        if found:
            comm = found[0].as_entity()
            assert isinstance(comm, Communication)
            items = [f"{i.owner_name}: {i.text}" for i in outcome.items]
            # action_items is a list field: the upsert adds these to what extraction found.
            store.upsert_entities(entities=[comm.model_copy(update={"action_items": items})])
            store.flush()
    return outcome


# -- intro routing --------------------------------------------------------------------------


def route_intro_request(
    store: GraphStore,
    *,
    requester: str,
    target: str,
    now: datetime,
    reason: str | None = None,
    drafter: Drafter | None = None,
    max_hops: int = 3,
) -> SuggestedAction:
    """Find the best connector between ``requester`` and ``target`` and draft a double-opt-in intro request.

    The request goes to the connector only (who asks the target first); nothing is
    sent before approval. When the two already know each other the action is a
    direct note instead.

    Raises:
        NotFound: either person is unknown, or no path joins them.
    """
    asker = resolve_person(store, ref=requester)
    wanted = resolve_person(store, ref=target)
    paths = store.k_best_paths(
        sources=[asker.id], targets=[wanted.id], max_hops=max_hops, k=5, min_strength=0.05, with_nodes=True
    )
    if not paths:
        raise NotFound("introduction path", f"{requester} -> {target}")
    best = paths[0]
    nodes = {n.id: n for p in paths for n in p.nodes}
    period = now.date().isoformat()
    wanted_name = wanted.name or target
    drafter = drafter or TemplateDrafter()
    if best.length == 1:
        draft = drafter.draft(
            DraftContext(
                kind="generic",
                sender_name=asker.name,
                recipient_name=wanted.name,
                reason=reason or "I wanted to get in touch.",
            )
        )
        action = SuggestedAction(
            id=action_id(AGENT, "direct_outreach", wanted.id, period),
            kind="direct_outreach",
            agent=AGENT,
            channel=ActionChannel.EMAIL if first_email(wanted) else ActionChannel.INTERNAL,
            period=period,
            title=f"{asker.name or asker.id} already knows {wanted_name}: write directly",
            target_ids=[wanted.id],
            actor_id=asker.id,
            recipients=[e for e in [first_email(wanted)] if e],
            subject=draft.subject,
            draft=draft.body,
            reasons=[explain_path(best, nodes)],
            priority=0.6,
        )
    else:
        connector = nodes[best.node_ids[1]]
        company, title = works_at(store, person_id=wanted.id)
        role = title or wanted.props.get("title")
        where = f" at {company.name}" if company is not None and company.name else ""
        about = f"{wanted_name} ({role}{where})" if role else f"{wanted_name}{where}"
        draft = drafter.draft(
            DraftContext(
                kind="intro_request",
                sender_name=asker.name,
                recipient_name=connector.name,
                recipient_first_name=first_name(connector.name),
                about_name=wanted_name,
                reason=reason,
                facts=[reason] if reason else [],
            )
        )
        alternatives = [explain_path(p, nodes) for p in paths[1:3]]
        action = SuggestedAction(
            id=action_id(AGENT, "intro_request", wanted.id, period),
            kind="intro_request",
            agent=AGENT,
            channel=ActionChannel.EMAIL if first_email(connector) else ActionChannel.INTERNAL,
            period=period,
            title=f"Ask {connector.name or connector.id} to introduce {asker.name or asker.id} to {about}",
            target_ids=[wanted.id, connector.id],
            actor_id=asker.id,
            via_id=connector.id,
            recipients=[e for e in [first_email(connector)] if e],
            subject=draft.subject,
            draft=draft.body,
            reasons=[explain_path(best, nodes), "double opt-in: the connector asks them before any introduction"],
            evidence=alternatives,
            priority=round(0.5 + 0.5 * best.score, 4),
        )
    report = AgentReport(agent=AGENT)
    propose(store, actions=[action], now=now, report=report)
    from tellgraph.agents.approval import get_action

    return get_action(store, action_id=action.id)


def run(
    store: GraphStore, *, now: datetime, settings: Settings, config: AgentConfig, drafter: Drafter | None = None
) -> AgentReport:
    """Brief the team for every event they attend in the next ``brief_horizon_days``."""
    report = AgentReport(agent=AGENT)
    team_ids = {p.id for p in team_members(store, settings=settings)}
    actions = []
    for event in upcoming_events(store, now=now, horizon_days=config.brief_horizon_days):
        brief = meeting_brief(store, event=event, team_ids=team_ids, now=now)
        if brief is None:
            continue
        actions.append(
            SuggestedAction(
                id=action_id(AGENT, "meeting_brief", event.id, "event"),
                kind="meeting_brief",
                agent=AGENT,
                channel=ActionChannel.INTERNAL,
                period="event",
                title=f"Briefing for {brief.event_name} on {short_date(brief.starts_at)}",
                target_ids=[event.id, *(a.person.id for a in brief.attendees)],
                actor_id=brief.team[0].id,
                draft=brief.text(),
                reasons=[f"{len(brief.attendees)} outside attendees; starts {short_date(brief.starts_at)}"],
                priority=0.5,
            )
        )
    propose(store, actions=actions, now=now, report=report)
    return report
