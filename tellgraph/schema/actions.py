"""Entities the agents write: suggested actions awaiting a person's decision, and signals.

A :class:`SuggestedAction` is a proposal (a touchpoint email, an intro request, a
meeting brief...) that stays inside tellgraph until someone approves it; its id is
derived from (agent, kind, target, period) so that an agent run repeated in the
same period proposes nothing new. A :class:`Signal` is a trigger event found in
the outside world (a funding round, a leadership change) linked by ``CONCERNS``
edges to the companies and people it is about.

Both are registered in :data:`tellgraph.schema.model.ENTITY_TYPES` when the
``tellgraph.schema`` package is imported (see its ``__init__``), so stores can
write and read them like every other entity.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import ENTITY_TYPES, MAX_NAME_LENGTH, MAX_TEXT_LENGTH, Entity, stable_id


class ActionStatus(StrEnum):
    """Where an action is in its life: proposed, then decided, then (maybe) carried out."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTING = "executing"
    """The external call has started: a retry must check whether it already happened."""
    EXECUTED = "executed"


class ActionChannel(StrEnum):
    """How an action reaches the world; everything but ``internal`` leaves the system."""

    EMAIL = "email"
    SLACK = "slack"
    INTERNAL = "internal"

    @property
    def leaves_system(self) -> bool:
        """Whether carrying the action out sends something outside tellgraph."""
        return self is not ActionChannel.INTERNAL


def action_id(agent: str, kind: str, target: str, period: str) -> str:
    """The idempotent id of an action: one per agent, kind, target and period."""
    return stable_id("action", agent, kind, target, period)


class SuggestedAction(Entity):
    """Something an agent proposes a person do (or approve), with the reasons why.

    ``target_ids`` are the entities the action is about (also linked by ``CONCERNS``
    edges); ``recipients`` are where an outgoing message would go (email addresses
    or a Slack channel id). ``execution_id`` is the external id of what execution
    created (a Gmail draft id, a Slack message ``ts``); ``execution_key`` is the
    deterministic marker sent with the call so a retry after a crash can find it.
    """

    LABEL: ClassVar[NodeLabel] = NodeLabel.SUGGESTED_ACTION
    KEEP_FIRST: ClassVar[frozenset[str]] = frozenset({"proposed_at"})

    kind: str = Field(min_length=1, max_length=60)
    agent: str = Field(min_length=1, max_length=60)
    channel: ActionChannel = ActionChannel.INTERNAL
    status: ActionStatus = ActionStatus.PROPOSED
    period: str = ""
    title: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    target_ids: list[str] = Field(default_factory=list)
    goal_id: str | None = None
    actor_id: str | None = None
    """The team member who would act (send the email, make the call)."""
    via_id: str | None = None
    """The connector an introduction goes through, when there is one."""
    recipients: list[str] = Field(default_factory=list)
    subject: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    draft: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    reasons: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    priority: float = 0.0
    proposed_at: datetime | None = None
    edited: bool = False
    decided_by: str | None = None
    decided_at: datetime | None = None
    reject_reason: str | None = None
    execution_key: str | None = None
    execution_id: str | None = None
    executed_at: datetime | None = None
    execution_error: str | None = None
    attempts: int = 0

    @property
    def needs_approval(self) -> bool:
        """Anything that leaves the system waits for a person's approval."""
        return self.channel.leaves_system


class SignalKind(StrEnum):
    """Trigger events worth acting on."""

    FUNDING = "funding"
    LEADERSHIP_CHANGE = "leadership_change"
    EXPANSION = "expansion"
    JOB_CHANGE = "job_change"
    NEWS = "news"


class Signal(Entity):
    """A trigger event read from a feed or page, linked (``CONCERNS``) to what it is about."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.SIGNAL
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset({"matched", "keywords"})
    KEEP_FIRST: ClassVar[frozenset[str]] = frozenset({"detected_at"})

    kind: SignalKind
    title: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    summary: str | None = Field(default=None, max_length=2_000)
    url: str | None = None
    source: str
    published_at: datetime | None = None
    detected_at: datetime | None = None
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    matched: list[str] = Field(default_factory=list)
    """The names in the item that matched graph entities."""
    keywords: list[str] = Field(default_factory=list)
    """The words that made the item this kind of trigger."""


for _cls in (SuggestedAction, Signal):
    ENTITY_TYPES.setdefault(_cls.LABEL, _cls)
