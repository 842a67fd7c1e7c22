"""Relationship health lists: the ties of some people that are due, at risk or cooling.

Scoring writes the numbers onto each ``KNOWS`` edge (``attention_in_days``,
``at_risk`` with ``risk_reasons``, ``trend``, ``sentiment_trend``); this module
only reads and ranks them, so the list always agrees with the scores it shows.

- **due**: the pair's own rhythm says contact is needed within ``due_within_days``
  (negative ``attention_in_days``: overdue). Ties silent for more than a year are
  dormant, not due: a reminder every day for a 2001 correspondent helps nobody.
- **at risk**: scoring flagged the tie and wrote its reasons.
- **cooling**: the tone declined over the last messages (``sentiment_trend``), or
  contact fell against the 90 days before (``trend``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from tellgraph.errors import InvalidInput
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, StoredEdge

DORMANT_AFTER_DAYS = 365
"""A tie silent for longer than this (before the score's ``as_of``) is dormant, never due."""
MAX_TIES_PER_PERSON = 5000
MAX_DUE_WITHIN_DAYS = 365


class HealthKind(StrEnum):
    """Why a tie is on the list."""

    DUE = "due"
    AT_RISK = "at_risk"
    COOLING = "cooling"


class HealthItem(BaseModel):
    """One tie that needs attention: whose, with whom, why, and how urgent."""

    person: Node
    other: Node
    edge: StoredEdge
    kinds: list[HealthKind]
    attention_in_days: int | None
    priority: float


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _dormant(props: dict[str, object]) -> bool:
    last, as_of = props.get("last_interaction"), props.get("as_of")
    if not isinstance(last, datetime) or not isinstance(as_of, datetime):
        return False
    return (as_of - last).days > DORMANT_AFTER_DAYS


def classify(props: dict[str, object], *, due_within_days: int) -> list[HealthKind]:
    """The reasons a tie with these scores belongs on the health list (empty: it does not)."""
    kinds: list[HealthKind] = []
    attention = _int(props.get("attention_in_days"))
    if attention is not None and attention <= due_within_days and not _dormant(props):
        kinds.append(HealthKind.DUE)
    if props.get("at_risk") is True:
        kinds.append(HealthKind.AT_RISK)
    if props.get("sentiment_trend") == "cooling" or props.get("trend") == "falling":
        kinds.append(HealthKind.COOLING)
    return kinds


def _priority(props: dict[str, object], kinds: Sequence[HealthKind]) -> float:
    strength = float(props.get("strength") or 0.0)  # type: ignore[arg-type]
    attention = _int(props.get("attention_in_days"))
    overdue = max(0, -attention) if attention is not None and HealthKind.DUE in kinds else 0
    bonus = (0.2 if HealthKind.AT_RISK in kinds else 0.0) + (0.1 if HealthKind.COOLING in kinds else 0.0)
    return round(strength * (1 + min(overdue, 90) / 90) + bonus, 4)


def relationship_health(
    store: GraphStore,
    *,
    people: Sequence[Node],
    kinds: Sequence[HealthKind] | None = None,
    due_within_days: int = 7,
    min_strength: float = 0.0,
    limit: int = 20,
) -> list[HealthItem]:
    """The ties of ``people`` that are due, at risk or cooling, most urgent first.

    Ties among ``people`` themselves are left out (a team's health list is about
    the people outside it); a tie shows once per person in ``people``.

    Args:
        people: whose ties to check (a team, or one person).
        kinds: keep only ties with at least one of these reasons (all reasons by default).
        due_within_days: a tie is due when contact is needed within this many days.
        min_strength: ignore ties weaker than this.
        limit: at most this many items.

    Raises:
        InvalidInput: a limit, strength or day count out of range.
    """
    if not 0 <= due_within_days <= MAX_DUE_WITHIN_DAYS:
        raise InvalidInput("dueWithinDays", f"must be between 0 and {MAX_DUE_WITHIN_DAYS}")
    if not 0.0 <= min_strength <= 1.0:
        raise InvalidInput("minStrength", "must be between 0 and 1")
    if limit < 1:
        raise InvalidInput("first", "must be at least 1")
    wanted = set(kinds or HealthKind)
    inside = {p.id for p in people}
    items: list[HealthItem] = []
    for person in people:
        for neighbour in store.neighbours(
            label=NodeLabel.PERSON,
            node_id=person.id,
            rel_types=[RelType.KNOWS],
            limit=MAX_TIES_PER_PERSON,
            min_strength=min_strength,
        ):
            if neighbour.node.id in inside or neighbour.node.label is not NodeLabel.PERSON:
                continue
            props = neighbour.edge.props
            found = classify(props, due_within_days=due_within_days)
            if not wanted.intersection(found):
                continue
            items.append(
                HealthItem(
                    person=person,
                    other=neighbour.node,
                    edge=neighbour.edge,
                    kinds=found,
                    attention_in_days=_int(props.get("attention_in_days")),
                    priority=_priority(props, found),
                )
            )
    items.sort(key=lambda i: (-i.priority, i.person.id, i.other.id))
    return items[:limit]
