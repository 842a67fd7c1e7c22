"""Goals and agents over the real Neo4j: the same answers as the embedded store, and the approval flow."""

from __future__ import annotations

from datetime import timedelta

from tellgraph.agents import goal_agent, relationship
from tellgraph.agents.approval import approve_action, audit_trail, get_action, list_actions
from tellgraph.agents.base import AgentConfig
from tellgraph.agents.executors import GmailDraftExecutor
from tellgraph.goals.map import goal_map
from tellgraph.goals.models import GapKind, PersonStatus
from tellgraph.goals.service import create_goal
from tellgraph.goals.snapshots import list_snapshots
from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, ActionStatus, action_id
from tellgraph.settings import Settings
from tests.unit.agents.servers import gmail_answer, gmail_service
from tests.unit.goals.test_goal_map import GOAL
from tests.unit.goals.world import NOW, build_world, pid


def test_goal_map_on_neo4j_equals_the_embedded_store(neo4j_store: GraphStore) -> None:
    memory = MemoryStore()
    for store in (memory, neo4j_store):
        build_world(store)
    maps = []
    for store in (memory, neo4j_store):
        record = create_goal(store, goal=GOAL, now=NOW)
        maps.append(goal_map(store, goal_id=record.goal.id, now=NOW).model_dump(exclude={"timings_ms"}))
    assert maps[0] == maps[1]
    neo = goal_map(neo4j_store, goal_id=maps[1]["goal"]["goal"]["id"], now=NOW)
    assert neo.coverage.ratio == 0.8
    assert {k.person.id: k.status for k in neo.people}[pid("omar")] is PersonStatus.WARM
    assert {g.kind for g in neo.gaps} == {GapKind.NO_PATH, GapKind.NOBODY_KNOWN, GapKind.COLD}
    assert [(s.subject, s.days_waiting) for s in neo.stalls] == [("Tender question", 55)]


def test_agent_proposal_to_gmail_draft_on_neo4j(neo4j_store: GraphStore) -> None:
    build_world(neo4j_store)
    record = create_goal(neo4j_store, goal=GOAL, now=NOW)
    goal_agent.run(neo4j_store, now=NOW, settings=Settings(), config=AgentConfig())
    assert len(list_snapshots(neo4j_store, goal_id=record.goal.id)) == 1
    report = relationship.run(neo4j_store, now=NOW, settings=Settings(), config=AgentConfig())
    assert action_id("relationship", "touchpoint", pid("rajesh"), "2026-W46") in report.proposed
    assert relationship.run(neo4j_store, now=NOW, settings=Settings(), config=AgentConfig()).proposed == []
    touchpoint = get_action(neo4j_store, action_id=action_id("relationship", "touchpoint", pid("rajesh"), "2026-W46"))

    service, http = gmail_service([gmail_answer("drafts.create")])
    executors = {ActionChannel.EMAIL: GmailDraftExecutor(service=service)}
    result = approve_action(
        neo4j_store, action_id=touchpoint.id, actor="maya", now=NOW + timedelta(hours=1), executors=executors
    )
    assert result.action.status is ActionStatus.EXECUTED and result.action.execution_id == "1524544835382926498"
    assert len(http.request_sequence) == 1 and http.request_sequence[0][1] == "POST"
    again = approve_action(
        neo4j_store, action_id=touchpoint.id, actor="maya", now=NOW + timedelta(hours=2), executors=executors
    )
    assert not again.executed_now and len(http.request_sequence) == 1
    assert [e.action for e in audit_trail(neo4j_store, action_id=touchpoint.id)] == [
        "action.approve",
        "action.execute_started",
        "action.execute",
    ]
    executed = list_actions(neo4j_store, status=ActionStatus.EXECUTED)
    assert [a.id for a in executed] == [touchpoint.id]
