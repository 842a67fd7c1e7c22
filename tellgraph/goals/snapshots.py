"""Goal state over time: the key numbers of each goal map, kept as audit entries.

A snapshot is an ``AuditEntry`` with ``action = "goal.snapshot"``, linked to its
goal by a ``CONCERNS`` edge; ``details`` holds the numbers as JSON (coverage,
reach, activity, open stalls and gaps with their keys). Its id is derived from
the goal and the UTC day, so recording several maps on one day keeps the last
one, and agent runs repeated under the same clock change nothing.
"""

from __future__ import annotations

import json
from datetime import datetime

from tellgraph.goals.models import GoalMap, SnapshotView
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import AuditEntry, Edge, stable_id

SNAPSHOT_ACTION = "goal.snapshot"
MAX_HISTORY = 400
"""Snapshots read back per goal (more than a year of daily runs)."""


def snapshot_id(goal_id: str, at: datetime) -> str:
    """One snapshot per goal per UTC day."""
    return stable_id("goalsnap", goal_id, at.date().isoformat())


def record_snapshot(store: GraphStore, *, goal_map: GoalMap, actor: str = "goal-agent") -> SnapshotView:
    """Store the key numbers of ``goal_map`` (as of its ``generated_at``)."""
    view = SnapshotView(
        at=goal_map.generated_at,
        coverage=goal_map.coverage.ratio,
        reach_score=goal_map.momentum.reach_score,
        activity_30=goal_map.momentum.activity_30,
        open_stalls=len(goal_map.stalls),
        gaps=len(goal_map.gaps),
        stall_keys=sorted(s.key for s in goal_map.stalls),
        gap_keys=sorted(g.key for g in goal_map.gaps),
    )
    goal_id = goal_map.goal.goal.id
    entry = AuditEntry(
        id=snapshot_id(goal_id, goal_map.generated_at),
        action=SNAPSHOT_ACTION,
        actor=actor,
        at=goal_map.generated_at,
        subject_ids=[goal_id],
        details=view.model_dump_json(),
    )
    edge = Edge(
        type=RelType.CONCERNS,
        src_label=NodeLabel.AUDIT_ENTRY,
        src_id=entry.id,
        dst_label=NodeLabel.GOAL,
        dst_id=goal_id,
        provenance=["goal-agent"],
    )
    store.write_batch(entities=[entry], edges=[edge], now=goal_map.generated_at)
    return view


def list_snapshots(store: GraphStore, *, goal_id: str, before: datetime | None = None) -> list[SnapshotView]:
    """A goal's snapshots, oldest first; only those strictly before ``before`` when given."""
    views = []
    for neighbour in store.neighbours(
        label=NodeLabel.GOAL, node_id=goal_id, rel_types=[RelType.CONCERNS], limit=MAX_HISTORY * 4
    ):
        node = neighbour.node
        if node.label is not NodeLabel.AUDIT_ENTRY or node.props.get("action") != SNAPSHOT_ACTION:
            continue
        try:
            view = SnapshotView.model_validate(json.loads(node.props.get("details") or "{}"))
        except ValueError:
            continue  # a damaged snapshot must not break the map
        if before is None or view.at < before:
            views.append(view)
    views.sort(key=lambda v: v.at)
    return views[-MAX_HISTORY:]
