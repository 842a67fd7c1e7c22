"""A brute-force reference for ``k_best_paths``: every simple path, walked from the sources.

Slow on purpose (it enumerates every path of up to ``max_hops`` hops), so it is the
yardstick the stores' faster searches are checked against on small random graphs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Person


def random_network(rng: random.Random, *, people: int, edges: int) -> tuple[list[Person], list[Edge]]:
    """People ``x00``.. and KNOWS edges with coarse strengths (so scores tie), some without a strength."""
    ids = [f"x{i:02d}" for i in range(people)]
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < edges:
        a, b = rng.sample(ids, 2)
        pairs.add((min(a, b), max(a, b)))
    knows = []
    for a, b in sorted(pairs):
        props: dict[str, float] = (
            {} if rng.random() < 0.05 else {"strength": rng.choice([0.1, 0.2, 0.25, 0.5, 0.8, 1.0])}
        )
        knows.append(
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id=a,
                dst_label=NodeLabel.PERSON,
                dst_id=b,
                props=props,  # type: ignore[arg-type]
                provenance=["test"],
            )
        )
    return [Person(id=i, name=i) for i in ids], knows


def reference_paths(
    edges: Sequence[Edge],
    *,
    sources: Sequence[str],
    targets: Sequence[str],
    max_hops: int,
    k: int,
    min_strength: float = 0.0,
    people: set[str] | None = None,
) -> list[tuple[list[str], float]]:
    """(node ids, score) of the k best simple paths, in ``path_sort_key`` order."""
    ties: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for edge in edges:
        strength = float(edge.props.get("strength") or 0.0)  # type: ignore[arg-type]
        if strength >= min_strength:
            ties[edge.src_id].append((edge.dst_id, strength))
            ties[edge.dst_id].append((edge.src_id, strength))
    source_set, target_set = set(sources), set(targets)
    if people is not None:
        target_set &= people
    found: list[tuple[list[str], float]] = []

    def walk(trail: list[str], score: float) -> None:
        for other, strength in ties[trail[-1]]:
            if other in trail:
                continue
            if other in target_set:
                found.append(([*trail, other], score * strength))
            elif other not in source_set and len(trail) < max_hops:
                walk([*trail, other], score * strength)

    for source in sorted(source_set - target_set):
        if people is None or source in people:
            walk([source], 1.0)
    found.sort(key=lambda path: (-round(path[1], 12), len(path[0]), path[0]))
    return found[:k]
