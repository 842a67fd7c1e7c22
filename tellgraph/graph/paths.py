"""Exact k-best simple path search that meets in the middle (the embedded store's engine).

A path of ``L`` hops is split into a head of ``ceil(L/2)`` hops, walked from one
end, and a tail of ``floor(L/2)`` hops, walked from the other; the two halves meet
at one node. Walking both halves costs about ``deg^ceil(L/2) + deg^floor(L/2)``
steps instead of the ``deg^L`` of a walk from one end, which is what keeps 3-hop
searches around well-connected people interactive. Every path is found exactly
once, at its one split point, so the answer is the same as a full enumeration's.
``Neo4jStore`` plans the same split in Cypher (see ``neo4j_cypher.k_best_paths``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

NodeKey = tuple[str, str]
"""A node as ``(label, id)``."""

Tie = tuple[NodeKey, float, Mapping[str, Any]]
"""An edge seen from one of its ends: the node at the other end, the strength, the edge's properties."""

FoundPath = tuple[float, list[NodeKey], list[tuple[float, Mapping[str, Any]]]]
"""A path from a source to a target: its score, its nodes and its edges (strength, properties) in order."""


def best_paths(
    *,
    ties: Callable[[NodeKey], Sequence[Tie]],
    sources: Sequence[NodeKey],
    targets: Sequence[NodeKey],
    ends: Collection[str],
    max_hops: int,
    k: int,
) -> list[FoundPath]:
    """The ``k`` best simple paths of at most ``max_hops`` hops from any source to any target.

    Args:
        ties: the usable edges at a node (already filtered by type and strength);
            called at most once per node if it memoises.
        sources: where paths start; none of them may be a target.
        targets: where paths end.
        ends: ids that may not appear inside a path (every source and target id).
        max_hops: the longest path, in hops.
        k: how many paths to return.

    Returns:
        Paths ordered by highest score (the product of strengths, rounded to 12
        places), then fewest hops, then node ids: the order of ``path_sort_key``.
    """
    if not sources or not targets or max_hops < 1 or k < 1:
        return []
    # The side with fewer ties walks the longer half (they differ only for odd lengths).
    from_sources = sum(len(ties(n)) for n in sources) <= sum(len(ties(n)) for n in targets)
    heads, tails_from = (sources, targets) if from_sources else (targets, sources)
    far_ends = set(tails_from)
    tail_max = max_hops // 2
    head_max = max_hops - tail_max

    # Every tail: a walk of 1..tail_max hops from a far end through inner nodes, by the node it reaches.
    tails: dict[NodeKey, list[tuple[list[NodeKey], list[tuple[float, Mapping[str, Any]]]]]] = defaultdict(list)

    def walk_tail(nodes: list[NodeKey], edges: list[tuple[float, Mapping[str, Any]]]) -> None:
        for other, strength, props in ties(nodes[-1]):
            if other[1] in ends or other in nodes:
                continue
            longer, through = [*nodes, other], [*edges, (strength, props)]
            tails[other].append((longer, through))
            if len(through) < tail_max:
                walk_tail(longer, through)

    if tail_max:
        for start in tails_from:
            walk_tail([start], [])

    found: list[FoundPath] = []

    def record(nodes: list[NodeKey], edges: list[tuple[float, Mapping[str, Any]]]) -> None:
        if not from_sources:
            nodes, edges = nodes[::-1], edges[::-1]
        score = 1.0
        for strength, _ in edges:  # source to target, as Neo4j multiplies
            score *= strength
        found.append((score, nodes, edges))

    def walk_head(nodes: list[NodeKey], edges: list[tuple[float, Mapping[str, Any]]]) -> None:
        depth = len(edges) + 1
        for other, strength, props in ties(nodes[-1]):
            if other in nodes:
                continue
            if other[1] in ends:
                if depth == 1 and other in far_ends:
                    record([*nodes, other], [*edges, (strength, props)])
                continue
            longer, through = [*nodes, other], [*edges, (strength, props)]
            # A path of L hops meets here when its head has ceil(L/2) = depth hops,
            # so its tail has depth - 1 or depth hops.
            for tail_nodes, tail_edges in tails.get(other, ()):
                hops = len(tail_edges)
                if hops < depth - 1 or hops > depth or depth + hops > max_hops:
                    continue
                if any(x in longer for x in tail_nodes[1:-1]):
                    continue
                record(longer + tail_nodes[-2::-1], through + tail_edges[::-1])
            if depth < head_max:
                walk_head(longer, through)

    for start in heads:
        walk_head([start], [])
    found.sort(key=lambda path: (-round(path[0], 12), len(path[2]), [node[1] for node in path[1]]))
    return found[:k]
