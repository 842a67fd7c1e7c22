"""The demo goal: "Win the AFC rights package", from ``demo/goal.json``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tellgraph.errors import InvalidInput
from tellgraph.goals.embedding import Embedder
from tellgraph.goals.models import GoalInput, GoalRecord
from tellgraph.goals.service import create_goal, parse_deadline
from tellgraph.graph.store import GraphStore


def load_goal_file(path: Path) -> GoalInput:
    """A goal from a JSON file shaped like ``demo/goal.json``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput("goal file", f"{path}: {exc}") from exc
    targets = raw.get("targets") or {}
    return GoalInput(
        name=raw["name"],
        description=raw.get("description"),
        companies=list(targets.get("companies") or []),
        people=list(targets.get("people") or []),
        projects=list(targets.get("projects") or []),
        deadline=parse_deadline(raw.get("deadline")),
        owner=raw.get("owner"),
        team=list(raw.get("team") or []),
        suggest=bool(raw.get("suggest", True)),
    )


def create_demo_goal(
    store: GraphStore, *, demo_dir: Path, now: datetime, embedder: Embedder | None = None
) -> GoalRecord:
    """Create the goal in ``demo_dir/goal.json`` (idempotent: the goal id comes from its name).

    Call it after the demo data is ingested and scored, so targets resolve to the
    people and companies the data holds.
    """
    return create_goal(store, goal=load_goal_file(demo_dir / "goal.json"), now=now, embedder=embedder)
