"""Approval and execution: nothing leaves without approval, and an approved action runs once.

End to end on the embedded store: create a goal, map it, let the relationship
agent propose a touchpoint, approve it, and check the Gmail ``drafts.create``
request (recorded HTTP answers) and the audit trail. Slack messages go to a local
Slack Web API on 127.0.0.1.
"""

from __future__ import annotations

import base64
import email
import json
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from tellgraph.agents import relationship
from tellgraph.agents.approval import (
    approve_action,
    audit_trail,
    edit_action,
    execute_action,
    get_action,
    list_actions,
    reject_action,
)
from tellgraph.agents.base import AgentConfig
from tellgraph.agents.executors import GmailDraftExecutor, SlackMessageExecutor
from tellgraph.errors import InvalidInput
from tellgraph.goals.map import goal_map
from tellgraph.goals.service import create_goal
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.actions import ActionChannel, ActionStatus, SuggestedAction, action_id
from tellgraph.settings import Settings
from tests.unit.agents.servers import SLACK_TOKEN, gmail_answer, gmail_service, slack_server
from tests.unit.goals.test_goal_map import GOAL
from tests.unit.goals.world import NOW, build_world, pid

DRAFT_ID = "1524544835382926498"


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    build_world(store)
    return store


def _touchpoint(store: MemoryStore) -> SuggestedAction:
    report = relationship.run(store, now=NOW, settings=Settings(), config=AgentConfig())
    assert report.proposed
    action = get_action(store, action_id=action_id("relationship", "touchpoint", pid("rajesh"), "2026-W46"))
    assert action.status is ActionStatus.PROPOSED and action.recipients == ["rajesh@psn.example"]
    return action


def _raw_message(body: str) -> email.message.Message:
    raw = json.loads(body)["message"]["raw"]
    return email.message_from_bytes(base64.urlsafe_b64decode(raw))


def test_goal_to_gmail_draft_end_to_end(store: MemoryStore) -> None:
    record = create_goal(store, goal=GOAL, now=NOW)
    assert goal_map(store, goal_id=record.goal.id, now=NOW).coverage.total == 5
    action = _touchpoint(store)
    assert "Co-bid proposal" in (action.draft or "") and "Rajesh to confirm interest" in (action.draft or "")

    service, http = gmail_service([gmail_answer("drafts.create")])
    executors = {ActionChannel.EMAIL: GmailDraftExecutor(service=service)}
    later = NOW + timedelta(hours=1)
    result = approve_action(store, action_id=action.id, actor="maya", now=later, executors=executors)

    assert result.executed_now and result.action.status is ActionStatus.EXECUTED
    assert result.action.execution_id == DRAFT_ID and result.action.decided_by == "maya"
    uri, method, body, _ = http.request_sequence[0]
    assert (uri.split("?")[0], method) == ("https://gmail.googleapis.com/gmail/v1/users/me/drafts", "POST")
    message = _raw_message(body)
    assert message["To"] == "rajesh@psn.example"
    assert message["Subject"] == action.subject
    assert message["X-Tellgraph-Action"] == action.id
    assert message["Message-ID"] == f"<{result.action.execution_key}@tellgraph.local>"
    assert "Co-bid proposal" in message.get_payload(decode=True).decode()

    trail = [entry.action for entry in audit_trail(store, action_id=action.id)]
    assert trail == ["action.approve", "action.execute_started", "action.execute"]
    # Retrying (approve again, or execute) never creates a second draft: the mock has no answer left.
    again = approve_action(store, action_id=action.id, actor="maya", now=later, executors=executors)
    assert not again.executed_now and again.action.execution_id == DRAFT_ID
    execute_action(store, action_id=action.id, actor="maya", now=later, executors=executors)
    assert len(http.request_sequence) == 1


class CrashAfterCall:
    """The external call succeeds, then the process dies before recording it."""

    channel = ActionChannel.EMAIL

    def __init__(self, inner: GmailDraftExecutor) -> None:
        self.inner = inner

    def find(self, action: SuggestedAction) -> str | None:
        return self.inner.find(action)

    def execute(self, action: SuggestedAction) -> str:
        self.inner.execute(action)
        raise KeyboardInterrupt("crash after the call")


