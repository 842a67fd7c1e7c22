"""The API-facing store queries: both stores give the same answers on the same graph."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from tellgraph.errors import InvalidInput
from tellgraph.graph.queries import (
    CompanyQuery,
    CompanySort,
    PersonQuery,
    PersonSort,
    TextIndex,
    lucene_query,
    search_terms,
)
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.migrations import EMBEDDING_DIMENSIONS
from tellgraph.schema.model import Channel, Communication, Company, Edge, Identity, Person

T = datetime(2026, 11, 13, 9, 0, tzinfo=UTC)
INJECTION = "x'}) DETACH DELETE n //\"; MATCH (m) RETURN m"


def _vector(*weights: float) -> list[float]:
    values = [*weights, *([0.0] * (EMBEDDING_DIMENSIONS - len(weights)))]
    return values


def _knows(a: str, b: str, strength: float, days_ago: int | None, **props: object) -> Edge:
    data: dict[str, object] = {"strength": strength, "interaction_count": 3, **props}
    if days_ago is not None:
        data["last_interaction"] = T - timedelta(days=days_ago)
    return Edge(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id=a,
        dst_label=NodeLabel.PERSON,
        dst_id=b,
        props=data,  # type: ignore[arg-type]
        provenance=["test"],
    )


def _role(rel: RelType, comm: str, person: str, **props: object) -> Edge:
    if rel in (RelType.SENT, RelType.PARTICIPATED):
        return Edge(
            type=rel,
            src_label=NodeLabel.PERSON,
            src_id=person,
            dst_label=NodeLabel.COMMUNICATION,
            dst_id=comm,
            props=props,  # type: ignore[arg-type]
        )
    return Edge(type=rel, src_label=NodeLabel.COMMUNICATION, src_id=comm, dst_label=NodeLabel.PERSON, dst_id=person)


def _works_at(person: str, company: str, **props: object) -> Edge:
    return Edge(
        type=RelType.WORKS_AT,
        src_label=NodeLabel.PERSON,
        src_id=person,
        dst_label=NodeLabel.COMPANY,
        dst_id=company,
        props=props,  # type: ignore[arg-type]
    )


def build(store: GraphStore) -> None:
    """Maya's small world: the team (t1, t2), Daniel (a), Hana (b), Omar (z), Lina (l), a loner (n)."""
    store.upsert_entities(
        entities=[
            Person(id="t1", name="Maya Chen", emails=["maya@north.tv"], is_team=True, embedding=_vector(1.0)),
            Person(id="t2", name="Tom Okafor", emails=["tom@north.tv"], is_team=True),
            Person(id="a", name="Daniel Wu", emails=["daniel@meridian.example"], embedding=_vector(0.1, 1.0)),
            Person(id="b", name="Hana Sato", emails=["hana@afc.example"], title="Director of Media Rights"),
            Person(id="z", name="Omar Haddad", emails=["omar@afc.example"], embedding=_vector(0.0, 0.2, 1.0)),
            Person(id="l", name="Lina Haddad", emails=["lina@gulf.example"]),
            Person(id="n", name="Nobody Special"),
            Company(id="c_afc", name="Asian Football Confederation", domain="afc.example"),
            Company(id="c_mer", name="Meridian Sports Agency", domain="meridian.example"),
            Company(id="c_empty", name="Empty Ltd"),
            Identity(id="email:maya@north.tv", kind="email", value="maya@north.tv"),
            Identity(id="email:omar@afc.example", kind="email", value="omar@afc.example"),
            Communication(
                id="m1",
                channel=Channel.EMAIL,
                source="test",
                timestamp=T - timedelta(days=1),
                subject="AFC rights package",
                preview="Shall we talk about the rights package?",
            ),
            Communication(
                id="m2",
                channel=Channel.EMAIL,
                source="test",
                timestamp=T - timedelta(days=2),
                subject="Re: AFC rights package timeline",
            ),
            Communication(
                id="m3",
                channel=Channel.MEETING,
                source="test",
                timestamp=T - timedelta(days=3),
                subject="Discovery call",
                action_items=["Send the budget by Friday"],
            ),
            Communication(id="m4", channel=Channel.EMAIL, source="test", timestamp=T - timedelta(days=2), subject="x"),
        ]
    )
    store.upsert_edges(
        edges=[
            _knows("t1", "a", 0.9, 1),
            _knows("a", "z", 0.3, 40),
            _knows("t1", "b", 0.6, 10),
            _knows("b", "z", 0.4, 30),
            _knows("t1", "t2", 0.8, 2),
            _knows("l", "z", 0.2, None),
            _works_at("b", "c_afc", title="Director"),
            _works_at("z", "c_afc"),
            _works_at("l", "c_afc", valid_to=T - timedelta(days=400)),
            _works_at("a", "c_mer"),
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id="email:maya@north.tv",
                dst_label=NodeLabel.PERSON,
                dst_id="t1",
            ),
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id="email:omar@afc.example",
                dst_label=NodeLabel.PERSON,
                dst_id="z",
            ),
            _role(RelType.SENT, "m1", "t1"),
            _role(RelType.TO, "m1", "a"),
            _role(RelType.SENT, "m2", "a"),
            _role(RelType.TO, "m2", "t1"),
            _role(RelType.CC, "m2", "z"),
            _role(RelType.PARTICIPATED, "m3", "t1", role="organizer"),
            _role(RelType.PARTICIPATED, "m3", "a", role="attendee"),
            _role(RelType.PARTICIPATED, "m3", "b"),
            _role(RelType.SENT, "m4", "t1"),
            _role(RelType.TO, "m4", "t2"),
        ],
        now=T,
    )


