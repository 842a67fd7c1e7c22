"""One suite, both stores: the same writes give the same answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tellgraph.errors import InvalidInput
from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Channel, Communication, Company, Edge, Identity, Person

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
INJECTION = "x'}) DETACH DELETE n //\"; MATCH (m) RETURN m"


def person(pid: str, name: str | None = None, **kw: object) -> Person:
    return Person(id=pid, name=name, **kw)  # type: ignore[arg-type]


def knows(a: str, b: str, strength: float, **props: object) -> Edge:
    return Edge(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id=a,
        dst_label=NodeLabel.PERSON,
        dst_id=b,
        props={"strength": strength, **props},  # type: ignore[dict-item]
        provenance=["test"],
    )


def build_network(store: GraphStore) -> None:
    """A small network with a known best path structure.

    team: t1, t2; target: z.
    t1-a 0.9, a-z 0.8   -> 0.72 (2 hops)
    t1-b 0.6, b-c 0.9, c-z 0.9 -> 0.486 (3 hops)
    t2-z 0.4            -> 0.4 (1 hop)
    t2-a 0.5            -> t2-a-z 0.4 (ties with t2-z on score; fewer hops wins)
    t1-t2 0.99 (team members are never intermediates)
    d-z 0.05 (weak)
    """
    ids = ["t1", "t2", "a", "b", "c", "d", "z"]
    store.upsert_entities(entities=[person(i, f"Person {i.upper()}") for i in ids])
    store.upsert_edges(
        edges=[
            knows("t1", "a", 0.9),
            knows("a", "z", 0.8),
            knows("t1", "b", 0.6),
            knows("b", "c", 0.9),
            knows("c", "z", 0.9),
            knows("t2", "z", 0.4),
            knows("t2", "a", 0.5),
            knows("t1", "t2", 0.99),
            knows("d", "z", 0.05),
            knows("t1", "d", 0.9),
        ],
        now=NOW,
    )


def test_schema_apply_is_idempotent(store: GraphStore) -> None:
    first = store.apply_schema()
    second = store.apply_schema()
    assert second.applied == []
    assert second.version == first.version


def test_companies_sharing_a_domain_are_both_kept(store: GraphStore) -> None:
    # A company first known by name can later show a domain another node holds: the write must
    # not fail (and lose its batch); merging the two is entity resolution's job.
    store.apply_schema()
    store.upsert_entities(entities=[Company(id="c-domain", name="Acme", domain="acme.example")])
    store.upsert_entities(entities=[Company(id="c-name", name="Acme Ltd", domain="acme.example")])
    found = store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain", values=["acme.example"])
    assert sorted(n.id for n in found) == ["c-domain", "c-name"]


def test_entity_merge_rules(store: GraphStore) -> None:
    store.upsert_entities(entities=[person("p1", "jeff@enron.com", emails=["JEFF@enron.com"], title="VP")])
    store.upsert_entities(entities=[person("p1", "Jeff Skilling", emails=["jeff.skilling@enron.com"])])
    store.upsert_entities(entities=[person("p1", "Jeffrey K. Skilling", emails=["jeff@enron.com"], title=None)])
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=["p1"])
    # an address-only name gives way to a real name; then the first real name stays
    assert node.props["name"] == "Jeff Skilling"
    assert node.props["emails"] == ["jeff@enron.com", "jeff.skilling@enron.com"]
    assert node.props["title"] == "VP"  # None never erases
    assert isinstance(node.props["created_at"], datetime)


def test_lookups(store: GraphStore) -> None:
    store.upsert_entities(
        entities=[
            person("p2", "B"),
            person("p1", "A"),
            person("p3", "C"),
            Company(id="c1", name="Enron", domain="ENRON.com"),
            Identity(id="email:a@x.com", kind="email", value="a@x.com"),
        ]
    )
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id="email:a@x.com",
                dst_label=NodeLabel.PERSON,
                dst_id="p1",
            )
        ],
        now=NOW,
    )
    assert [n.id for n in store.get_nodes(label=NodeLabel.PERSON, ids=["p3", "nope", "p1"])] == ["p3", "p1"]
    assert store.existing_ids(label=NodeLabel.PERSON, ids=["p1", "p9"]) == {"p1"}
    assert store.resolve_identities(keys=["email:a@x.com", "email:b@x.com"]) == {"email:a@x.com": "p1"}
    assert [n.id for n in store.find_nodes(label=NodeLabel.COMPANY, prop="domain", value="enron.com")] == ["c1"]
    page1 = store.list_nodes(label=NodeLabel.PERSON, limit=2)
    page2 = store.list_nodes(label=NodeLabel.PERSON, after=page1[-1].id, limit=2)
    assert [n.id for n in page1] == ["p1", "p2"] and [n.id for n in page2] == ["p3"]


def test_edges_are_unique_per_pair_and_merge(store: GraphStore) -> None:
    store.upsert_entities(entities=[person("a"), person("b")])
    assert store.upsert_edges(edges=[knows("b", "a", 0.3, note="x")], now=NOW) == 1
    later = NOW + timedelta(days=1)
    store.upsert_edges(edges=[knows("a", "b", 0.5, note=None)], now=later)
    # an edge to a missing node is skipped, not an error
    assert store.upsert_edges(edges=[knows("a", "ghost", 0.5)], now=NOW) == 0
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id="b", dst_label=NodeLabel.PERSON, dst_id="a"
    )
    assert edge is not None
    assert (edge.src_id, edge.dst_id) == ("a", "b")
    assert edge.props["strength"] == 0.5
    assert "note" not in edge.props
    assert edge.props["created_at"] == NOW
    assert edge.props["provenance"] == ["test"]
    assert store.counts().edges == {"KNOWS": 1}
    assert [e.src_id + e.dst_id for e in store.iter_edges(rel_type=RelType.KNOWS)] == ["ab"]


def test_neighbours_strongest_first(store: GraphStore) -> None:
    build_network(store)
    ties = store.neighbours(label=NodeLabel.PERSON, node_id="t1", rel_types=[RelType.KNOWS])
    assert [(n.node.id, n.edge.props["strength"]) for n in ties] == [("t2", 0.99), ("a", 0.9), ("d", 0.9), ("b", 0.6)]
    strong = store.neighbours(label=NodeLabel.PERSON, node_id="t1", rel_types=[RelType.KNOWS], min_strength=0.95)
    assert [n.node.id for n in strong] == ["t2"]
    assert store.degree(label=NodeLabel.PERSON, node_id="t1", rel_types=[RelType.KNOWS]) == 4
    assert store.neighbours(label=NodeLabel.PERSON, node_id="nobody", rel_types=[RelType.KNOWS]) == []


def test_tie_pages_give_node_ties_and_degree_together(store: GraphStore) -> None:
    build_network(store)
    pages = store.tie_pages(label=NodeLabel.PERSON, node_ids=["t1", "z", "nobody"], rel_types=[RelType.KNOWS], limit=2)
    assert sorted(pages) == ["t1", "z"]
    t1 = pages["t1"]
    assert t1.node.id == "t1" and t1.node.props["name"] == "Person T1"
    assert t1.total == 4
    assert [(t.node.id, t.edge.props["strength"]) for t in t1.ties] == [("t2", 0.99), ("a", 0.9)]
    assert t1.ties == store.neighbours(label=NodeLabel.PERSON, node_id="t1", rel_types=[RelType.KNOWS], limit=2)
    assert pages["z"].total == 4 and [t.node.id for t in pages["z"].ties] == ["c", "a"]
    projected = store.tie_pages(
        label=NodeLabel.PERSON, node_ids=["t1"], rel_types=[RelType.KNOWS], limit=1, edge_props=["strength"]
    )
    assert projected["t1"].ties[0].edge.props == {"strength": 0.99}
    assert store.tie_pages(label=NodeLabel.PERSON, node_ids=[], rel_types=[RelType.KNOWS], limit=5) == {}


def test_k_best_paths(store: GraphStore) -> None:
    build_network(store)
    paths = store.k_best_paths(sources=["t1", "t2"], targets=["z"], max_hops=3, k=10)
    summary = [(p.node_ids, round(p.score, 6)) for p in paths]
    assert summary == [
        (["t1", "a", "z"], 0.72),
        (["t1", "b", "c", "z"], 0.486),
        (["t2", "z"], 0.4),
        (["t2", "a", "z"], 0.4),
        (["t1", "d", "z"], 0.045),
    ]
    assert paths[0].hops[0].strength == 0.9 and paths[0].hops[1].src_id == "a"
    assert all(p.nodes == [] for p in paths)
    with_nodes = store.k_best_paths(sources=["t1", "t2"], targets=["z"], max_hops=3, k=10, with_nodes=True)
    assert [p.model_copy(update={"nodes": []}) for p in with_nodes] == paths
    for path in with_nodes:
        assert path.nodes == store.get_nodes(label=NodeLabel.PERSON, ids=path.node_ids)
    two_hops = store.k_best_paths(sources=["t1", "t2"], targets=["z"], max_hops=2, k=2)
    assert [p.node_ids for p in two_hops] == [["t1", "a", "z"], ["t2", "z"]]
    strong = store.k_best_paths(sources=["t1"], targets=["z"], max_hops=3, k=5, min_strength=0.7)
    assert [p.node_ids for p in strong] == [["t1", "a", "z"]]
    assert store.k_best_paths(sources=["nobody"], targets=["z"], max_hops=3, k=5) == []


def test_datetimes_read_back_as_the_same_utc_instants(store: GraphStore) -> None:
    # Neo4j sends zoned datetimes to the store as epoch seconds and nanoseconds (a cheaper
    # read than the driver's temporal types); every read path must give back what was written.
    micro = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
    before_epoch = datetime(1969, 7, 20, 20, 17, 40, 1, tzinfo=UTC)
    offset = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    store.upsert_entities(entities=[person("a", "A"), person("b", "B")])
    store.upsert_edges(
        edges=[knows("a", "b", 0.5, first_interaction=before_epoch, last_interaction=micro, next_contact_due=offset)],
        now=NOW,
    )
    expected = {"first_interaction": before_epoch, "last_interaction": micro, "next_contact_due": offset}

    def dates(props: dict[str, object]) -> dict[str, object]:
        assert all(props[k].tzinfo == UTC for k in expected)  # type: ignore[attr-defined]
        return {k: props[k] for k in expected}

    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id="a", dst_label=NodeLabel.PERSON, dst_id="b"
    )
    assert edge is not None and dates(edge.props) == expected
    [tie] = store.neighbours(label=NodeLabel.PERSON, node_id="a", rel_types=[RelType.KNOWS])
    assert dates(tie.edge.props) == expected
    many = store.neighbours_many(
        label=NodeLabel.PERSON,
        node_ids=["b"],
        rel_types=[RelType.KNOWS],
        edge_props=["first_interaction", "last_interaction", "next_*"],
    )
    assert dates(many["b"][0].edge.props) == expected
    [path] = store.k_best_paths(sources=["a"], targets=["b"], max_hops=1, k=1)
    assert path.hops[0].last_interaction == micro and dates(path.hops[0].props) == expected
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=["a"])
    assert isinstance(node.props["created_at"], datetime) and node.props["created_at"].tzinfo == UTC


def test_path_limits_are_checked(store: GraphStore) -> None:
    with pytest.raises(InvalidInput):
        store.k_best_paths(sources=["a"], targets=["b"], max_hops=0, k=5)
    with pytest.raises(InvalidInput):
        store.k_best_paths(sources=["a"], targets=["b"], max_hops=99, k=5)
    with pytest.raises(InvalidInput):
        store.k_best_paths(sources=["a"], targets=["b"], max_hops=3, k=10_000)


def test_injection_strings_are_data(store: GraphStore) -> None:
    store.upsert_entities(entities=[person(INJECTION, INJECTION), person("safe", "Safe")])
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=[INJECTION])
    assert node.props["name"] == INJECTION
    assert store.counts().nodes == {"Person": 2}
    assert store.find_nodes(label=NodeLabel.PERSON, prop="name", value=INJECTION)[0].id == INJECTION
    with pytest.raises(InvalidInput):
        store.find_nodes(label=NodeLabel.PERSON, prop="name) DETACH DELETE (n", value="x")


def test_interactions_and_checksum(store: GraphStore) -> None:
    store.upsert_entities(
        entities=[
            person("a", "A"),
            person("b", "B"),
            person("c", "C"),
            Communication(id="m1", channel=Channel.EMAIL, source="test", timestamp=NOW, subject="Hi"),
        ]
    )
    edges = [
        Edge(type=RelType.SENT, src_label=NodeLabel.PERSON, src_id="a", dst_label=NodeLabel.COMMUNICATION, dst_id="m1"),
        Edge(type=RelType.TO, src_label=NodeLabel.COMMUNICATION, src_id="m1", dst_label=NodeLabel.PERSON, dst_id="b"),
        Edge(type=RelType.CC, src_label=NodeLabel.COMMUNICATION, src_id="m1", dst_label=NodeLabel.PERSON, dst_id="c"),
    ]
    store.write_batch(entities=[], edges=edges, now=NOW)
    [interaction] = list(store.iter_interactions())
    assert interaction.senders == ["a"]
    assert interaction.recipients == [("b", "TO"), ("c", "CC")]
    assert interaction.timestamp == NOW
    before = store.checksum()
    store.write_batch(entities=[person("a", "A")], edges=edges, now=NOW + timedelta(hours=1))
    assert store.checksum() == before, "re-writing the same data changes nothing"


def test_same_graph_same_checksum_in_both_stores(store: GraphStore) -> None:
    reference = MemoryStore()
    for target in (store, reference):
        build_network(target)
        target.upsert_entities(entities=[Communication(id="m1", channel=Channel.CHAT, source="t", timestamp=NOW)])
    assert store.checksum() == reference.checksum()
    assert store.counts() == reference.counts()


def test_delete_and_remove_props(store: GraphStore) -> None:
    build_network(store)
    store.remove_node_props(label=NodeLabel.PERSON, node_id="a", names=["name"])
    assert "name" not in store.get_nodes(label=NodeLabel.PERSON, ids=["a"])[0].props
    assert store.delete_nodes(label=NodeLabel.PERSON, ids=["a", "missing"]) == 1
    assert store.get_nodes(label=NodeLabel.PERSON, ids=["a"]) == []
    paths = store.k_best_paths(sources=["t1"], targets=["z"], max_hops=2, k=5)
    assert [p.node_ids for p in paths] == [["t1", "t2", "z"], ["t1", "d", "z"]]
