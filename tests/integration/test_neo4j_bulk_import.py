"""Bulk import: the same graph through ``neo4j-admin database import`` and through upserts is the same graph.

One private server (its own home and ports, the suite's jars) takes the import offline, then
starts; the suite's server takes the same entities and edges through ``write_batch``. The two
must give the same checksum and the same answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tellgraph.errors import ProvisioningError
from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.neo4j_bulk import BulkCsvWriter
from tellgraph.graph.neo4j_server import LocalNeo4j
from tellgraph.graph.neo4j_store import Neo4jStore
from tellgraph.graph.queries import TextIndex
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import (
    AuditEntry,
    Channel,
    Communication,
    Company,
    Edge,
    Entity,
    Event,
    Goal,
    Identity,
    Person,
    Project,
    Source,
    Topic,
)
from tests.integration.private_neo4j import private_server

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _graph() -> tuple[list[Entity], list[Edge]]:
    """Every label the importer must handle, every property type, awkward text."""
    people = [
        Person(
            id=f"p{i}",
            name=f'Person {i}, "P{i}"' if i % 3 == 0 else f"Person {i}",
            emails=[f"person{i}@acme.example"],
            handles=[f"slack:T1:U{i}"] if i % 2 else [],
            phones=["+44 20 7946 0123"] if i == 1 else [],
            title="Head of Media Rights" if i < 3 else None,
            company_domain="acme.example",
            is_team=i < 2,
            sources=["maildir", "linkedin"],
            embedding=[round(0.001 * (i + k), 6) for k in range(384)] if i == 0 else None,
        )
        for i in range(12)
    ]
    entities: list[Entity] = [
        *people,
        Company(id="c1", name="Acme; Broadcasting", domain="acme.example", aliases=["ACME"], fiscal_year_start_month=4),
        Project(id="pr1", name="AFC tender", value=1_250_000.5, currency="USD", started_at=NOW - timedelta(days=30)),
        Topic(id="t1", name="media rights"),
        Event(id="e1", name="Kick-off", starts_at=NOW - timedelta(days=3), location="Kuala Lumpur, MY"),
        Goal(id="g1", name="Win the tender", deadline=NOW + timedelta(days=90), owner_id="p0"),
        Source(id="s1", kind="maildir", location="/mail", cursors=["inbox\t42", "sent\t7"], last_run_at=NOW),
        AuditEntry(id="a1", action="merge", actor="demo", at=NOW, subject_ids=["p1", "p2"], details='{"why": "same"}'),
        *(Identity(id=f"email:{p.emails[0]}", kind="email", value=p.emails[0]) for p in people),
    ]
    edges: list[Edge] = [
        Edge(
            type=RelType.IDENTIFIES,
            src_label=NodeLabel.IDENTITY,
            src_id=f"email:{p.emails[0]}",
            dst_label=NodeLabel.PERSON,
            dst_id=p.id,
            props={"first_seen": NOW},
            provenance=["maildir"],
        )
        for p in people
    ]
    for i in range(12):
        comm = Communication(
            id=f"m{i}",
            channel=Channel.EMAIL if i % 4 else Channel.CHAT,
            source="maildir",
            source_keys=[f"inbox/{i}", f"archive/{i}"],
            timestamp=NOW - timedelta(days=i, microseconds=123),
            subject=f'Re: "Rights", pricing #{i}' if i % 4 else None,
            thread_key=f"t{i // 3}",
            preview="first line\nsecond line, with a comma" if i == 5 else f"preview {i} ünïcödé",
            body_chars=400 + i,
            participant_count=2,
            sentiment=-0.5 + i / 12,
            action_items=["Send the deck"] if i == 3 else [],
            language="en",
            nlp_truncated=False,
            ingested_at=NOW,
        )
        entities.append(comm)
        sender, recipient = f"p{i}", f"p{(i + 1) % 12}"
        edges.append(
            Edge(
                type=RelType.SENT,
                src_label=NodeLabel.PERSON,
                src_id=sender,
                dst_label=NodeLabel.COMMUNICATION,
                dst_id=comm.id,
                provenance=["maildir"],
            )
        )
        edges.append(
            Edge(
                type=RelType.TO,
                src_label=NodeLabel.COMMUNICATION,
                src_id=comm.id,
                dst_label=NodeLabel.PERSON,
                dst_id=recipient,
                provenance=["maildir"],
            )
        )
        edges.append(
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id=recipient,
                dst_label=NodeLabel.PERSON,
                dst_id=sender,
                props={
                    "strength": round(0.3 + i / 20, 6),
                    "interaction_count": i + 1,
                    "last_interaction": comm.timestamp,
                    "channels": ["email", "chat"],
                    "at_risk": i == 4,
                    "explanation": f'Strength {i}: "steady", recent',
                    "next_contact_due": None,
                },
                provenance=["communications"],
            )
        )
    edges += [
        Edge(
            type=RelType.WORKS_AT,
            src_label=NodeLabel.PERSON,
            src_id="p0",
            dst_label=NodeLabel.COMPANY,
            dst_id="c1",
            props={"title": "CEO", "valid_from": NOW - timedelta(days=900)},
            provenance=["linkedin"],
        ),
        Edge(
            type=RelType.ABOUT,
            src_label=NodeLabel.COMMUNICATION,
            src_id="m1",
            dst_label=NodeLabel.TOPIC,
            dst_id="t1",
            props={"confidence": 0.9},
        ),
        Edge(
            type=RelType.ATTENDED,
            src_label=NodeLabel.PERSON,
            src_id="p1",
            dst_label=NodeLabel.EVENT,
            dst_id="e1",
            props={"response": "accepted"},
        ),
        Edge(type=RelType.TARGETS, src_label=NodeLabel.GOAL, src_id="g1", dst_label=NodeLabel.PROJECT, dst_id="pr1"),
    ]
    return entities, edges


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalNeo4j, GraphStore]]:
    """A private server whose database came from the bulk importer, started, schema applied."""
    entities, edges = _graph()
    home = tmp_path_factory.mktemp("bulk-home")
    with BulkCsvWriter(folder=home / "csv", now=NOW) as writer:
        writer.add_entities(entities)
        writer.add_edges(edges)
    server = private_server(home)
    settings = server.settings
    result = server.import_csv(args=writer.import_args(), max_off_heap_memory="256m")
    assert result.nodes == len(entities)
    assert result.relationships == len(edges)
    try:
        server.start()
        store = Neo4jStore(
            uri=settings.neo4j_uri, user=settings.neo4j_user, password=settings.neo4j_password.get_secret_value()
        )
        try:
            store.apply_schema()
            yield server, store
        finally:
            store.close()
    finally:
        server.stop()


def test_import_gives_the_graph_upserts_give(imported: tuple[LocalNeo4j, GraphStore], neo4j_store: GraphStore) -> None:
    _server, bulk = imported
    entities, edges = _graph()
    neo4j_store.write_batch(entities=entities, edges=edges, now=NOW)
    memory = MemoryStore()
    memory.write_batch(entities=entities, edges=edges, now=NOW)
    assert bulk.counts() == neo4j_store.counts()
    assert bulk.checksum() == neo4j_store.checksum() == memory.checksum()
    for label, node_id in ((NodeLabel.PERSON, "p0"), (NodeLabel.COMMUNICATION, "m5"), (NodeLabel.SOURCE, "s1")):
        [ours] = bulk.get_nodes(label=label, ids=[node_id])
        [theirs] = neo4j_store.get_nodes(label=label, ids=[node_id])
        assert ours.as_entity() == theirs.as_entity()
    paths = {"sources": ["p0", "p1"], "targets": ["p6"], "max_hops": 3, "k": 5}
    assert bulk.k_best_paths(**paths) == neo4j_store.k_best_paths(**paths)  # type: ignore[arg-type]
    found = [m.node.id for m in bulk.text_search(index=TextIndex.COMMUNICATIONS, terms=["pricing"], limit=5)]
    assert found
    assert found == [
        m.node.id for m in neo4j_store.text_search(index=TextIndex.COMMUNICATIONS, terms=["pricing"], limit=5)
    ]


def test_import_refuses_a_running_server(imported: tuple[LocalNeo4j, GraphStore], tmp_path: Path) -> None:
    server, _store = imported
    with pytest.raises(ProvisioningError, match="stop it first"):
        server.import_csv(args=[f"--nodes=Person={tmp_path / 'people.csv'}"])
