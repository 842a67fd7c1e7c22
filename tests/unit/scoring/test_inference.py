"""Inferred connections: evidence, confidence, and never for pairs with an observed tie."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Company, Edge, Event, Person
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.scoring.inference import (
    MAX_CONFIDENCE,
    Employment,
    Inferred,
    ThreadCollector,
    mutual_candidates,
    mutual_connections,
    same_company,
    shared_threads,
)
from tellgraph.settings import Settings
from tests.unit.scoring.helpers import at, mail, meeting, write


def inferred(store: MemoryStore) -> dict[tuple[str, str], dict]:
    return {(e.src_id, e.dst_id): e.props for e in store.iter_edges(rel_type=RelType.INFERRED_KNOWS)}


def edge(rel: RelType, src: str, dst: str, src_label: NodeLabel, dst_label: NodeLabel, **props: object) -> Edge:
    return Edge(type=rel, src_label=src_label, src_id=src, dst_label=dst_label, dst_id=dst, props=props)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_rebuild_infers_from_events_threads_companies_and_mutual_ties(settings: Settings) -> None:
    store = MemoryStore()
    person = NodeLabel.PERSON
    # Observed: ann-bo, ann-cy (strong, mutual for bo-cy... via ann) and dee-bo, dee-cy.
    comms = []
    for d in range(0, 40, 4):
        for x, y in (("ann", "bo"), ("ann", "cy"), ("dee", "bo"), ("dee", "cy")):
            comms += [mail(x, [y], days=d, thread=f"{x}{y}{d}"), mail(y, [x], days=d, hours=1, thread=f"{x}{y}{d}")]
    # A conversation eve and fay both took part in without writing to each other.
    comms += [mail("gus", ["eve", "fay"], days=5, thread="deal"), mail("eve", ["gus"], days=6, thread="deal")]
    write(store, comms)
    store.upsert_entities(entities=[Person(id=p, name=p.title()) for p in ("hal", "ivy", "jon", "kim")])
    store.upsert_entities(entities=[Event(id="e1", name="Summit", starts_at=at(30))])
    store.upsert_entities(entities=[Company(id="c1", name="Acme", domain="acme.example")])
    store.upsert_edges(
        edges=[
            edge(RelType.ATTENDED, "hal", "e1", person, NodeLabel.EVENT),
            edge(RelType.ATTENDED, "ivy", "e1", person, NodeLabel.EVENT),
            edge(RelType.ATTENDED, "ann", "e1", person, NodeLabel.EVENT),
            edge(RelType.WORKS_AT, "jon", "c1", person, NodeLabel.COMPANY, valid_from=at(0), valid_to=at(100)),
            edge(RelType.WORKS_AT, "kim", "c1", person, NodeLabel.COMPANY, valid_from=at(50), valid_to=at(200)),
        ],
        now=at(0),
    )
    report = rebuild_knows(store, settings=settings, now=at(50))
    found = inferred(store)
    assert report.inferred == len(found)
    assert "co_attendance" in found[("hal", "ivy")]["inferred_by"]
    assert "both attended 'Summit'" in found[("hal", "ivy")]["evidence"][0]
    assert "shared_thread" in found[("eve", "fay")]["inferred_by"]
    assert "same_company" in found[("jon", "kim")]["inferred_by"]
    assert "both at Acme" in found[("jon", "kim")]["evidence"][0]
    mutual = found[("ann", "dee")]
    assert mutual["inferred_by"] == ["mutual_connections"]
    assert mutual["evidence"] == ["2 strong mutual connections (Bo, Cy)"]
    assert 0.0 < mutual["confidence"] <= MAX_CONFIDENCE
    # Observed ties are never inferred, even when other evidence exists (ann attended the summit too).
    for pair in (("ann", "bo"), ("ann", "cy"), ("eve", "gus"), ("fay", "gus")):
        assert pair not in found
    assert "co_attendance" in found[("ann", "hal")]["inferred_by"]


def test_stale_inferences_are_removed_once_the_pair_talks(settings: Settings) -> None:
    store = MemoryStore()
    write(store, [meeting("ann", ["ann", "bo", "cy"], days=0), mail("ann", ["bo"], days=1)])
    store.upsert_entities(entities=[Event(id="e1", name="Dinner"), Person(id="dan", name="Dan")])
    store.upsert_edges(
        edges=[edge(RelType.ATTENDED, p, "e1", NodeLabel.PERSON, NodeLabel.EVENT) for p in ("bo", "dan")], now=at(0)
    )
    rebuild_knows(store, settings=settings)
    assert ("bo", "dan") in inferred(store)
    write(store, [mail("dan", ["bo"], days=2)])
    report = rebuild_knows(store, settings=settings)
    assert ("bo", "dan") not in inferred(store) and report.inferred_removed == 1


def test_confidence_combines_and_is_capped() -> None:
    evidence = Inferred()
    for _ in range(20):
        evidence.add("co_attendance", 0.5, "x")
    assert evidence.confidence == MAX_CONFIDENCE
    one = Inferred()
    one.add("shared_thread", 0.2, "a")
    one.add("same_company", 0.25, "b")
    assert one.confidence == pytest.approx(1 - 0.8 * 0.75)


def test_big_groups_say_nothing() -> None:
    found: dict = {}
    collect = ThreadCollector()
    for k in range(3):
        collect(mail("boss", [f"p{i}" for i in range(30)], days=k, thread="all-hands"))
    shared_threads(collect.threads, observed=set(), found=found)
    assert found == {}
    start, end = datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)
    staff = [Employment(f"p{i:03d}", "big", "BigCo", start, end) for i in range(500)]
    same_company(staff, observed=set(), found=found)
    assert found == {}
    hub = {("hub", f"p{i:03d}"): 0.9 for i in range(300)}
    assert mutual_candidates(hub, observed=set()) == {}
    mutual_connections({}, found=found)
    assert found == {}
