"""GraphQL queries and mutations for goals and suggested actions.

``GoalQuery`` and ``GoalMutation`` are merged into the root types with
``strawberry.tools.merge_types``. Reads need a viewer token, writes an editor.
Store work runs in the request's thread pool (``ctx.run``), as in the root schema.

Approved actions leave the system through the executors configured in the
settings (a saved Gmail token, a Slack token); :func:`register_executors` lets a
deployment or a test choose them instead.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

import strawberry

from tellgraph.agents import approval
from tellgraph.agents.executors import Executor, executors_from_settings
from tellgraph.api import permissions
from tellgraph.api.context import Context, Info
from tellgraph.api.goal_types import (
    ActionOutcome,
    CreateGoalInput,
    GoalDetail,
    GoalMap,
    SuggestedAction,
    SuggestedActionStatus,
)
from tellgraph.api.types.pagination import Connection, offset_connection, page_size
from tellgraph.api.types.pagination import decode_offset as _decode_offset
from tellgraph.errors import InvalidInput
from tellgraph.goals import map as goal_maps
from tellgraph.goals import service as goals
from tellgraph.goals.embedding import Embedder
from tellgraph.goals.models import GoalInput
from tellgraph.schema.actions import ActionChannel
from tellgraph.schema.model import as_utc, utcnow
from tellgraph.settings import Settings

_EXECUTORS: dict[int, Mapping[ActionChannel, Executor]] = {}
_EXECUTORS_LOCK = threading.Lock()


def register_executors(*, settings: Settings, executors: Mapping[ActionChannel, Executor]) -> None:
    """Use these executors for requests served with ``settings`` (instead of building them from it)."""
    with _EXECUTORS_LOCK:
        _EXECUTORS[id(settings)] = executors


def _executors(settings: Settings) -> Mapping[ActionChannel, Executor]:
    # Built once per settings object: the Gmail and Slack clients are reused across requests.
    with _EXECUTORS_LOCK:
        if id(settings) not in _EXECUTORS:
            _EXECUTORS[id(settings)] = executors_from_settings(settings)
        return _EXECUTORS[id(settings)]


def _embedder(ctx: Context) -> Embedder | None:
    # Semantic matching when the model is already loaded; a goal map never waits seconds for it.
    return ctx.shared.embedder


def _goal_input(data: CreateGoalInput) -> GoalInput:
    try:
        return data.to_domain()
    except ValueError as exc:
        errors = getattr(exc, "errors", None)
        if callable(errors):
            first = errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "input"
            raise InvalidInput(field, first["msg"]) from None
        raise InvalidInput("input", str(exc)) from None


@strawberry.type
class GoalQuery:
    """Read goals, goal maps and suggested actions."""

    @strawberry.field(description="A goal with its owner, team and targets.", extensions=permissions.viewer())
    async def goal(self, info: Info, id: strawberry.ID) -> GoalDetail:
        ctx = info.context
        return GoalDetail.from_domain(await ctx.run(goals.get_goal, ctx.store, goal_id=str(id)))

    @strawberry.field(description="Goals ordered by id.", extensions=permissions.viewer())
    async def goals(self, info: Info, first: int = 20, after: str | None = None) -> Connection[GoalDetail]:
        ctx = info.context
        size = page_size(first, cap=ctx.settings.api_max_page)
        offset = _decode_offset(after)

        def page() -> tuple[list[GoalDetail], int]:
            everything = goals.list_goals(ctx.store, limit=10_000)
            window = everything[offset : offset + size]
            return [GoalDetail.from_domain(goals.get_goal(ctx.store, goal_id=g.id)) for g in window], len(everything)

        details, total = await ctx.run(page)
        return offset_connection(details, offset=offset, size=size, total=total, convert=lambda d: d)

    @strawberry.field(
        description="The goal map: key people, reach, coverage, gaps, activity, stalls and next steps.",
        extensions=permissions.viewer(),
    )
    async def goal_map(self, info: Info, goal_id: strawberry.ID, as_of: datetime | None = None) -> GoalMap:
        ctx = info.context
        now = as_utc(as_of) if as_of else utcnow()
        found = await ctx.run(goal_maps.goal_map, ctx.store, goal_id=str(goal_id), now=now, embedder=_embedder(ctx))
        return GoalMap.from_domain(found)

    @strawberry.field(description="Suggested actions, highest priority first.", extensions=permissions.viewer())
    async def suggested_actions(
        self,
        info: Info,
        status: SuggestedActionStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[SuggestedAction]:
        ctx = info.context
        size = page_size(first, cap=ctx.settings.api_max_page)
        offset = _decode_offset(after)
        actions = await ctx.run(approval.list_actions, ctx.store, status=status.to_domain() if status else None)
        return offset_connection(
            actions[offset:], offset=offset, size=size, total=len(actions), convert=SuggestedAction.from_domain
        )

    @strawberry.field(description="One suggested action.", extensions=permissions.viewer())
    async def suggested_action(self, info: Info, id: strawberry.ID) -> SuggestedAction:
        ctx = info.context
        return SuggestedAction.from_domain(await ctx.run(approval.get_action, ctx.store, action_id=str(id)))


@strawberry.type
class GoalMutation:
    """Create goals; approve, reject and edit suggested actions."""

    @strawberry.mutation(
        description="Create (or update, by name) a goal; targets are resolved, or suggested from the description.",
        extensions=permissions.editor(),
    )
    async def create_goal(self, info: Info, input: CreateGoalInput) -> GoalDetail:
        ctx = info.context
        record = await ctx.run(
            goals.create_goal,
            ctx.store,
            goal=_goal_input(input),
            now=utcnow(),
            embedder=_embedder(ctx),
            actor=ctx.actor,
        )
        return GoalDetail.from_domain(record)

    @strawberry.mutation(
        description="Approve an action: an email becomes a Gmail draft, a Slack message is posted (once).",
        extensions=permissions.editor(),
    )
    async def approve_action(self, info: Info, id: strawberry.ID) -> ActionOutcome:
        ctx = info.context
        result = await ctx.run(
            approval.approve_action,
            ctx.store,
            action_id=str(id),
            actor=ctx.actor,
            now=utcnow(),
            executors=_executors(ctx.settings),
        )
        return ActionOutcome.from_domain(result)

    @strawberry.mutation(description="Reject an action that has not been carried out.", extensions=permissions.editor())
    async def reject_action(self, info: Info, id: strawberry.ID, reason: str | None = None) -> ActionOutcome:
        ctx = info.context
        result = await ctx.run(
            approval.reject_action, ctx.store, action_id=str(id), actor=ctx.actor, now=utcnow(), reason=reason
        )
        return ActionOutcome.from_domain(result)

    @strawberry.mutation(
        description="Replace an action's draft (and subject); it then needs a fresh approval.",
        extensions=permissions.editor(),
    )
    async def edit_action(self, info: Info, id: strawberry.ID, draft: str, subject: str | None = None) -> ActionOutcome:
        ctx = info.context
        result = await ctx.run(
            approval.edit_action,
            ctx.store,
            action_id=str(id),
            actor=ctx.actor,
            now=utcnow(),
            draft=draft,
            subject=subject,
        )
        return ActionOutcome.from_domain(result)


__all__ = ["GoalMutation", "GoalQuery", "register_executors"]