def _ids(nodes: object) -> list[str]:
    return [n.id for n in nodes]  # type: ignore[attr-defined]


def test_find_by_ids_and_lookup(store: GraphStore) -> None:
    build(store)
    found = store.find_by_ids(ids=["m1", "c_afc", "missing", "z", "m1"])
    assert [(n.label, n.id) for n in found] == [
        (NodeLabel.COMMUNICATION, "m1"),
        (NodeLabel.COMPANY, "c_afc"),
        (NodeLabel.PERSON, "z"),
        (NodeLabel.COMMUNICATION, "m1"),
    ]
    assert found[2].props["name"] == "Omar Haddad"
    assert store.find_by_ids(ids=["z"], labels=[NodeLabel.COMPANY]) == []
    assert _ids(store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain", values=["afc.example", "x", INJECTION])) == [
        "c_afc"
    ]
    with pytest.raises(InvalidInput):
        store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain) DETACH DELETE (n", values=["x"])


def test_neighbours_many_matches_neighbours(store: GraphStore) -> None:
    build(store)
    many = store.neighbours_many(label=NodeLabel.PERSON, node_ids=["t1", "z", "missing"], rel_types=[RelType.KNOWS])
    assert [(n.node.id, n.edge.props["strength"]) for n in many["t1"]] == [("a", 0.9), ("t2", 0.8), ("b", 0.6)]
    assert [n.node.id for n in many["z"]] == ["b", "a", "l"]
    assert many["missing"] == []
    for person in ("t1", "z"):
        single = store.neighbours(label=NodeLabel.PERSON, node_id=person, rel_types=[RelType.KNOWS])
        assert many[person] == single
    capped = store.neighbours_many(
        label=NodeLabel.PERSON, node_ids=["t1", "z"], rel_types=[RelType.KNOWS], limit=1, min_strength=0.35
    )
    assert {k: [n.node.id for n in v] for k, v in capped.items()} == {"t1": ["a"], "z": ["b"]}
    employers = store.neighbours_many(label=NodeLabel.PERSON, node_ids=["l", "b"], rel_types=[RelType.WORKS_AT])
    assert [(n.node.label, n.node.id, "valid_to" in n.edge.props) for n in employers["l"]] == [
        (NodeLabel.COMPANY, "c_afc", True)
    ]
    assert store.degrees(label=NodeLabel.PERSON, node_ids=["t1", "z", "n", "missing"], rel_types=[RelType.KNOWS]) == {
        "t1": 3,
        "z": 3,
        "n": 0,
        "missing": 0,
    }


def test_edges_among(store: GraphStore) -> None:
    build(store)
    edges = store.edges_among(label=NodeLabel.PERSON, rel_type=RelType.KNOWS, ids=["t1", "a", "z", "nobody"])
    assert [(e.src_id, e.dst_id, e.props["strength"]) for e in edges] == [("a", "t1", 0.9), ("a", "z", 0.3)]
    assert store.edges_among(label=NodeLabel.PERSON, rel_type=RelType.KNOWS, ids=[]) == []


def test_query_people_filters(store: GraphStore) -> None:
    build(store)

    def ids(**kw: object) -> list[str]:
        return [r.node.id for r in store.query_people(query=PersonQuery(**kw)).rows]  # type: ignore[arg-type]

    assert ids() == ["a", "b", "l", "t1", "n", "z", "t2"]  # by name: Daniel, Hana, Lina, Maya, Nobody, Omar, Tom
    assert ids(name_contains="HADDAD") == ["l", "z"]
    assert ids(email_domain="afc.example") == ["b", "z"]
    assert ids(company_id="c_afc") == ["b", "z"], "a past employment is not current"
    assert ids(is_team=True) == ["t1", "t2"]
    assert ids(is_team=False, email_domain="afc.example", name_contains="omar") == ["z"]
    assert ids(ids=["z", "t1", "ghost"]) == ["t1", "z"]
    assert ids(name_contains=INJECTION) == []
    page = store.query_people(query=PersonQuery(offset=2, limit=2))
    assert [r.node.id for r in page.rows] == ["l", "t1"] and page.total == 7
    assert store.query_people(query=PersonQuery(offset=10, limit=5)).rows == []


def test_query_people_sorting_and_metrics(store: GraphStore) -> None:
    build(store)

    def order(sort: PersonSort, descending: bool) -> list[str]:
        query = PersonQuery(sort=sort, descending=descending)
        return [r.node.id for r in store.query_people(query=query).rows]

    # degrees: t1 3, z 3, a 2, b 2, t2 1, l 1, n 0 (ties by id)
    assert order(PersonSort.DEGREE, True) == ["t1", "z", "a", "b", "l", "t2", "n"]
    assert order(PersonSort.DEGREE, False) == ["n", "l", "t2", "a", "b", "t1", "z"]
    # strengths: t1 2.3, a 1.2, b 1.0, z 0.9, t2 0.8, l 0.2, n 0
    assert order(PersonSort.STRENGTH, True) == ["t1", "a", "b", "z", "t2", "l", "n"]
    # latest interaction: t1 & a 1 day ago, t2 2, b 10, z 30; l (no date) and n (no ties) last
    assert order(PersonSort.LAST_INTERACTION, True) == ["a", "t1", "t2", "b", "z", "l", "n"]
    assert order(PersonSort.LAST_INTERACTION, False) == ["z", "b", "t2", "a", "t1", "l", "n"]
    assert order(PersonSort.NAME, True) == ["t2", "z", "n", "t1", "l", "b", "a"]
    [row] = store.query_people(query=PersonQuery(ids=["t1"])).rows
    assert (row.degree, row.strength, row.last_interaction) == (3, 2.3, T - timedelta(days=1))
    assert row.node.props["emails"] == ["maya@north.tv"]
    [loner] = store.query_people(query=PersonQuery(ids=["n"])).rows
    assert (loner.degree, loner.strength, loner.last_interaction) == (0, 0.0, None)


def test_query_companies(store: GraphStore) -> None:
    build(store)

    def rows(**kw: object) -> list[tuple[str, int, datetime | None]]:
        page = store.query_companies(query=CompanyQuery(**kw))  # type: ignore[arg-type]
        return [(r.node.id, r.people, r.last_interaction) for r in page.rows]

    assert rows() == [
        ("c_afc", 2, T - timedelta(days=10)),
        ("c_empty", 0, None),
        ("c_mer", 1, T - timedelta(days=1)),
    ]
    assert [r[0] for r in rows(sort=CompanySort.PEOPLE, descending=True)] == ["c_afc", "c_mer", "c_empty"]
    assert [r[0] for r in rows(sort=CompanySort.LAST_INTERACTION, descending=True)] == ["c_mer", "c_afc", "c_empty"]
    assert [r[0] for r in rows(name_contains="sports")] == ["c_mer"]
    assert [r[0] for r in rows(domain="AFC.example")] == ["c_afc"]
    assert store.query_companies(query=CompanyQuery(limit=1, offset=1)).total == 3


def test_communications_of_newest_first_with_keyset(store: GraphStore) -> None:
    build(store)
    page = store.communications_of(person_id="t1", limit=2)
    assert _ids(page.nodes) == ["m1", "m4"] and page.total == 4
    assert page.nodes[0].props["subject"] == "AFC rights package"
    last = page.nodes[-1]
    rest = store.communications_of(person_id="t1", before=(last.props["timestamp"], last.id), limit=10)
    assert _ids(rest.nodes) == ["m2", "m3"], "same timestamp: the lower id comes after"
    assert store.communications_of(person_id="ghost").total == 0


def test_participants_of(store: GraphStore) -> None:
    build(store)
    found = store.participants_of(comm_ids=["m2", "m3", "missing"])
    assert [(p.person.id, p.role) for p in found["m2"]] == [("a", "from"), ("t1", "to"), ("z", "cc")]
    assert [(p.person.id, p.role) for p in found["m3"]] == [("a", "attendee"), ("b", "attendee"), ("t1", "organizer")]
    assert found["missing"] == []
    assert found["m2"][0].person.props["name"] == "Daniel Wu"


def test_interactions_between_and_latest(store: GraphStore) -> None:
    build(store)
    shared = store.interactions_between(person_ids=["t1", "a", "a"])
    assert [i.id for i in shared] == ["m1", "m2", "m3"]
    assert shared[1].senders == ["a"] and shared[1].recipients == [("t1", "TO"), ("z", "CC")]
    assert [i.id for i in store.interactions_between(person_ids=["b", "z"])] == []
    assert store.interactions_between(person_ids=["t1"]) == []
    assert store.latest_communication() == T - timedelta(days=1)


def test_latest_communication_of_empty_graph(store: GraphStore) -> None:
    assert store.latest_communication() is None


def test_text_search(store: GraphStore) -> None:
    build(store)

    def hits(index: TextIndex, text: str) -> list[str]:
        return _ids(m.node for m in store.text_search(index=index, terms=search_terms(text), limit=5))

    assert hits(TextIndex.ENTITIES, "Omar Haddad")[:2] == ["z", "l"]
    assert sorted(hits(TextIndex.ENTITIES, "haddad")) == ["l", "z"]
    assert sorted(hits(TextIndex.ENTITIES, "hadd")) == ["l", "z"], "prefixes match"
    assert hits(TextIndex.ENTITIES, "confederation") == ["c_afc"]
    assert hits(TextIndex.ENTITIES, "media rights") == ["b"], "titles are indexed"
    assert hits(TextIndex.COMMUNICATIONS, "rights package")[:2] == ["m1", "m2"]
    assert hits(TextIndex.COMMUNICATIONS, "discovery") == ["m3"]
    assert hits(TextIndex.ENTITIES, "zzzz") == []
    [match] = store.text_search(index=TextIndex.ENTITIES, terms=["omar", "haddad"], limit=1)
    assert match.score > 0 and match.node.label is NodeLabel.PERSON and "embedding" not in match.node.props
    # Lucene syntax and Cypher in terms are data.
    for nasty in (INJECTION, 'a" OR b:*', "AND OR NOT", "\\", "*"):
        store.text_search(index=TextIndex.ENTITIES, terms=search_terms(nasty), limit=3)
        store.text_search(index=TextIndex.ENTITIES, terms=[nasty], limit=3)
    assert store.text_search(index=TextIndex.ENTITIES, terms=[], limit=3) == []


def test_lucene_query_escapes_everything() -> None:
    assert lucene_query(["omar"]) == "(omar^2 OR omar*)"
    assert lucene_query(['a"b:*', "AND"]) == "(a^2 OR a*) (b^2 OR b*) (and^2 OR and*)"
    assert search_terms("  Omar  HADDAD omar!! ") == ["omar", "haddad"]


def test_vector_search(store: GraphStore) -> None:
    build(store)
    assert store.has_embeddings(label=NodeLabel.PERSON)
    assert not store.has_embeddings(label=NodeLabel.COMPANY)
    matches = store.vector_search(label=NodeLabel.PERSON, vector=_vector(0.0, 1.0, 0.1), limit=3)
    assert _ids(m.node for m in matches) == ["a", "z", "t1"]
    assert matches[0].score > matches[1].score > matches[2].score
    assert "embedding" not in matches[0].node.props
    assert store.vector_search(label=NodeLabel.COMPANY, vector=_vector(1.0), limit=3) == []
    assert store.vector_search(label=NodeLabel.PERSON, vector=[1.0, 0.0], limit=3) == []
    assert store.vector_search(label=NodeLabel.PERSON, vector=_vector(), limit=3) == [], "a zero vector finds nothing"
    assert store.vector_search(label=NodeLabel.PERSON, vector=_vector(float("nan")), limit=3) == []
    with pytest.raises(InvalidInput):
        store.vector_search(label=NodeLabel.IDENTITY, vector=_vector(1.0), limit=3)


def test_set_node_props(store: GraphStore) -> None:
    build(store)
    assert store.set_node_props(label=NodeLabel.PERSON, node_id="z", props={"name": "Omar H.", "title": INJECTION})
    assert store.set_node_props(label=NodeLabel.PERSON, node_id="b", props={"title": None, "is_team": False})
    [z, b] = store.get_nodes(label=NodeLabel.PERSON, ids=["z", "b"])
    assert z.props["name"] == "Omar H." and z.props["title"] == INJECTION
    assert "title" not in b.props and b.props["is_team"] is False
    assert not store.set_node_props(label=NodeLabel.PERSON, node_id="ghost", props={"name": "x"})
    with pytest.raises(InvalidInput):
        store.set_node_props(label=NodeLabel.PERSON, node_id="z", props={"name = 1 //": "x"})


def test_erase_person(store: GraphStore) -> None:
    build(store)
    report = store.erase_person(person_id="t1", now=T)
    assert report.found and report.identities_removed == 1
    # m1 (Maya and Daniel) and m4 (Maya and Tom) are 1:1; m2 and m3 had three people.
    assert report.communications_redacted == 2
    [maya] = store.get_nodes(label=NodeLabel.PERSON, ids=["t1"])
    assert not {"name", "emails", "embedding"} & set(maya.props)
    assert maya.props["erased"] is True
    assert store.resolve_identities(keys=["email:maya@north.tv"]) == {}
    assert store.resolve_identities(keys=["email:omar@afc.example"]) == {"email:omar@afc.example": "z"}
    comms = {n.id: n.props for n in store.get_nodes(label=NodeLabel.COMMUNICATION, ids=["m1", "m2", "m3", "m4"])}
    assert "subject" not in comms["m1"] and "preview" not in comms["m1"] and comms["m1"]["redacted"] is True
    assert comms["m2"]["subject"] == "Re: AFC rights package timeline" and "redacted" not in comms["m2"]
    assert comms["m3"]["action_items"] == ["Send the budget by Friday"]
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id="t1", dst_label=NodeLabel.PERSON, dst_id="a"
    )
    assert edge is not None and edge.props["interaction_count"] == 3 and edge.props["strength"] == 0.9
    assert store.query_people(query=PersonQuery(name_contains="maya")).total == 0
    assert not store.erase_person(person_id="ghost", now=T).found
    again = store.erase_person(person_id="t1", now=T)
    assert again.found and again.identities_removed == 0


