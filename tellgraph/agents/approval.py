"""Approve, reject, edit and execute suggested actions, with an audit entry for each.

Nothing leaves the system without approval: :func:`execute_action` refuses any
action that is not approved. Execution is idempotent: the status becomes
``executing`` (with a deterministic execution key) *before* the external call and
``executed`` (with the external id) after it; a retry finds ``executed`` and does
nothing, or finds ``executing`` and first asks the service whether the earlier
call went through, so a crash between the two writes never sends twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from tellgraph.agents.executors import ExecutionFailed, Executor
from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, ActionStatus, SuggestedAction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import MAX_TEXT_LENGTH, AuditEntry, Edge, stable_id

logger = logging.getLogger(__name__)

MAX_LIST = 5000


class ActionResult(BaseModel):
    """An action after a decision, and what happened outside."""

    action: SuggestedAction
    executed_now: bool = False
    recovered: bool = False
    """A retry found that an earlier, interrupted attempt had already gone through."""
    message: str


def get_action(store: GraphStore, *, action_id: str) -> SuggestedAction:
    """One suggested action.

    Raises:
        NotFound: no action has that id.
    """
    nodes = store.get_nodes(label=NodeLabel.SUGGESTED_ACTION, ids=[action_id])
    if not nodes:
        raise NotFound("suggested action", action_id)
    entity = nodes[0].as_entity()
    assert isinstance(entity, SuggestedAction)
    return entity


def list_actions(
    store: GraphStore, *, status: ActionStatus | None = None, limit: int = MAX_LIST
) -> list[SuggestedAction]:
    """Actions (of one status), highest priority first, then newest, then by id."""
    if status is not None:
        nodes = store.find_nodes(label=NodeLabel.SUGGESTED_ACTION, prop="status", value=status.value, limit=MAX_LIST)
    else:
        nodes = []
        after: str | None = None
        while len(nodes) < MAX_LIST:
            page = store.list_nodes(label=NodeLabel.SUGGESTED_ACTION, after=after, limit=1000)
            nodes += page
            if len(page) < 1000:
                break
            after = page[-1].id
    actions = [a for a in (n.as_entity() for n in nodes) if isinstance(a, SuggestedAction)]
    actions.sort(key=lambda a: (-a.priority, -(a.proposed_at.timestamp() if a.proposed_at else 0.0), a.id))
    return actions[:limit]


def audit_trail(store: GraphStore, *, action_id: str) -> list[AuditEntry]:
    """The audit entries of one action, oldest first."""
    entries = [
        n.node.as_entity()
        for n in store.neighbours(
            label=NodeLabel.SUGGESTED_ACTION, node_id=action_id, rel_types=[RelType.CONCERNS], limit=1000
        )
        if n.node.label is NodeLabel.AUDIT_ENTRY
    ]
    audits = [e for e in entries if isinstance(e, AuditEntry)]
    audits.sort(key=lambda e: (e.at, _seq(e), e.id))
    return audits


def _seq(entry: AuditEntry) -> int:
    try:
        return int(json.loads(entry.details or "{}").get("seq", 0))
    except (ValueError, AttributeError):
        return 0


def _audit(
    store: GraphStore,
    *,
    action: SuggestedAction,
    what: str,
    actor: str,
    now: datetime,
    details: Mapping[str, Any],
    undo: Mapping[str, Any] | None = None,
) -> AuditEntry:
    # Entries written within the same instant keep their order through a per-action sequence number.
    seq = store.degree(label=NodeLabel.SUGGESTED_ACTION, node_id=action.id, rel_types=[RelType.CONCERNS])
    entry = AuditEntry(
        id=stable_id("audit", action.id, what, now.isoformat(), str(action.attempts)),
        action=what,
        actor=actor,
        at=now,
        subject_ids=[action.id, *action.target_ids],
        details=json.dumps(
            {"kind": action.kind, "channel": action.channel.value, "seq": seq, **details}, default=str, sort_keys=True
        ),
        undo=json.dumps(undo, default=str, sort_keys=True) if undo is not None else None,
    )
    edge = Edge(
        type=RelType.CONCERNS,
        src_label=NodeLabel.AUDIT_ENTRY,
        src_id=entry.id,
        dst_label=NodeLabel.SUGGESTED_ACTION,
        dst_id=action.id,
        provenance=["approval"],
    )
    store.write_batch(entities=[entry], edges=[edge], now=now)
    return entry


def _save(store: GraphStore, action: SuggestedAction, *, clear: tuple[str, ...] = ()) -> SuggestedAction:
    store.upsert_entities(entities=[action])
    if clear:
        # Upserts never erase: fields that must become empty are removed explicitly.
        store.remove_node_props(label=NodeLabel.SUGGESTED_ACTION, node_id=action.id, names=list(clear))
    store.flush()
    return get_action(store, action_id=action.id)


def _check_actor(actor: str) -> str:
    actor = actor.strip()
    if not actor:
        raise InvalidInput("actor", "say who decides")
    return actor[:200]


def approve_action(
    store: GraphStore,
    *,
    action_id: str,
    actor: str,
    now: datetime,
    executors: Mapping[ActionChannel, Executor] | None = None,
) -> ActionResult:
    """Approve a proposed action and carry it out when an executor for its channel is given.

    Approving an approved action again retries its execution; an executed one is
    returned as it is.

    Raises:
        NotFound: no such action.
        InvalidInput: the action was rejected.
    """
    actor = _check_actor(actor)
    action = get_action(store, action_id=action_id)
    if action.status is ActionStatus.REJECTED:
        raise InvalidInput("action", "it was rejected; edit it to propose it again")
    if action.status is ActionStatus.PROPOSED:
        action = _save(
            store, action.model_copy(update={"status": ActionStatus.APPROVED, "decided_by": actor, "decided_at": now})
        )
        _audit(store, action=action, what="action.approve", actor=actor, now=now, details={"title": action.title})
    if action.status is ActionStatus.EXECUTED:
        return ActionResult(action=action, message=f"already carried out ({action.execution_id})")
    if executors is None:
        return ActionResult(action=action, message="approved")
    return execute_action(store, action_id=action.id, actor=actor, now=now, executors=executors)


def reject_action(
    store: GraphStore, *, action_id: str, actor: str, now: datetime, reason: str | None = None
) -> ActionResult:
    """Reject a proposed or approved (not yet executed) action.

    Raises:
        NotFound: no such action.
        InvalidInput: it has already been carried out (or is being).
    """
    actor = _check_actor(actor)
    action = get_action(store, action_id=action_id)
    if action.status in (ActionStatus.EXECUTED, ActionStatus.EXECUTING):
        raise InvalidInput("action", f"it is already {action.status.value}")
    if action.status is ActionStatus.REJECTED:
        return ActionResult(action=action, message="already rejected")
    previous = action.status
    reason = (reason or "").strip()[:1000] or None
    action = _save(
        store,
        action.model_copy(
            update={"status": ActionStatus.REJECTED, "decided_by": actor, "decided_at": now, "reject_reason": reason}
        ),
    )
    _audit(
        store,
        action=action,
        what="action.reject",
        actor=actor,
        now=now,
        details={"reason": reason},
        undo={"status": previous.value},
    )
    return ActionResult(action=action, message="rejected")


def edit_action(
    store: GraphStore, *, action_id: str, actor: str, now: datetime, draft: str, subject: str | None = None
) -> ActionResult:
    """Replace an action's draft (and subject); an approved action goes back to proposed for a fresh approval.

    Raises:
        NotFound: no such action.
        InvalidInput: an empty or oversized draft, or an action already carried out.
    """
    actor = _check_actor(actor)
    draft = draft.strip()
    if not draft or len(draft) > MAX_TEXT_LENGTH:
        raise InvalidInput("draft", f"must hold 1 to {MAX_TEXT_LENGTH} characters")
    action = get_action(store, action_id=action_id)
    if action.status in (ActionStatus.EXECUTED, ActionStatus.EXECUTING):
        raise InvalidInput("action", f"it is already {action.status.value}")
    undo = {"draft": action.draft, "subject": action.subject, "status": action.status.value}
    update: dict[str, Any] = {"draft": draft, "edited": True, "status": ActionStatus.PROPOSED}
    if subject is not None and subject.strip():
        update["subject"] = subject.strip()[:300]
    action = _save(store, action.model_copy(update=update), clear=("decided_by", "decided_at", "reject_reason"))
    _audit(
        store,
        action=action,
        what="action.edit",
        actor=actor,
        now=now,
        details={"draft_chars": len(draft), "subject": action.subject},
        undo=undo,
    )
    return ActionResult(action=action, message="edited; approve it to carry it out")


def execute_action(
    store: GraphStore,
    *,
    action_id: str,
    actor: str,
    now: datetime,
    executors: Mapping[ActionChannel, Executor],
) -> ActionResult:
    """Carry out an approved action exactly once (see the module docstring).

    Raises:
        NotFound: no such action.
        InvalidInput: the action is not approved.
    """
    action = get_action(store, action_id=action_id)
    if action.status is ActionStatus.EXECUTED:
        return ActionResult(action=action, message=f"already carried out ({action.execution_id})")
    if action.status not in (ActionStatus.APPROVED, ActionStatus.EXECUTING):
        raise InvalidInput("action", f"it is {action.status.value}; only approved actions are carried out")
    if action.channel is ActionChannel.INTERNAL:
        done = _save(
            store,
            action.model_copy(update={"status": ActionStatus.EXECUTED, "execution_id": "internal", "executed_at": now}),
        )
        _audit(store, action=done, what="action.execute", actor=actor, now=now, details={"external": False})
        return ActionResult(action=done, executed_now=True, message="done (nothing leaves the system)")
    executor = executors.get(action.channel)
    if executor is None:
        note = f"no {action.channel.value} connection is configured; the action stays approved"
        action = _save(store, action.model_copy(update={"execution_error": note}))
        return ActionResult(action=action, message=note)

    if action.status is ActionStatus.EXECUTING:
        # An earlier attempt started the call and did not record the outcome: did it go through?
        try:
            found = executor.find(action)
        except ExecutionFailed as exc:
            return _failed(store, action=action, actor=actor, now=now, error=exc)
        if found is not None:
            return _succeeded(store, action=action, actor=actor, now=now, external_id=found, recovered=True)

    key = action.execution_key or stable_id("exec", action.id)
    action = _save(
        store,
        action.model_copy(
            update={"status": ActionStatus.EXECUTING, "execution_key": key, "attempts": action.attempts + 1}
        ),
    )
    _audit(store, action=action, what="action.execute_started", actor=actor, now=now, details={"key": key})
    try:
        external_id = executor.execute(action)
    except ExecutionFailed as exc:
        return _failed(store, action=action, actor=actor, now=now, error=exc)
    return _succeeded(store, action=action, actor=actor, now=now, external_id=external_id, recovered=False)


def _succeeded(
    store: GraphStore, *, action: SuggestedAction, actor: str, now: datetime, external_id: str, recovered: bool
) -> ActionResult:
    done = _save(
        store,
        action.model_copy(update={"status": ActionStatus.EXECUTED, "execution_id": external_id, "executed_at": now}),
        clear=("execution_error",),
    )
    _audit(
        store,
        action=done,
        what="action.execute",
        actor=actor,
        now=now,
        details={"external_id": external_id, "recovered": recovered},
    )
    what = "Gmail draft" if done.channel is ActionChannel.EMAIL else "Slack message"
    return ActionResult(
        action=done,
        executed_now=not recovered,
        recovered=recovered,
        message=f"{what} {external_id}" + (" (found from an interrupted attempt)" if recovered else ""),
    )


def _failed(
    store: GraphStore, *, action: SuggestedAction, actor: str, now: datetime, error: ExecutionFailed
) -> ActionResult:
    # The status stays ``executing``: the next attempt asks the service before calling again.
    failed = _save(store, action.model_copy(update={"execution_error": error.reason[:500]}))
    _audit(store, action=failed, what="action.execute_failed", actor=actor, now=now, details={"error": error.reason})
    logger.warning("action %s failed: %s", action.id, error)
    return ActionResult(action=failed, message=str(error))