def test_retry_after_a_crash_finds_the_draft_instead_of_creating_another(store: MemoryStore) -> None:
    action = _touchpoint(store)
    service, first_http = gmail_service([gmail_answer("drafts.create")])
    with pytest.raises(KeyboardInterrupt):
        approve_action(
            store,
            action_id=action.id,
            actor="maya",
            now=NOW,
            executors={ActionChannel.EMAIL: CrashAfterCall(GmailDraftExecutor(service=service))},
        )
    crashed = get_action(store, action_id=action.id)
    assert crashed.status is ActionStatus.EXECUTING and crashed.execution_key and crashed.attempts == 1

    service, http = gmail_service([gmail_answer("drafts.list")])
    result = execute_action(
        store,
        action_id=action.id,
        actor="maya",
        now=NOW,
        executors={ActionChannel.EMAIL: GmailDraftExecutor(service=service)},
    )
    assert result.recovered and result.action.status is ActionStatus.EXECUTED
    assert result.action.execution_id == DRAFT_ID
    assert len(http.request_sequence) == 1
    uri, method, _, _ = http.request_sequence[0]
    assert method == "GET" and "rfc822msgid%3A" in uri and crashed.execution_key in uri
    assert len(first_http.request_sequence) == 1


def test_retry_when_the_crash_came_before_the_call_creates_it_once(store: MemoryStore) -> None:
    action = _touchpoint(store)
    store.upsert_entities(
        entities=[
            action.model_copy(update={"status": ActionStatus.EXECUTING, "execution_key": "exec_x", "attempts": 1})
        ]
    )
    service, http = gmail_service([gmail_answer("drafts.list.empty"), gmail_answer("drafts.create")])
    result = execute_action(
        store,
        action_id=action.id,
        actor="maya",
        now=NOW,
        executors={ActionChannel.EMAIL: GmailDraftExecutor(service=service)},
    )
    assert result.executed_now and not result.recovered and result.action.attempts == 2
    assert [m for _, m, _, _ in http.request_sequence] == ["GET", "POST"]


def test_gmail_errors_leave_the_action_retryable(store: MemoryStore) -> None:
    action = _touchpoint(store)
    error = ({"status": "500", "content-type": "application/json"}, '{"error": {"code": 500, "message": "x"}}')
    service, _ = gmail_service([error])
    result = approve_action(
        store,
        action_id=action.id,
        actor="maya",
        now=NOW,
        executors={ActionChannel.EMAIL: GmailDraftExecutor(service=service)},
    )
    assert result.action.status is ActionStatus.EXECUTING and "HTTP 500" in (result.action.execution_error or "")
    assert audit_trail(store, action_id=action.id)[-1].action == "action.execute_failed"
    service, _ = gmail_service([gmail_answer("drafts.list.empty"), gmail_answer("drafts.create")])
    done = execute_action(
        store,
        action_id=action.id,
        actor="maya",
        now=NOW + timedelta(minutes=5),
        executors={ActionChannel.EMAIL: GmailDraftExecutor(service=service)},
    )
    assert done.action.status is ActionStatus.EXECUTED and done.action.execution_error is None


