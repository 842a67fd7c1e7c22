"""Merge rules whose result must not depend on the order writes arrive in (parallel ingest, resumed runs)."""

from __future__ import annotations

from itertools import permutations

import pytest

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Company, Person

NAMES = ["tycholiz@enron.com", "Tycholiz, Barry", "Barry Tycholiz"]


@pytest.mark.parametrize("order", list(permutations(NAMES)))
def test_a_persons_display_name_is_the_same_in_any_order(store: GraphStore, order: tuple[str, ...]) -> None:
    for name in order:
        store.upsert_entities(entities=[Person(id="p1", name=name, emails=["barry.tycholiz@enron.com"])])
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=["p1"])
    # an address gives way to any name, "Last, First" to "First Last"
    assert node.props["name"] == "Barry Tycholiz"


def test_a_comma_name_stays_until_a_natural_one_comes(store: GraphStore) -> None:
    store.upsert_entities(entities=[Person(id="p1", name="Skilling, Jeff")])
    store.upsert_entities(entities=[Person(id="p1", name="jeff@enron.com")])
    store.upsert_entities(entities=[Person(id="p1", name="Dasovich, Jeff")])
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=["p1"])
    assert node.props["name"] == "Skilling, Jeff"  # the first of equal rank stays
    store.upsert_entities(entities=[Person(id="p1", name="Jeff Skilling")])
    store.upsert_entities(entities=[Person(id="p1", name="Jeffrey Skilling")])
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=["p1"])
    assert node.props["name"] == "Jeff Skilling"


def test_company_names_with_commas_are_not_people(store: GraphStore) -> None:
    store.upsert_entities(entities=[Company(id="c1", name="Acme, Inc.")])
    store.upsert_entities(entities=[Company(id="c1", name="Acme Inc")])
    [node] = store.get_nodes(label=NodeLabel.COMPANY, ids=["c1"])
    assert node.props["name"] == "Acme, Inc."
