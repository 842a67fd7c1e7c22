"""scrub_text on both stores: the same text replaced in the same places, identifiers and vectors untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tellgraph.graph.scrub import ERASED, erasure_terms
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.migrations import EMBEDDING_DIMENSIONS
from tellgraph.schema.model import AuditEntry, Channel, Communication, Edge, Event, Goal, Person

T = datetime(2026, 11, 1, tzinfo=UTC)
ADA = {"name": "Ada Lovelace", "emails": ["ada@example.org"], "phones": ["+44 20 7946 0123"]}


def _graph(store: GraphStore) -> None:
    vector = [0.0] * EMBEDDING_DIMENSIONS
    vector[0] = 1.0
    store.upsert_entities(
        entities=[
            Person(id="ada", **ADA),  # type: ignore[arg-type]
            Person(id="bob", name="Bob Byron", emails=["bob@example.org"]),
            Communication(
                id="group",
                channel=Channel.EMAIL,
                source="test",
                timestamp=T,
                subject="Lunch with ADA LOVELACE",
                preview="Write to ada@example.org or call +44 20 7946 0123.",
                action_items=["Bob: invite Ada\nLovelace"],
                embedding=vector,
            ),
            Communication(id="other", channel=Channel.EMAIL, source="test", timestamp=T, subject="Budget"),
            Event(id="ev", name="Call with Lovelace, Ada"),
            Goal(id="g", name="Meet Ada Lovelace", description="Through Bob"),
            AuditEntry(
                id="audit",
                action="merge",
                actor="test",
                at=T,
                subject_ids=["ada"],
                details=json.dumps({"evidence": ["same email ada@example.org"]}),
            ),
        ]
    )
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.TARGETS,
                src_label=NodeLabel.GOAL,
                src_id="g",
                dst_label=NodeLabel.PERSON,
                dst_id="ada",
                props={"ref": "ada@example.org"},
            ),
            Edge(
                type=RelType.MENTIONS,
                src_label=NodeLabel.COMMUNICATION,
                src_id="group",
                dst_label=NodeLabel.PERSON,
                dst_id="ada",
                props={"text": "Ada Lovelace"},
            ),
            Edge(
                type=RelType.SENT,
                src_label=NodeLabel.PERSON,
                src_id="bob",
                dst_label=NodeLabel.COMMUNICATION,
                dst_id="group",
            ),
        ],
        now=T,
    )
    store.flush()


def test_scrub_text_replaces_the_person_everywhere_and_only_them(store: GraphStore) -> None:
    _graph(store)
    report = store.scrub_text(person_id="ada", terms=erasure_terms(ADA))
    store.flush()
    assert (report.nodes, report.edges) == (5, 2)  # ada herself (not yet erased), group, event, goal, audit; 2 edges
    assert report.communication_ids == ["group"]
    [group] = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=["group"])
    assert group.props["subject"] == f"Lunch with {ERASED}"
    assert group.props["preview"] == f"Write to {ERASED} or call {ERASED}."
    assert group.props["action_items"] == [f"Bob: invite {ERASED}"]
    assert store.get_nodes(label=NodeLabel.EVENT, ids=["ev"])[0].props["name"] == f"Call with {ERASED}"
    assert store.get_nodes(label=NodeLabel.GOAL, ids=["g"])[0].props["name"] == f"Meet {ERASED}"
    audit = store.get_nodes(label=NodeLabel.AUDIT_ENTRY, ids=["audit"])[0]
    assert json.loads(str(audit.props["details"])) == {"evidence": [f"same email {ERASED}"]}
    target = store.get_edge(
        rel_type=RelType.TARGETS, src_label=NodeLabel.GOAL, src_id="g", dst_label=NodeLabel.PERSON, dst_id="ada"
    )
    assert target is not None and target.props["ref"] == ERASED
    # Bob, the other message, identifiers and the message's vector are untouched.
    assert store.get_nodes(label=NodeLabel.PERSON, ids=["bob"])[0].props["name"] == "Bob Byron"
    assert store.get_nodes(label=NodeLabel.COMMUNICATION, ids=["other"])[0].props["subject"] == "Budget"
    assert store.has_embeddings(label=NodeLabel.COMMUNICATION)
    again = store.scrub_text(person_id="ada", terms=erasure_terms(ADA))
    assert (again.nodes, again.edges) == (0, 0)
