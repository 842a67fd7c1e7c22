"""The full rebuild on the embedded store: fields, declared ties, stale ties, history, bogus dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.store import Interaction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Person
from tellgraph.scoring.breakdown import HEALTH_FIELDS, ScoreBreakdown, monthly_history
from tellgraph.scoring.config import COMPONENTS
from tellgraph.scoring.derive import DECLARED_ONLY_STRENGTH, rebuild_knows
from tellgraph.settings import Settings
from tests.unit.scoring.helpers import at, mail, write


def knows(store: MemoryStore, a: str, b: str) -> dict | None:
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id=a, dst_label=NodeLabel.PERSON, dst_id=b
    )
    return None if edge is None else edge.props


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_every_edge_gets_strength_breakdown_health_and_timestamps(settings: Settings) -> None:
    store = MemoryStore()
    write(store, [mail("ann", ["bo"], days=0, thread="t"), mail("bo", ["ann"], days=1, thread="t")])
    report = rebuild_knows(store, settings=settings, now=at(30))
    assert (report.communications, report.pairs) == (2, 1)
    assert report.as_of == at(1)
    props = knows(store, "ann", "bo")
    assert props is not None
    for name in ("strength", "explanation", "weights", "interaction_count", "as_of", "scored_at", "created_at"):
        assert name in props
    for name in COMPONENTS:
        assert 0.0 <= props[f"score_{name}"] <= 1.0
    for name in HEALTH_FIELDS:
        assert name in props
    assert props["scored_at"] == at(30)
    assert props["provenance"] == ["communications"]
    assert props["history_2026_01"] == props["strength"]


def test_history_is_kept_across_rebuilds(settings: Settings) -> None:
    store = MemoryStore()
    write(store, [mail("ann", ["bo"], days=0), mail("bo", ["ann"], days=1)])
    rebuild_knows(store, settings=settings)
    first = knows(store, "ann", "bo")
    assert first is not None
    write(store, [mail("ann", ["bo"], days=40), mail("bo", ["ann"], days=70)])
    rebuild_knows(store, settings=settings)
    rebuild_knows(store, settings=settings)  # the same month again replaces, never duplicates
    props = knows(store, "ann", "bo")
    assert props is not None
    assert monthly_history(props) == {"2026-01": first["strength"], "2026-03": props["strength"]}
    assert ScoreBreakdown.from_props(("ann", "bo"), props).history == monthly_history(props)


def test_declared_ties_stay_and_stale_ties_go(settings: Settings) -> None:
    store = MemoryStore()
    store.upsert_entities(entities=[Person(id=p, name=p) for p in ("ann", "cy", "dee")])
    declared = Edge(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id="ann",
        dst_label=NodeLabel.PERSON,
        dst_id="cy",
        props={"declared_by": "linkedin", "connected_on": datetime(2020, 1, 1, tzinfo=UTC)},
    )
    # A tie scored earlier whose communications were since deleted.
    stale = Edge(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id="ann",
        dst_label=NodeLabel.PERSON,
        dst_id="dee",
        props={"strength": 0.7, "interaction_count": 4},
    )
    store.upsert_edges(edges=[declared, stale], now=at(0))
    write(store, [mail("ann", ["bo"], days=0)])
    report = rebuild_knows(store, settings=settings)
    assert (report.pairs, report.declared_only, report.removed) == (1, 1, 1)
    props = knows(store, "ann", "cy")
    assert props is not None
    assert props["strength"] == DECLARED_ONLY_STRENGTH and props["interaction_count"] == 0
    assert props["declared_by"] == "linkedin"
    assert knows(store, "ann", "dee") is None


def test_declared_ties_with_communications_are_scored_and_keep_their_declaration(settings: Settings) -> None:
    store = MemoryStore()
    write(store, [mail("ann", ["bo"], days=0), mail("bo", ["ann"], days=3)])
    declared = Edge(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id="ann",
        dst_label=NodeLabel.PERSON,
        dst_id="bo",
        props={"declared_by": "linkedin"},
    )
    store.upsert_edges(edges=[declared], now=at(0))
    rebuild_knows(store, settings=settings)
    props = knows(store, "ann", "bo")
    assert props is not None
    assert props["interaction_count"] == 2 and props["declared_by"] == "linkedin"


def test_bogus_dates_do_not_move_as_of(settings: Settings) -> None:
    store = MemoryStore()
    old = Interaction(
        id="bogus1979",
        timestamp=datetime(1979, 12, 31, 16, tzinfo=UTC),
        channel="email",
        senders=["ann"],
        recipients=[("bo", "TO")],
        participants=[],
    )
    future = mail("ann", ["bo"], days=3000)
    write(store, [old, future, mail("ann", ["bo"], days=0), mail("bo", ["ann"], days=2)])
    report = rebuild_knows(store, settings=settings, now=at(10))
    assert report.skipped_bogus_dates == 2
    assert report.as_of == at(2)
    props = knows(store, "ann", "bo")
    assert props is not None and props["interaction_count"] == 2


def test_an_empty_graph_scores_nothing(settings: Settings) -> None:
    report = rebuild_knows(MemoryStore(), settings=settings)
    assert (report.pairs, report.communications, report.as_of) == (0, 0, None)


def test_chunked_writes_give_the_same_edges(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    comms = [mail(f"p{i}", [f"p{(i + k) % 9}"], days=i + k) for i in range(9) for k in (1, 2, 4)]
    whole, chunked = MemoryStore(), MemoryStore()
    write(whole, comms)
    write(chunked, comms)
    rebuild_knows(whole, settings=settings, now=at(30))
    monkeypatch.setattr("tellgraph.scoring.derive.CHUNK", 2)
    report = rebuild_knows(chunked, settings=settings, now=at(30))
    assert report.pairs == 27

    def rows(store: MemoryStore) -> dict:
        return {
            (e.src_id, e.dst_id): {k: v for k, v in e.props.items() if k != "created_at"}
            for e in store.iter_edges(rel_type=RelType.KNOWS)
        }

    assert rows(chunked) == rows(whole)
