"""Every agent on the known world, under a fixed clock: the same run twice proposes nothing new."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tellgraph.agents import coordination, goal_agent, relationship, research, strategy
from tellgraph.agents.approval import get_action, list_actions
from tellgraph.agents.base import AgentConfig, team_members
from tellgraph.agents.runner import run_agents
from tellgraph.errors import InvalidInput, NotFound
from tellgraph.goals.service import create_goal
from tellgraph.goals.snapshots import list_snapshots
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.actions import ActionChannel, ActionStatus, SignalKind
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Channel, Communication, Edge, Event, Identity, Person, Project
from tellgraph.settings import Settings
from tests.unit.agents.servers import FIXTURES, serve_folder
from tests.unit.goals.test_goal_map import GOAL
from tests.unit.goals.world import ACME, NOW, build_world, pid

DEMO = Path(__file__).resolve().parents[3] / "demo"
SETTINGS = Settings()


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    build_world(store)
    return store


def test_relationship_agent_is_deterministic_and_idempotent(store: MemoryStore) -> None:
    config = AgentConfig()
    first = relationship.run(store, now=NOW, settings=SETTINGS, config=config)
    targets = sorted(a.target_ids[0] for a in list_actions(store))
    # Rajesh (70 days, usual gap 18) and Kim (100 days) are due; Hana, Daniel, Leo are recent; Siti is Leo's.
    assert targets == sorted([pid("rajesh"), pid("kim")])
    rajesh = next(a for a in list_actions(store) if a.target_ids == [pid("rajesh")])
    assert rajesh.channel is ActionChannel.EMAIL and rajesh.actor_id == pid("maya")
    assert any("no contact for 70 days" in r for r in rajesh.reasons)
    second = relationship.run(store, now=NOW, settings=SETTINGS, config=config)
    assert second.proposed == [] and sorted(second.unchanged) == sorted(first.proposed)
    # Another store with the same graph gets the same ids and drafts.
    other = MemoryStore()
    build_world(other)
    relationship.run(other, now=NOW, settings=SETTINGS, config=config)
    assert [(a.id, a.draft) for a in list_actions(other)] == [(a.id, a.draft) for a in list_actions(store)]
    # Next week is a new period: new proposals.
    later = relationship.run(store, now=NOW + timedelta(days=7), settings=SETTINGS, config=config)
    assert len(later.proposed) == 2


def test_health_props_from_scoring_are_used_when_present(store: MemoryStore) -> None:
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id=pid("maya"),
                dst_label=NodeLabel.PERSON,
                dst_id=pid("hana"),
                props={
                    "at_risk": True,
                    "risk_reasons": ["replies slowing down"],
                    "next_contact_due": NOW - timedelta(days=3),
                },
            )
        ],
        now=NOW,
    )
    relationship.run(store, now=NOW, settings=SETTINGS, config=AgentConfig())
    hana = next(a for a in list_actions(store) if a.target_ids == [pid("hana")])
    assert hana.reasons[:2] == ["at risk: replies slowing down", "contact was due on 2026-11-12"]


def test_goal_agent_maps_snapshots_and_proposes_next_steps(store: MemoryStore) -> None:
    record = create_goal(store, goal=GOAL, now=NOW)
    report = goal_agent.run(store, now=NOW, settings=SETTINGS, config=AgentConfig(max_goal_actions=10))
    assert any("coverage 80%" in note for note in report.notes)
    assert len(list_snapshots(store, goal_id=record.goal.id)) == 1
    actions = {a.kind: a for a in list_actions(store)}
    intro = actions["intro_request"]
    assert intro.channel is ActionChannel.EMAIL and intro.recipients == ["daniel@meridian.example"]
    assert intro.via_id == pid("daniel") and intro.goal_id == record.goal.id
    assert "Omar Haddad" in (intro.draft or "") and "only if it feels right" in (intro.draft or "").lower()
    follow = actions["follow_up"]
    assert follow.recipients == ["siti@acme.example"] and follow.actor_id == pid("leo")
    assert follow.subject == "Re: Tender question"
    assert actions["find_route"].channel is ActionChannel.INTERNAL
    again = goal_agent.run(store, now=NOW, settings=SETTINGS, config=AgentConfig(max_goal_actions=10))
    assert again.proposed == [] and len(list_snapshots(store, goal_id=record.goal.id)) == 1
    # A week later the stall is no longer new, and the snapshot history grows.
    goal_agent.run(store, now=NOW + timedelta(days=7), settings=SETTINGS, config=AgentConfig())
    assert len(list_snapshots(store, goal_id=record.goal.id)) == 2


def test_meeting_brief_for_an_upcoming_event(store: MemoryStore) -> None:
    create_goal(store, goal=GOAL, now=NOW)
    store.upsert_entities(entities=[Event(id="e_lunch", name="Lunch with Acme", starts_at=NOW + timedelta(days=2))])
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.ATTENDED,
                src_label=NodeLabel.PERSON,
                src_id=pid(p),
                dst_label=NodeLabel.EVENT,
                dst_id="e_lunch",
            )
            for p in ("maya", "hana", "omar")
        ],
        now=NOW,
    )
    report = coordination.run(store, now=NOW, settings=SETTINGS, config=AgentConfig())
    assert len(report.proposed) == 1
    brief = get_action(store, action_id=report.proposed[0])
    assert brief.kind == "meeting_brief" and brief.channel is ActionChannel.INTERNAL
    text = brief.draft or ""
    assert "Hana Sato, Director of Media Rights at Acme Sports" in text
    assert "Maya Chen (strength 0.70)" in text and "goal: Win the Acme tender" in text
    assert "Mutual connections: Daniel Wu" in text  # Omar knows Daniel, whom Maya knows
    assert "send the budget range by Friday" in text  # an open item between Maya and Hana
    assert coordination.run(store, now=NOW, settings=SETTINGS, config=AgentConfig()).proposed == []


def test_outcome_capture_from_the_demo_transcript() -> None:
    store = MemoryStore()
    participants = json.loads((DEMO / "transcripts" / "participants.json").read_text())
    people = [
        Person(id=f"p_{i}", name=name, emails=[mail], is_team=name == "Maya Chen" or None)
        for i, (name, mail) in enumerate(participants.items())
    ]
    store.upsert_entities(
        entities=[*people, *(Identity(id=f"email:{p.emails[0]}", kind="email", value=p.emails[0]) for p in people)]
    )
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id=f"email:{p.emails[0]}",
                dst_label=NodeLabel.PERSON,
                dst_id=p.id,
            )
            for p in people
        ],
        now=NOW,
    )
    store.upsert_entities(
        entities=[
            Communication(
                id="c_call",
                channel=Channel.MEETING,
                source="transcript",
                timestamp=NOW - timedelta(days=1),
                subject="AFC discovery call",
            )
        ]
    )
    transcript = (DEMO / "transcripts" / "2026-10-02-afc-discovery-call.txt").read_text()
    outcome = coordination.capture_meeting_outcome(
        store, transcript=transcript, now=NOW, participants=participants, communication_id="c_call"
    )
    assert outcome.title == "AFC discovery call"
    texts = " | ".join(i.text for i in outcome.items)
    assert "by 23 October" in texts and "I'll send a written summary today" in texts
    summary = next(i for i in outcome.items if "written summary" in i.text)
    assert summary.owner_name == "Maya Chen" and summary.owner_id == "p_0"
    follow = next(
        a for a in (get_action(store, action_id=i) for i in outcome.action_ids) if a.kind == "meeting_follow_up"
    )
    assert follow.channel is ActionChannel.EMAIL
    assert sorted(follow.recipients) == ["daniel.wu@meridian.example", "hana.sato@the-afc.example"]
    assert "Next steps:" in (follow.draft or "")
    comm = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=["c_call"])[0]
    assert any("written summary" in item for item in comm.props["action_items"])
    again = coordination.capture_meeting_outcome(
        store, transcript=transcript, now=NOW, participants=participants, communication_id="c_call"
    )
    assert again.action_ids == outcome.action_ids
    with pytest.raises(InvalidInput):
        coordination.capture_meeting_outcome(store, transcript="  ", now=NOW, participants={})


def test_intro_routing_drafts_a_double_opt_in(store: MemoryStore) -> None:
    action = coordination.route_intro_request(
        store,
        requester="maya@northlight.example",
        target="omar@acme.example",
        now=NOW,
        reason="It is about the tender.",
    )
    assert action.kind == "intro_request" and action.via_id == pid("daniel")
    assert action.recipients == ["daniel@meridian.example"] and action.status is ActionStatus.PROPOSED
    assert "Omar Haddad (Commercial Director at Acme Sports)" in action.title
    assert "ask Omar first" in (action.draft or "")
    direct = coordination.route_intro_request(
        store, requester="maya@northlight.example", target="hana@acme.example", now=NOW
    )
    assert direct.kind == "direct_outreach" and direct.recipients == ["hana@acme.example"]
    with pytest.raises(NotFound):
        coordination.route_intro_request(store, requester="maya@northlight.example", target="zed@acme.example", now=NOW)


def test_research_reads_real_feeds_from_a_local_server(store: MemoryStore) -> None:
    create_goal(store, goal=GOAL, now=NOW)
    with serve_folder(FIXTURES / "feeds") as base:
        config = AgentConfig(
            feeds=[f"{base}/sportsbiz.rss.xml", f"{base}/newsroom.atom.xml", f"{base}/missing.xml"],
            pages=[f"{base}/announcements.html"],
        )
        report = research.run(store, now=NOW, settings=SETTINGS, config=config)
        assert len(report.errors) == 1 and "missing.xml" in report.errors[0]
        signals = {(s.props["kind"], s.props["title"]) for s in store.list_nodes(label=NodeLabel.SIGNAL)}
        assert (SignalKind.FUNDING.value, "Acme Sports raises $40 million in Series B funding round") in signals
        assert (
            SignalKind.LEADERSHIP_CHANGE.value,
            "Pacific Sports Network names Rajesh Kumar as new Chief Content Officer",
        ) in signals
        assert (
            SignalKind.LEADERSHIP_CHANGE.value,
            "Zed Zorro steps down as Chief Executive Officer of Acme Sports",
        ) in signals
        assert (SignalKind.EXPANSION.value, "Acme Sports launches in Vietnam") in signals
        assert (SignalKind.EXPANSION.value, "Meridian opens new office in Kuala Lumpur") in signals
        assert not any("cricket" in title for _, title in signals)
        about_acme = {
            n.node.props["kind"]
            for n in store.neighbours(label=NodeLabel.COMPANY, node_id=ACME, rel_types=[RelType.CONCERNS])
        }
        assert {"funding", "leadership_change", "expansion"} <= about_acme
        congratulate = [a for a in list_actions(store) if a.kind == "congratulate"]
        assert {a.target_ids[0] for a in congratulate} >= {pid("rajesh")}
        count = len(store.list_nodes(label=NodeLabel.SIGNAL))
        research.run(store, now=NOW, settings=SETTINGS, config=config)
        assert len(store.list_nodes(label=NodeLabel.SIGNAL)) == count
    brief = research.research_brief(
        store, person="zed@acme.example", now=NOW, team_ids=[p.id for p in team_members(store)]
    )
    assert brief.company == "Acme Sports" and brief.person.title == "Chief Executive Officer"
    assert any("steps down" in s for s in brief.signals) and brief.goals == ["Win the Acme tender"]
    assert "nothing found" in brief.text()  # no path to Zed
    omar = research.research_brief(store, person="omar@acme.example", now=NOW, team_ids=[pid("maya")])
    assert omar.paths and "Daniel Wu" in omar.paths[0] and omar.mutual == ["Daniel Wu"]


def _deal(
    store: MemoryStore,
    key: str,
    *,
    outcome: str | None,
    value: float | None,
    dm: str | None,
    days: int,
    stage: str = "proposal",
) -> None:
    started = NOW - timedelta(days=200)
    closed = started + timedelta(days=days) if outcome else None
    store.upsert_entities(
        entities=[
            Project(
                id=f"proj_{key}",
                name=f"Production deal {key}",
                stage=stage,
                value=value,
                currency="GBP",
                outcome=outcome,
                started_at=started,
                closed_at=closed,
            )
        ]
    )
    people = [p for p in ("maya", dm) if p]
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.WORKED_ON,
                src_label=NodeLabel.PERSON,
                src_id=pid(p),
                dst_label=NodeLabel.PROJECT,
                dst_id=f"proj_{key}",
            )
            for p in people
        ],
        now=NOW,
    )


def test_strategy_compares_wins_and_losses_and_prices_from_similar_deals(store: MemoryStore) -> None:
    _deal(store, "a", outcome="won", value=100_000, dm="hana", days=60)  # strong tie (0.70)
    _deal(store, "b", outcome="Won", value=140_000, dm="hana", days=80)
    _deal(store, "c", outcome="lost", value=90_000, dm="zed", days=150)  # no tie to the CEO
    _deal(store, "d", outcome="lost", value=None, dm="zed", days=170)
    _deal(store, "e", outcome=None, value=None, dm="zed", days=0)  # open, looks like the losses
    result = strategy.analyse(store, team_ids={pid("maya"), pid("leo")}, now=NOW)
    by_feature = {p.feature: p for p in result.patterns}
    assert by_feature["dm_strength"].won_median == 0.7 and by_feature["dm_strength"].lost_median == 0.0
    assert by_feature["days"].won_median == 70 and by_feature["days"].lost_median == 160
    advice = result.advice[0]
    assert advice.deal.id == "proj_e"
    assert any(r.startswith("team's strongest tie to their decision-makers: 0") for r in advice.risks)
    assert advice.price is not None and (advice.price.low, advice.price.high) == (100_000, 140_000)
    assert advice.price.currency == "GBP" and len(advice.price.based_on) == 2
    report = strategy.run(store, now=NOW, settings=SETTINGS, config=AgentConfig())
    insight = get_action(store, action_id=report.proposed[0])
    assert "Suggested price range: 100,000-140,000 GBP" in (insight.draft or "")


def test_runner_runs_every_agent_and_refuses_unknown_names(store: MemoryStore) -> None:
    create_goal(store, goal=GOAL, now=NOW)
    report = run_agents(store, settings=SETTINGS, now=NOW)
    assert [r.agent for r in report.reports] == ["relationship", "coordination", "goal", "research", "strategy"]
    assert report.proposed > 0
    assert run_agents(store, settings=SETTINGS, now=NOW).proposed == 0
    with pytest.raises(InvalidInput):
        run_agents(store, settings=SETTINGS, now=NOW, agents=["nope"])
