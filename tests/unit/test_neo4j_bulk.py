"""The bulk-import CSV writer: headers, cells and importer arguments (no Neo4j needed)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tellgraph.errors import ConfigError, InvalidInput
from tellgraph.graph.neo4j_bulk import ARRAY_DELIMITER, BulkCsvWriter, bulk_import_args, node_columns, node_header
from tellgraph.graph.neo4j_server import LocalNeo4j
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Channel, Communication, Edge, Person
from tellgraph.settings import Settings

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_node_headers_name_every_model_field_with_its_import_type() -> None:
    header = node_header(NodeLabel.PERSON)
    assert header[0] == "id:ID(Person)"
    assert header[-1] == "created_at:datetime"
    assert "emails:string[]" in header
    assert "is_team:boolean" in header
    assert "embedding:double[]" in header
    columns = dict(node_columns(NodeLabel.COMMUNICATION))
    assert columns["channel"] == "string"
    assert columns["timestamp"] == "datetime"
    assert columns["participant_count"] == "long"
    assert columns["sentiment"] == "double"
    assert columns["source_keys"] == "string[]"


def test_entities_become_quoted_cells_lists_joined_and_nulls_empty(tmp_path: Path) -> None:
    person = Person(id="p1", name='Ann "The Closer", Jr.', emails=["b@x.example", "a@x.example"], is_team=True)
    comm = Communication(
        id="m1",
        channel=Channel.EMAIL,
        source="maildir",
        timestamp=datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        subject="Rights, pricing",
        preview="line one\nline two",
        participant_count=2,
        sentiment=0.25,
    )
    with BulkCsvWriter(folder=tmp_path, now=NOW) as writer:
        writer.add_entities([person, comm])
    [row] = _rows(tmp_path / "nodes-Person.csv")
    assert row["id:ID(Person)"] == "p1"
    assert row["name:string"] == 'Ann "The Closer", Jr.'
    assert row["emails:string[]"].split(ARRAY_DELIMITER) == ["a@x.example", "b@x.example"]
    assert row["is_team:boolean"] == "true"
    assert row["phones:string[]"] == ""  # an empty list is no property
    assert row["title:string"] == ""
    assert row["created_at:datetime"] == "2026-11-01T12:00:00+00:00"
    [message] = _rows(tmp_path / "nodes-Communication.csv")
    assert message["timestamp:datetime"] == "2026-01-02T03:04:05.600000+00:00"
    assert message["channel:string"] == "email"
    assert message["participant_count:long"] == "2"
    assert message["sentiment:double"] == "0.25"
    assert message["preview:string"] == "line one\nline two"
    assert writer.multiline
    assert writer.rows == {"Person": 1, "Communication": 1}


def test_edges_are_grouped_by_type_ends_and_property_columns(tmp_path: Path) -> None:
    edges = [
        Edge(
            type=RelType.KNOWS,
            src_label=NodeLabel.PERSON,
            src_id="p2",
            dst_label=NodeLabel.PERSON,
            dst_id="p1",
            props={"strength": 0.5, "interaction_count": 3, "last_interaction": NOW, "channels": ["email"]},
            provenance=["communications"],
        ),
        Edge(
            type=RelType.KNOWS,
            src_label=NodeLabel.PERSON,
            src_id="p1",
            dst_label=NodeLabel.PERSON,
            dst_id="p3",
            props={"strength": 0.25, "interaction_count": 1, "last_interaction": NOW, "channels": []},
        ),
        Edge(
            type=RelType.SENT,
            src_label=NodeLabel.PERSON,
            src_id="p1",
            dst_label=NodeLabel.COMMUNICATION,
            dst_id="m1",
            provenance=["maildir"],
        ),
    ]
    with BulkCsvWriter(folder=tmp_path, now=NOW) as writer:
        writer.add_edges(edges)
    kinds = [(kind, group, path.name) for kind, group, path in writer.files]
    assert kinds == [
        ("relationships", "KNOWS", "rels-KNOWS-Person-Person-0.csv"),
        ("relationships", "SENT", "rels-SENT-Person-Communication-0.csv"),
    ]
    knows = _rows(tmp_path / "rels-KNOWS-Person-Person-0.csv")
    # Edge normalises an undirected pair: the lower id is the source.
    assert [(r[":START_ID(Person)"], r[":END_ID(Person)"]) for r in knows] == [("p1", "p2"), ("p1", "p3")]
    assert knows[0]["strength:double"] == "0.5"
    assert knows[0]["interaction_count:long"] == "3"
    assert knows[0]["provenance:string[]"] == "communications"
    assert knows[1]["channels:string[]"] == ""
    [sent] = _rows(tmp_path / "rels-SENT-Person-Communication-0.csv")
    assert sent[":END_ID(Communication)"] == "m1"
    args = writer.import_args()
    assert "--array-delimiter=U+001F" in args
    assert "--id-type=string" in args
    assert f"--relationships=KNOWS={tmp_path / 'rels-KNOWS-Person-Person-0.csv'}" in args
    assert not any(arg.startswith("--multiline-fields") for arg in args)


def test_rows_must_match_their_columns(tmp_path: Path) -> None:
    with BulkCsvWriter(folder=tmp_path, now=NOW) as writer:
        writer.add_edge_rows(
            RelType.WORKS_AT,
            NodeLabel.PERSON,
            NodeLabel.COMPANY,
            [("p1", "c1", ["hr"], "CEO")],
            columns=[("title", "string")],
        )
        with pytest.raises(InvalidInput):
            writer.add_edge_rows(RelType.SENT, NodeLabel.PERSON, NodeLabel.COMMUNICATION, [("p1", "m1")])
        with pytest.raises(InvalidInput):
            writer.add_node_rows(NodeLabel.COMPANY, [("c1", "Acme")])
    [row] = _rows(tmp_path / "rels-WORKS_AT-Person-Company-0.csv")
    assert row["title:string"] == "CEO"
    assert row["provenance:string[]"] == "hr"


def test_a_list_item_holding_the_array_delimiter_is_refused(tmp_path: Path) -> None:
    with BulkCsvWriter(folder=tmp_path, now=NOW) as writer, pytest.raises(InvalidInput):
        writer.add_entities([Person(id="p1", emails=[f"a{ARRAY_DELIMITER}b@x.example"])])


def test_import_arguments_are_checked(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("id:ID(Person)\np1\n")
    assert bulk_import_args(nodes=[f"Person={people}"], relationships=[])[-1] == f"--nodes=Person={people}"
    with pytest.raises(InvalidInput):
        bulk_import_args(nodes=[f"Human={people}"], relationships=[])
    with pytest.raises(InvalidInput):
        bulk_import_args(nodes=[str(people)], relationships=[])
    with pytest.raises(InvalidInput):
        bulk_import_args(nodes=[f"Person={tmp_path / 'missing.csv'}"], relationships=[])
    with pytest.raises(InvalidInput):
        bulk_import_args(nodes=[], relationships=[f"LIKES={people}"])


def test_import_refuses_bad_database_names_and_stray_arguments(tmp_path: Path) -> None:
    server = LocalNeo4j(settings=Settings(cache_dir=tmp_path))
    with pytest.raises(ConfigError):
        server.import_csv(args=[], database="../system")
    with pytest.raises(ConfigError):
        server.import_csv(args=["people.csv"])
    with pytest.raises(ConfigError):
        server.import_csv(args=[], max_off_heap_memory="lots")
