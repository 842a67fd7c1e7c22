"""Strength at a past date, recomputed from the communications before it."""

from __future__ import annotations

import pytest

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Identity
from tellgraph.scoring.config import COMPONENTS
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.scoring.history import strength_at, strength_series
from tellgraph.settings import Settings
from tests.unit.scoring.helpers import at, mail, write

COMMS = [mail("ann", ["bo"], days=d, thread=f"t{d}") for d in range(0, 60, 6)] + [
    mail("bo", ["ann"], days=d, hours=2, thread=f"t{d}") for d in range(0, 60, 6)
]


def test_strength_at_only_sees_the_past() -> None:
    store = MemoryStore()
    write(store, COMMS)
    early = strength_at(store, a="bo", b="ann", at=at(13))
    assert (early.a, early.b) == ("ann", "bo")
    assert early.interaction_count == 6  # days 0, 6, 12: a message and an answer each
    assert early.as_of == at(13)
    assert set(early.components) == set(COMPONENTS)
    assert early.strength == pytest.approx(sum(early.weights[c] * early.components[c] for c in COMPONENTS), abs=1e-4)
    assert early.next_contact_due is not None and early.trend is not None
    assert strength_at(store, a="ann", b="bo", at=at(0)).strength == 0.0  # nothing strictly before


def test_strength_decays_in_silence_and_matches_the_rebuild(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = MemoryStore()
    write(store, COMMS)
    series = strength_series(store, a="ann", b="bo", dates=[at(55), at(120), at(400)])
    assert series[0].strength > series[1].strength > series[2].strength
    rebuild_knows(store, settings=Settings(data_dir=tmp_path), now=at(100))
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id="ann", dst_label=NodeLabel.PERSON, dst_id="bo"
    )
    assert edge is not None
    last = COMMS[-1].timestamp
    same_moment = strength_at(store, a="ann", b="bo", at=last)
    # The rebuild scores at the newest communication and includes it; strength_at excludes it.
    assert same_moment.interaction_count == edge.props["interaction_count"] - 1


def test_people_by_email_and_bad_input() -> None:
    store = MemoryStore()
    write(store, COMMS)
    store.upsert_entities(entities=[Identity(id="email:ann@x.example", kind="email", value="ann@x.example")])
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id="email:ann@x.example",
                dst_label=NodeLabel.PERSON,
                dst_id="ann",
            )
        ],
        now=at(0),
    )
    assert strength_at(store, a="ann@x.example", b="bo", at=at(30)).interaction_count == 10
    with pytest.raises(NotFound):
        strength_at(store, a="nobody@x.example", b="bo", at=at(30))
    with pytest.raises(InvalidInput):
        strength_at(store, a="bo", b="bo", at=at(30))