def test_nothing_leaves_without_approval_and_decisions_are_audited(store: MemoryStore) -> None:
    action = _touchpoint(store)
    service, http = gmail_service([])
    executors: dict[ActionChannel, Any] = {ActionChannel.EMAIL: GmailDraftExecutor(service=service)}
    with pytest.raises(InvalidInput):
        execute_action(store, action_id=action.id, actor="maya", now=NOW, executors=executors)
    edited = edit_action(
        store, action_id=action.id, actor="maya", now=NOW, draft="Hi Rajesh, lunch soon?", subject="Lunch?"
    )
    assert (
        edited.action.edited and edited.action.draft == "Hi Rajesh, lunch soon?" and edited.action.subject == "Lunch?"
    )
    approved = approve_action(store, action_id=action.id, actor="maya", now=NOW)
    assert approved.action.status is ActionStatus.APPROVED
    # Editing an approved action takes the approval back.
    back = edit_action(store, action_id=action.id, actor="tom", now=NOW + timedelta(minutes=1), draft="Hi again")
    assert back.action.status is ActionStatus.PROPOSED and back.action.decided_by is None
    rejected = reject_action(store, action_id=action.id, actor="tom", now=NOW + timedelta(minutes=2), reason="not now")
    assert rejected.action.status is ActionStatus.REJECTED and rejected.action.reject_reason == "not now"
    with pytest.raises(InvalidInput):
        approve_action(store, action_id=action.id, actor="maya", now=NOW, executors=executors)
    assert http.request_sequence == []
    trail = audit_trail(store, action_id=action.id)
    assert [e.action for e in trail] == ["action.edit", "action.approve", "action.edit", "action.reject"]
    assert json.loads(trail[0].undo or "{}")["draft"] == action.draft
    assert [a.id for a in list_actions(store, status=ActionStatus.REJECTED)] == [action.id]


def test_internal_actions_complete_on_approval_and_missing_connections_wait(store: MemoryStore) -> None:
    internal = SuggestedAction(
        id="action_internal", kind="meeting_brief", agent="coordination", title="Brief", channel=ActionChannel.INTERNAL
    )
    email_action = SuggestedAction(
        id="action_email",
        kind="touchpoint",
        agent="relationship",
        title="Mail",
        channel=ActionChannel.EMAIL,
        recipients=["x@y.example"],
        draft="hi",
    )
    store.upsert_entities(entities=[internal, email_action])
    done = approve_action(store, action_id="action_internal", actor="maya", now=NOW, executors={})
    assert done.action.status is ActionStatus.EXECUTED and done.action.execution_id == "internal"
    waiting = approve_action(store, action_id="action_email", actor="maya", now=NOW, executors={})
    assert waiting.action.status is ActionStatus.APPROVED
    assert "no email connection" in (waiting.action.execution_error or "")


def test_slack_message_posted_once_even_after_a_crash(store: MemoryStore) -> None:
    action = SuggestedAction(
        id="action_slack",
        kind="intro_request",
        agent="goal",
        title="Ask #deals",
        channel=ActionChannel.SLACK,
        recipients=["C0DEALS"],
        draft="Who knows Omar Haddad?",
    )
    store.upsert_entities(entities=[action])
    with slack_server() as slack:
        client = WebClient(token=SLACK_TOKEN, base_url=slack.base_url)
        executors = {ActionChannel.SLACK: SlackMessageExecutor(client=client)}
        result = approve_action(store, action_id=action.id, actor="maya", now=NOW, executors=executors)
        assert result.action.status is ActionStatus.EXECUTED
        posted = slack.messages["C0DEALS"]
        assert len(posted) == 1 and posted[0]["text"] == "Who knows Omar Haddad?"
        assert posted[0]["metadata"]["event_payload"]["action_id"] == action.id
        assert result.action.execution_id == posted[0]["ts"]
        # A crash after posting: the retry looks the message up by its metadata and posts nothing.
        store.upsert_entities(entities=[result.action.model_copy(update={"status": ActionStatus.EXECUTING})])
        retried = execute_action(store, action_id=action.id, actor="maya", now=NOW, executors=executors)
        assert retried.recovered and retried.action.execution_id == posted[0]["ts"]
        assert slack.count("chat.postMessage") == 1 and slack.count("conversations.history") == 1
        # An unknown channel is a clear failure, not a crash.
        bad = SuggestedAction(
            id="action_bad",
            kind="x",
            agent="goal",
            title="t",
            channel=ActionChannel.SLACK,
            recipients=["nope"],
            draft="hi",
            status=ActionStatus.APPROVED,
        )
        store.upsert_entities(entities=[bad])
        failed = execute_action(store, action_id="action_bad", actor="maya", now=NOW, executors=executors)
        assert "channel_not_found" in (failed.action.execution_error or "")
