"""Both stores find exactly the paths full enumeration finds, on small random networks."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from tellgraph.graph.store import GraphStore
from tests.path_reference import random_network, reference_paths

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("seed", [1, 2])
def test_k_best_paths_match_full_enumeration(store: GraphStore, seed: int) -> None:
    rng = random.Random(seed)
    people, edges = random_network(rng, people=20, edges=45)
    store.upsert_entities(entities=people)
    store.upsert_edges(edges=edges, now=NOW)
    ids = [p.id for p in people] + ["ghost"]
    for _ in range(12):
        sources = rng.sample(ids, rng.choice([1, 3]))
        targets = rng.sample(ids, rng.choice([1, 2]))
        max_hops, k = rng.randint(1, 6), rng.choice([3, 100])
        min_strength = rng.choice([0.0, 0.2])
        got = store.k_best_paths(sources=sources, targets=targets, max_hops=max_hops, k=k, min_strength=min_strength)
        want = reference_paths(
            edges, sources=sources, targets=targets, max_hops=max_hops, k=k, min_strength=min_strength
        )
        assert [p.node_ids for p in got] == [ids for ids, _ in want], (sources, targets, max_hops, k)
        assert [p.score for p in got] == pytest.approx([score for _, score in want], abs=1e-12)
        for path in got:
            assert [(h.src_id, h.dst_id) for h in path.hops] == list(
                zip(path.node_ids, path.node_ids[1:], strict=False)
            )


def test_repeated_edges_in_one_batch_apply_in_order(store: GraphStore) -> None:
    """Later copies of an edge win property by property; provenance is unioned in order."""
    from tellgraph.schema.labels import NodeLabel, RelType
    from tellgraph.schema.model import Edge, Person

    def knows(props: dict[str, object], provenance: list[str]) -> Edge:
        return Edge(
            type=RelType.KNOWS,
            src_label=NodeLabel.PERSON,
            src_id="b",
            dst_label=NodeLabel.PERSON,
            dst_id="a",
            props=props,  # type: ignore[arg-type]
            provenance=provenance,
        )

    store.upsert_entities(entities=[Person(id="a"), Person(id="b")])
    written = store.upsert_edges(
        edges=[
            knows({"strength": 0.5, "note": "x", "last_interaction": NOW}, ["s1", "s2"]),
            knows({"strength": 0.7}, ["s3", "s1"]),
            knows({"note": None, "seen": 3}, ["s2", "s4"]),
            knows({"strength": 0.9}, []),
        ],
        now=NOW,
    )
    assert written == 4
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id="a", dst_label=NodeLabel.PERSON, dst_id="b"
    )
    assert edge is not None
    props = {k: v for k, v in edge.props.items() if k != "created_at"}
    assert props == {"strength": 0.9, "seen": 3, "last_interaction": NOW, "provenance": ["s1", "s2", "s3", "s4"]}
