from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tellgraph.errors import StoreError, StoreUnavailable
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Person

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _fill(store: MemoryStore) -> None:
    store.upsert_entities(entities=[Person(id="a", name="Ann", emails=["ann@x.com"]), Person(id="b", name="Bo")])
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id="a",
                dst_label=NodeLabel.PERSON,
                dst_id="b",
                props={"strength": 0.5, "last_interaction": NOW},
            )
        ],
        now=NOW,
    )


def test_snapshot_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = MemoryStore(path=path)
    _fill(store)
    store.close()
    reopened = MemoryStore(path=path)
    assert reopened.checksum() == store.checksum()
    edge = reopened.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id="a", dst_label=NodeLabel.PERSON, dst_id="b"
    )
    assert edge is not None and edge.props["last_interaction"] == NOW


def test_unwritable_location_is_a_clear_error_and_keeps_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = MemoryStore(path=path)
    _fill(store)
    store.flush()
    before = path.read_bytes()
    store.upsert_entities(entities=[Person(id="c", name="Cy")])
    # A file where the snapshot's directory should be: writing must fail cleanly.
    blocked = MemoryStore(path=tmp_path / "not-a-dir" / "store.json")
    (tmp_path / "not-a-dir").write_text("x")
    blocked.upsert_entities(entities=[Person(id="z")])
    with pytest.raises(StoreError, match="not-a-dir"):
        blocked.flush()
    assert path.read_bytes() == before


def test_corrupt_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_text("{not json")
    with pytest.raises(StoreUnavailable, match="cannot read the snapshot"):
        MemoryStore(path=path)
