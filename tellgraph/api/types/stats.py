"""Graph size."""

from __future__ import annotations

import strawberry


@strawberry.type(description="How many of one label or type.")
class CountEntry:
    name: str
    count: int


@strawberry.type(description="How many nodes and edges the graph holds.")
class Stats:
    nodes: list[CountEntry]
    edges: list[CountEntry]
