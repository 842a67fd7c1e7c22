"""A person's communications, newest first, paged by keyset (timestamp, id)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tellgraph.errors import InvalidInput
from tellgraph.graph.store import GraphStore
from tellgraph.schema.model import Node

MAX_TIMELINE_PAGE = 200


class TimelinePage(BaseModel):
    """One page of a timeline, whether another follows, and the person's total."""

    nodes: list[Node]
    has_next: bool
    total: int


def timeline(
    store: GraphStore, *, person_id: str, first: int = 20, before: tuple[datetime, str] | None = None
) -> TimelinePage:
    """The person's communications newest first, strictly after the keyset ``before`` (from a previous page).

    Raises:
        InvalidInput: a page size outside 0..MAX_TIMELINE_PAGE.
    """
    if not 0 <= first <= MAX_TIMELINE_PAGE:
        raise InvalidInput("first", f"must be between 0 and {MAX_TIMELINE_PAGE}")
    page = store.communications_of(person_id=person_id, before=before, limit=first + 1)
    return TimelinePage(nodes=page.nodes[:first], has_next=len(page.nodes) > first, total=page.total)


def keyset(node: Node) -> tuple[datetime, str]:
    """The (timestamp, id) position of a communication, for the next page's ``before``."""
    timestamp = node.props.get("timestamp")
    if not isinstance(timestamp, datetime):
        raise InvalidInput("after", "that communication has no timestamp")
    return timestamp, node.id