class _WordAxes:
    """Query vectors along the axes the test embeddings use: t1 on 0, Daniel on 1, Omar on 2."""

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        words = {"maya": 0, "daniel": 1, "omar": 2}
        return [_vector(*[1.0 if w in t.lower() else 0.0 for w in words]) for t in texts]


@pytest.mark.parametrize(
    "query", ["omar haddad", "haddad", "rights package", "afc.example", "maya@north.tv", "confederation", "disc", "z"]
)
def test_hybrid_search_same_top_results(store: GraphStore, query: str) -> None:
    from tellgraph.graph.memory import MemoryStore
    from tellgraph.services.search import search

    reference = MemoryStore()
    build(reference)
    build(store)
    ours = search(store, query=query, first=3, embedder=_WordAxes())
    theirs = search(reference, query=query, first=3, embedder=_WordAxes())
    assert [(h.node.id, h.matched_by) for h in ours.hits] == [(h.node.id, h.matched_by) for h in theirs.hits]
    assert ours.total == theirs.total and ours.semantic is theirs.semantic is True


def test_neighbours_many_projects_edge_props(store: GraphStore) -> None:
    build(store)
    found = store.neighbours_many(
        label=NodeLabel.PERSON, node_ids=["t1"], rel_types=[RelType.KNOWS], limit=2, edge_props=["strength", "last_*"]
    )
    assert [(n.node.id, n.edge.props) for n in found["t1"]] == [
        ("a", {"strength": 0.9, "last_interaction": T - timedelta(days=1)}),
        ("t2", {"strength": 0.8, "last_interaction": T - timedelta(days=2)}),
    ]
    assert found["t1"][0].node.props["name"] == "Daniel Wu", "node properties are not projected"
    nothing = store.neighbours_many(label=NodeLabel.PERSON, node_ids=["t1"], rel_types=[RelType.KNOWS], edge_props=[])
    assert all(n.edge.props == {} for n in nothing["t1"])
