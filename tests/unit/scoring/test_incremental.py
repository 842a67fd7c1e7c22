"""Incremental rescoring gives the same scores as a full rebuild, for the touched ties only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.scoring.incremental import rescore_communications, rescore_pairs
from tellgraph.settings import Settings
from tests.unit.scoring.helpers import at, mail, meeting, write

BASE = [
    mail("ann", ["bo"], days=0, thread="t1"),
    mail("bo", ["ann"], days=1, thread="t1"),
    mail("ann", ["cy"], cc=["dee"], days=2),
    meeting("cy", ["cy", "dee"], days=3),
    mail("hub", ["ann", "bo", "cy", "dee"], days=4),
]
NEW = [mail("bo", ["ann"], days=20, thread="t1"), mail("cy", ["dee"], days=21)]
SCORED = ("strength", "interaction_count", "score_recency", "next_contact_due", "attention_in_days", "trend")


def props(store: MemoryStore, a: str, b: str) -> dict:
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id=a, dst_label=NodeLabel.PERSON, dst_id=b
    )
    assert edge is not None
    return edge.props


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_rescoring_new_communications_matches_a_full_rebuild(settings: Settings) -> None:
    incremental, full = MemoryStore(), MemoryStore()
    for store in (incremental, full):
        write(store, BASE)
        rebuild_knows(store, settings=settings, now=at(10), infer=False)
    before = props(incremental, "ann", "hub")
    for store in (incremental, full):
        write(store, NEW)
    report = rescore_communications(
        incremental, communication_ids=[c.id for c in NEW] + ["unknown-id"], settings=settings, now=at(30)
    )
    rebuild_knows(full, settings=settings, now=at(30), infer=False)
    assert report.pairs == 2 and report.as_of == at(21)
    for a, b in (("ann", "bo"), ("cy", "dee")):
        got, want = props(incremental, a, b), props(full, a, b)
        assert {k: got[k] for k in SCORED} == {k: want[k] for k in SCORED}
    assert props(incremental, "ann", "bo")["interaction_count"] == 3
    # Untouched ties keep their previous score until the next rebuild.
    assert props(incremental, "ann", "hub") == before


def test_rescore_pairs_by_people_covers_the_ties_among_them(settings: Settings) -> None:
    store = MemoryStore()
    write(store, BASE)
    report = rescore_pairs(store, person_ids=["cy", "dee", "ann"], settings=settings, now=at(10))
    # ann-cy (mail), ann-dee (cc), cy-dee (meeting); co-recipients of hub's mail are not ties.
    assert report.pairs == 3
    assert props(store, "cy", "dee")["count_together"] == 1
    explicit = rescore_pairs(store, pairs=[("bo", "ann"), ("ann", "zed")], settings=settings, now=at(10))
    assert explicit.pairs == 1


def test_nothing_to_rescore(settings: Settings) -> None:
    store = MemoryStore()
    assert rescore_communications(store, communication_ids=[], settings=settings).pairs == 0
    assert rescore_pairs(store, pairs=[("a", "a")], settings=settings).pairs == 0


def test_an_explicit_as_of_scores_what_was_known_then(settings: Settings) -> None:
    store = MemoryStore()
    write(store, BASE + NEW)
    report = rescore_pairs(store, pairs=[("ann", "bo")], settings=settings, now=at(30), as_of=at(5))
    assert report.as_of == at(5)
    assert props(store, "ann", "bo")["interaction_count"] == 2  # the day-20 reply came later
