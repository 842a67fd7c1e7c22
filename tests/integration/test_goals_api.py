"""Goals and suggested actions over real HTTP, backed by the real Neo4j.

Self-contained: the app is built with ``GoalQuery`` and ``GoalMutation`` merged
into the root types (as the lead merges them) and served by uvicorn on
127.0.0.1; once the root schema carries them, the test uses it unchanged.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import strawberry
import uvicorn
from pydantic import SecretStr
from strawberry.tools import merge_types

import tellgraph.api.app as app_module
from tellgraph.agents import relationship
from tellgraph.agents.base import AgentConfig
from tellgraph.agents.executors import GmailDraftExecutor
from tellgraph.api import schema as root
from tellgraph.api.goal_schema import GoalMutation, GoalQuery, register_executors
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, action_id
from tellgraph.settings import Settings
from tests.unit.agents.servers import gmail_answer, gmail_service
from tests.unit.goals.world import NOW, build_world, pid

VIEWER = "viewer-token-for-goal-tests-1"
EDITOR = "editor-token-for-goal-tests-1"


def _merged_schema(*, settings: Settings | None = None) -> strawberry.Schema:
    base = root.build_schema(settings=settings)
    if "goalMap" in str(base):
        return base
    return root.TellgraphSchema(
        query=merge_types("Query", (root.Query, GoalQuery)),
        mutation=merge_types("Mutation", (root.Mutation, GoalMutation)),
        types=root.EXTRA_TYPES,
        extensions=base.extensions,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def api(neo4j_store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    build_world(neo4j_store)
    monkeypatch.setattr(app_module, "build_schema", _merged_schema)
    settings = Settings(api_tokens=SecretStr(f"{VIEWER}:viewer,{EDITOR}:editor"))
    service, http = gmail_service([gmail_answer("drafts.create")])
    register_executors(settings=settings, executors={ActionChannel.EMAIL: GmailDraftExecutor(service=service)})
    app = app_module.create_app(store=neo4j_store, settings=settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}", http
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def gql(url: str, query: str, variables: dict[str, Any] | None = None, token: str = VIEWER) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    body: dict[str, Any] = response.json()
    return body


CREATE = """
mutation($input: CreateGoalInput!) { createGoal(input: $input) {
  id name deadline owner { name } team { name } targets { id kind name origin } } }"""
MAP = """
query($id: ID!, $asOf: DateTime) { goalMap(goalId: $id, asOf: $asOf) {
  coverage { covered total ratio explanation }
  people { person { name title } status decisionMaker bestPath { score names explanation } }
  gaps { kind title evidence }
  stalls { subject daysWaiting daysSilent chasers evidence }
  nextSteps { kind actor { name } contact { name } via { name } why whyNow priority }
  momentum { activity30 trend explanation } } }"""


def test_goals_over_http(api: tuple[str, Any], neo4j_store: GraphStore) -> None:
    url, gmail_http = api
    goal_input = {
        "name": "Win the Acme tender",
        "description": "Win the Acme Sports production tender.",
        "companies": ["acme.example"],
        "people": ["omar@acme.example", "hana@acme.example", "siti@acme.example"],
        "deadline": "2027-02-23T12:00:00Z",
        "owner": "maya@northlight.example",
        "team": ["leo@northlight.example"],
    }
    denied = gql(url, CREATE, {"input": goal_input}, token=VIEWER)
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = gql(url, CREATE, {"input": goal_input}, token=EDITOR)["data"]["createGoal"]
    assert created["owner"]["name"] == "Maya Chen" and len(created["targets"]) >= 4
    goal_id = created["id"]

    listed = gql(url, "{ goals(first: 5) { totalCount edges { node { id name } } } }")["data"]["goals"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == goal_id
    assert gql(url, "query($id: ID!) { goal(id: $id) { name } }", {"id": goal_id})["data"]["goal"]["name"]

    gmap = gql(url, MAP, {"id": goal_id, "asOf": NOW.isoformat()})["data"]["goalMap"]
    assert (gmap["coverage"]["covered"], gmap["coverage"]["total"]) == (4, 5)
    omar = next(p for p in gmap["people"] if p["person"]["name"] == "Omar Haddad")
    assert omar["status"] == "warm" and omar["bestPath"]["names"] == ["Maya Chen", "Daniel Wu", "Omar Haddad"]
    assert {g["kind"] for g in gmap["gaps"]} == {"no_path", "nobody_known", "cold"}
    assert gmap["stalls"][0]["subject"] == "Tender question" and gmap["stalls"][0]["daysWaiting"] == 55
    intro = next(s for s in gmap["nextSteps"] if s["kind"] == "intro")
    assert intro["via"]["name"] == "Daniel Wu" and "Daniel Wu wrote about Omar Haddad" in intro["whyNow"]
    missing = gql(url, '{ goalMap(goalId: "g_nope") { coverage { ratio } } }')
    assert missing["errors"][0]["message"] == "No goal found for 'g_nope'"

    relationship.run(neo4j_store, now=NOW, settings=Settings(), config=AgentConfig())
    touchpoint = action_id("relationship", "touchpoint", pid("rajesh"), "2026-W46")
    actions = gql(
        url,
        "{ suggestedActions(status: PROPOSED, first: 10) { totalCount edges { node { id kind "
        "channel needsApproval recipients draft } } } }",
    )["data"]["suggestedActions"]
    assert actions["totalCount"] == 2
    assert touchpoint in {e["node"]["id"] for e in actions["edges"]}

    approve = "mutation($id: ID!) { approveAction(id: $id) { message executedNow action { status executionId } } }"
    assert gql(url, approve, {"id": touchpoint})["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = gql(url, approve, {"id": touchpoint}, token=EDITOR)["data"]["approveAction"]
    assert done["action"] == {"status": "EXECUTED", "executionId": "1524544835382926498"} and done["executedNow"]
    assert len(gmail_http.request_sequence) == 1
    again = gql(url, approve, {"id": touchpoint}, token=EDITOR)["data"]["approveAction"]
    assert not again["executedNow"] and len(gmail_http.request_sequence) == 1

    kim = action_id("relationship", "touchpoint", pid("kim"), "2026-W46")
    edited = gql(
        url,
        'mutation($id: ID!) { editAction(id: $id, draft: "Hi Kim!") { action { draft edited status } } }',
        {"id": kim},
        token=EDITOR,
    )["data"]["editAction"]["action"]
    assert edited == {"draft": "Hi Kim!", "edited": True, "status": "PROPOSED"}
    rejected = gql(
        url,
        'mutation($id: ID!) { rejectAction(id: $id, reason: "later") { action { status rejectReason decidedBy } } }',
        {"id": kim},
        token=EDITOR,
    )["data"]["rejectAction"]["action"]
    assert rejected["status"] == "REJECTED" and rejected["rejectReason"] == "later"
    assert rejected["decidedBy"]
    empty = gql(url, 'mutation($id: ID!) { editAction(id: $id, draft: "  ") { message } }', {"id": kim}, token=EDITOR)
    assert "Invalid draft" in empty["errors"][0]["message"]
