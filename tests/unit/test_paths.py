"""The embedded store's meet-in-the-middle path search gives exactly what full enumeration gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tellgraph.graph.memory import MemoryStore
from tests.path_reference import random_network, reference_paths

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("seed", range(8))
def test_k_best_paths_match_full_enumeration(seed: int) -> None:
    rng = random.Random(seed)
    people, edges = random_network(rng, people=24, edges=rng.choice([30, 60, 90]))
    store = MemoryStore()
    store.upsert_entities(entities=people)
    store.upsert_edges(edges=edges, now=NOW)
    ids = [p.id for p in people] + ["ghost"]
    for _ in range(40):
        sources = rng.sample(ids, rng.choice([1, 2, 3, 5]))
        targets = rng.sample(ids, rng.choice([1, 1, 2, 3]))
        max_hops, k = rng.randint(1, 5), rng.choice([1, 5, 20, 100])
        min_strength = rng.choice([0.0, 0.0, 0.2, 0.5])
        got = store.k_best_paths(sources=sources, targets=targets, max_hops=max_hops, k=k, min_strength=min_strength)
        want = reference_paths(
            edges, sources=sources, targets=targets, max_hops=max_hops, k=k, min_strength=min_strength
        )
        assert [(p.node_ids, p.score) for p in got] == want, (sources, targets, max_hops, k, min_strength)
        for path in got:
            assert [(h.src_id, h.dst_id) for h in path.hops] == list(
                zip(path.node_ids, path.node_ids[1:], strict=False)
            )
            assert all(h.props["provenance"] == ["test"] for h in path.hops)
