from __future__ import annotations

import pytest

from tellgraph.errors import InvalidInput
from tellgraph.graph import neo4j_cypher as cypher
from tellgraph.schema.labels import NodeLabel, RelType, check_label, check_property_name, check_rel_type

INJECTIONS = [
    "Person) DETACH DELETE (n",
    "Person`{id:1}) MATCH (m",
    "KNOWS]->() DELETE r //",
    "",
    "person",
    "Person ",
    "Pers\u043en",  # Cyrillic o: a confusable must not pass
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_labels_and_types_outside_the_allow_list_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput):
        check_label(value)
    with pytest.raises(InvalidInput):
        check_rel_type(value)


@pytest.mark.parametrize("value", ["name) DELETE n", "Name", "1abc", "a" * 100, "na-me"])
def test_property_names_are_checked(value: str) -> None:
    with pytest.raises(InvalidInput):
        check_property_name(value)


def test_builders_refuse_unknown_labels() -> None:
    with pytest.raises(InvalidInput):
        cypher.get_nodes("Person) DETACH DELETE (n")  # type: ignore[arg-type]
    assert "MATCH (n:Person {id: id})" in cypher.get_nodes(NodeLabel.PERSON)
    assert "[r:KNOWS]" in cypher.upsert_edges(RelType.KNOWS, NodeLabel.PERSON, NodeLabel.PERSON)


def test_every_label_has_a_unique_constraint() -> None:
    from tellgraph.schema.migrations import MIGRATIONS

    statements = " ".join(s for m in MIGRATIONS for s in m.statements)
    for label in NodeLabel:
        if label is not NodeLabel.SCHEMA_MIGRATION:
            assert f"FOR (n:{label.value}) REQUIRE n.id IS UNIQUE" in statements
