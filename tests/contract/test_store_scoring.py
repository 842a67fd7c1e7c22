"""The store methods scoring relies on, and the rebuild itself, give the same answers in both stores."""

from __future__ import annotations

from pathlib import Path

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.scoring.incremental import rescore_communications
from tellgraph.settings import Settings
from tests.unit.scoring.helpers import at, mail, meeting, write

COMMS = [
    mail("ann", ["bo"], days=0, thread="t", cid="m1"),
    mail("bo", ["ann"], cc=["cy"], days=1, thread="t", cid="m2"),
    mail("hub", ["ann", "bo", "cy", "dee"], days=2, cid="m3"),
    meeting("cy", ["cy", "dee"], days=3),
    mail("dee", ["dee"], days=4, cid="m5"),
]


def test_interactions_of_pairs(store: GraphStore) -> None:
    write(store, COMMS)
    found = store.interactions_of_pairs(pairs=[("bo", "ann")])
    assert [i.id for i in found] == ["m1", "m2", "m3"]  # m3: both received it (scoring decides what counts)
    m2 = found[1]
    assert m2.senders == ["bo"] and m2.recipients == [("ann", "TO"), ("cy", "CC")]
    assert [i.id for i in store.interactions_of_pairs(pairs=[("cy", "hub"), ("ann", "bo")])] == ["m1", "m2", "m3"]
    assert store.interactions_of_pairs(pairs=[("ann", "nobody")]) == []
    assert store.interactions_of_pairs(pairs=[]) == []


def test_iter_edge_props(store: GraphStore) -> None:
    write(store, COMMS)
    person = NodeLabel.PERSON
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.KNOWS,
                src_label=person,
                src_id="ann",
                dst_label=person,
                dst_id="bo",
                props={"strength": 0.5, "connected_on": at(3), "other": "x"},
            ),
            Edge(type=RelType.KNOWS, src_label=person, src_id="cy", dst_label=person, dst_id="dee", props={}),
        ],
        now=at(0),
    )
    found = sorted(store.iter_edge_props(rel_type=RelType.KNOWS, names=["strength", "connected_on", "missing"]))
    assert found == [("ann", "bo", {"strength": 0.5, "connected_on": at(3)}), ("cy", "dee", {})]


def test_get_and_delete_edges(store: GraphStore) -> None:
    write(store, COMMS)
    person = NodeLabel.PERSON
    store.upsert_edges(
        edges=[
            Edge(type=RelType.KNOWS, src_label=person, src_id=a, dst_label=person, dst_id=b, props={"strength": s})
            for a, b, s in [("ann", "bo", 0.5), ("dee", "cy", 0.25)]
        ],
        now=at(0),
    )
    found = store.get_edges(rel_type=RelType.KNOWS, pairs=[("bo", "ann"), ("cy", "dee"), ("ann", "hub")])
    assert [(e.src_id, e.dst_id, e.props["strength"]) for e in found] == [("ann", "bo", 0.5), ("cy", "dee", 0.25)]
    assert store.delete_edges(rel_type=RelType.KNOWS, pairs=[("bo", "ann"), ("ann", "hub")]) == 1
    assert [(e.src_id, e.dst_id) for e in store.iter_edges(rel_type=RelType.KNOWS)] == [("cy", "dee")]
    assert store.delete_edges(rel_type=RelType.KNOWS, pairs=[]) == 0


def test_rebuild_and_incremental_agree_across_stores(store: GraphStore, tmp_path: Path) -> None:
    write(store, COMMS)
    settings = Settings(data_dir=tmp_path)
    report = rebuild_knows(store, settings=settings, now=at(10))
    assert (report.pairs, report.communications) == (7, 5)
    rows = {
        (e.src_id, e.dst_id): (e.props["strength"], e.props["interaction_count"], e.props["trend"])
        for e in store.iter_edges(rel_type=RelType.KNOWS)
    }
    assert rows[("ann", "bo")][1] == 2 and rows[("cy", "dee")][1] == 1
    assert ("dee", "dee") not in rows  # self-sent
    # Same numbers as the embedded store computes (scoring is the same code; this checks the reads).
    from tellgraph.graph.memory import MemoryStore

    reference = MemoryStore()
    write(reference, COMMS)
    rebuild_knows(reference, settings=settings, now=at(10))
    expected = {
        (e.src_id, e.dst_id): (e.props["strength"], e.props["interaction_count"], e.props["trend"])
        for e in reference.iter_edges(rel_type=RelType.KNOWS)
    }
    assert rows == expected
    write(store, [mail("cy", ["ann"], days=5, cid="m6")])
    again = rescore_communications(store, communication_ids=["m6"], settings=settings, now=at(10))
    assert again.pairs == 1
    [edge] = store.get_edges(rel_type=RelType.KNOWS, pairs=[("ann", "cy")])
    assert edge.props["interaction_count"] == 1  # m2 and m3 made them co-recipients only
    assert edge.props["history_2026_01"] == edge.props["strength"]
