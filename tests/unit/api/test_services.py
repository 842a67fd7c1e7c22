"""The services behind the API: introductions, search, timelines, networks and edits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.queries import PersonQuery
from tellgraph.graph.store import GraphPath, PathHop
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Channel, Role
from tellgraph.services import interactions, intros, network, person_edits, search, timeline
from tellgraph.services.interactions import InteractionSpec, ParticipantSpec
from tellgraph.services.people import resolve_target
from tellgraph.settings import Settings
from tests.contract.test_store_queries import T, build
from tests.unit.api.conftest import AxisEmbedder

# -- warm introductions ---------------------------------------------------------------


def _path(ids: list[str], strengths: list[float], **props: object) -> GraphPath:
    hops = [
        PathHop(src_id=a, dst_id=b, strength=s, last_interaction=T, props={"strength": s, **props})
        for a, b, s in zip(ids, ids[1:], strengths, strict=False)
    ]
    score = 1.0
    for s in strengths:
        score *= s
    return GraphPath(node_ids=ids, hops=hops, score=score)


def test_near_duplicates_collapse() -> None:
    candidates = [
        _path(["maya", "daniel", "omar"], [0.9, 0.5]),
        _path(["tom", "daniel", "omar"], [0.8, 0.5]),
        _path(["maya", "daniel", "hana", "omar"], [0.9, 0.6, 0.5]),
        _path(["maya", "hana", "daniel", "omar"], [0.7, 0.6, 0.5]),
        _path(["maya", "omar"], [0.2]),
    ]
    ranked = intros.rank_paths(candidates, as_of=T, policy=intros.IntroPolicy(), first=5)
    assert [(p.path.node_ids, p.collapsed) for p in ranked] == [
        (["maya", "daniel", "omar"], 1),
        (["maya", "daniel", "hana", "omar"], 1),
        (["maya", "omar"], 0),
    ]


def test_stale_and_negative_ties_count_for_less() -> None:
    policy = intros.IntroPolicy(stale_after_days=30, stale_factor=0.5, negative_below=-0.2, negative_factor=0.1)
    fresh = _path(["maya", "a", "omar"], [0.6, 0.6])
    stale = _path(["maya", "b", "omar"], [0.9, 0.9])
    stale.hops[1].__dict__["last_interaction"] = T - timedelta(days=90)
    angry = _path(["maya", "c", "omar"], [0.8, 0.8], sentiment=-0.6)
    ranked = intros.rank_paths([stale, angry, fresh], as_of=T, policy=policy, first=3)
    assert [p.path.node_ids[1] for p in ranked] == ["b", "a", "c"]  # 0.405, 0.36, 0.0064
    assert ranked[0].hops[1].stale and not ranked[0].hops[0].stale
    assert ranked[2].hops[0].negative
    text, warnings = intros.explain(ranked[0], {})
    assert "stale" in warnings[0] and "90 days" in warnings[0]
    assert "Ask b to introduce maya to omar" in text


def test_intro_paths_to_a_person_and_to_a_company() -> None:
    store = MemoryStore()
    build(store)
    plan = intros.find_intro_paths(store, sources=["maya@north.tv", "t2"], target="omar@afc.example", first=3)
    assert [p.path.node_ids for p in plan.paths] == [["t1", "a", "z"], ["t1", "b", "z"]]
    assert "Ask Hana Sato to introduce Maya Chen to Omar Haddad" in plan.paths[1].explanation
    to_company = intros.find_intro_paths(store, sources=["t1"], target="afc.example", first=5)
    assert to_company.target.kind == "company"
    assert sorted(p.id for p in to_company.target.people) == ["b", "z"]
    assert to_company.paths[0].path.node_ids == ["t1", "b"]
    # Omar via Hana is the same introduction as Hana herself? No: different intermediaries.
    assert ["t1", "a", "z"] in [p.path.node_ids for p in to_company.paths]
    assert resolve_target(store, ref="c_afc").kind == "company"
    with pytest.raises(NotFound):
        resolve_target(store, ref="nothing.example")
    with pytest.raises(InvalidInput):
        intros.find_intro_paths(store, sources=[], target="z")
    with pytest.raises(InvalidInput):
        intros.find_intro_paths(store, sources=["t1"], target="z", max_hops=9)


# -- search ----------------------------------------------------------------------------


def test_hybrid_search_fuses_exact_text_and_semantic() -> None:
    store = MemoryStore()
    build(store)
    exact = search.search(store, query="omar@afc.example", first=3)
    assert exact.hits[0].node.id == "z" and "exact" in exact.hits[0].matched_by and exact.hits[0].score > 1
    assert search.search(store, query="afc.example", first=1).hits[0].node.id == "c_afc"
    words = search.search(store, query="haddad", first=5)
    assert {h.node.id for h in words.hits} == {"l", "z"} and not words.semantic
    semantic = search.search(store, query="broadcast", first=3, embedder=AxisEmbedder())
    assert semantic.semantic and semantic.hits[0].node.id == "a" and semantic.hits[0].matched_by == ["semantic"]
    # Hana's title ("Media Rights") tops the entity list, m1 the communications: equal ranks, then ids.
    assert [h.node.id for h in search.search(store, query="rights package", first=3).hits] == ["b", "m1", "m2"]
    page = search.search(store, query="rights package", first=1, offset=2)
    assert [h.node.id for h in page.hits] == ["m2"] and page.total == 3
    with pytest.raises(InvalidInput):
        search.search(store, query="   ", first=3)
    with pytest.raises(InvalidInput):
        search.search(store, query="x" * 500, first=3)


def test_embedding_availability_is_cached() -> None:
    store = MemoryStore()
    build(store)
    availability = search.EmbeddingAvailability(ttl=60)
    assert availability.labels(store) == (NodeLabel.PERSON,)
    store.clear()
    assert availability.labels(store) == (NodeLabel.PERSON,), "cached"
    assert search.EmbeddingAvailability(ttl=0).labels(store) == ()


# -- timelines and networks ------------------------------------------------------------


def test_timeline_pages() -> None:
    store = MemoryStore()
    build(store)
    first = timeline.timeline(store, person_id="t1", first=3)
    assert [n.id for n in first.nodes] == ["m1", "m4", "m2"] and first.has_next and first.total == 4
    rest = timeline.timeline(store, person_id="t1", first=3, before=timeline.keyset(first.nodes[-1]))
    assert [n.id for n in rest.nodes] == ["m3"] and not rest.has_next
    with pytest.raises(InvalidInput):
        timeline.timeline(store, person_id="t1", first=1000)


def test_network_is_bounded_and_strongest_first() -> None:
    store = MemoryStore()
    build(store)
    graph = network.network(store, center="maya@north.tv", depth=2, limit=4)
    assert [(n.node.id, n.depth) for n in graph.nodes] == [("t1", 0), ("a", 1), ("t2", 1), ("b", 1)]
    assert graph.truncated is False or len(graph.nodes) == 4
    assert {(e.src_id, e.dst_id) for e in graph.edges} == {("a", "t1"), ("t1", "t2"), ("b", "t1")}
    wide = network.network(store, center="t1", depth=2, limit=50)
    assert {n.node.id for n in wide.nodes} == {"t1", "a", "t2", "b", "z"}
    assert {n.node.id: n.depth for n in wide.nodes}["z"] == 2
    strong = network.network(store, center="t1", depth=1, limit=50, min_strength=0.7)
    assert {n.node.id for n in strong.nodes} == {"t1", "a", "t2"}
    with pytest.raises(InvalidInput):
        network.network(store, center="t1", depth=4)


# -- manual interactions ---------------------------------------------------------------


def _call(**overrides: object) -> InteractionSpec:
    data: dict[str, object] = {
        "channel": Channel.CALL,
        "timestamp": T + timedelta(hours=2),
        "subject": "Quick call",
        "participants": [
            ParticipantSpec(email="maya@north.tv", role=Role.ORGANIZER),
            ParticipantSpec(person_id="b"),
            ParticipantSpec(email="new.person@afc.example", name="New Person"),
        ],
        **overrides,
    }
    return InteractionSpec(**data)  # type: ignore[arg-type]


def test_log_interaction_is_idempotent_and_rescored() -> None:
    store = MemoryStore()
    build(store)
    settings = Settings()
    first = interactions.log_interaction(store, spec=_call(), settings=settings, now=T + timedelta(days=1))
    assert first.created and first.relationships_updated == 3
    again = interactions.log_interaction(store, spec=_call(), settings=settings, now=T + timedelta(days=1))
    assert not again.created and again.communication.id == first.communication.id
    assert store.counts().nodes["Communication"] == 5
    [hana] = store.get_nodes(label=NodeLabel.PERSON, ids=["b"])
    assert hana.props.get("handles", []) == [], "the key that located Hana is not added to her handles"
    newcomer = store.query_people(query=PersonQuery(name_contains="new person")).rows
    assert len(newcomer) == 1
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id="b", dst_label=NodeLabel.PERSON, dst_id="t1"
    )
    # the discovery meeting and this call
    assert (
        edge is not None
        and edge.props["interaction_count"] == 2
        and edge.props["last_interaction"] == T + timedelta(hours=2)
    )
    assert again.relationships_updated == 3  # a retry rescores, which changes nothing
    knows = {"rel_type": RelType.KNOWS, "src_label": NodeLabel.PERSON, "dst_label": NodeLabel.PERSON}
    assert store.get_edge(src_id="b", dst_id="t1", **knows) == edge
    by_id = interactions.log_interaction(store, spec=_call(external_id="crm-42"), settings=settings)
    same = interactions.log_interaction(store, spec=_call(external_id="crm-42", subject="Edited"), settings=settings)
    assert by_id.created and not same.created


def test_a_retry_after_a_crash_between_write_and_rescore_heals_the_ties(monkeypatch: pytest.MonkeyPatch) -> None:
    reference = MemoryStore()
    build(reference)
    interactions.log_interaction(reference, spec=_call(), settings=Settings(), now=T + timedelta(days=1))

    store = MemoryStore()
    build(store)

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed after the write")

    with monkeypatch.context() as patched:
        patched.setattr(interactions, "rescore_communications", crash)
        with pytest.raises(SystemExit):
            interactions.log_interaction(store, spec=_call(), settings=Settings(), now=T + timedelta(days=1))
    assert store.counts().nodes["Communication"] == 5, "the communication was written, its ties were not rescored"
    assert store.checksum() != reference.checksum()

    retried = interactions.log_interaction(store, spec=_call(), settings=Settings(), now=T + timedelta(days=1))
    assert not retried.created and retried.relationships_updated == 3
    assert store.checksum() == reference.checksum()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"participants": [ParticipantSpec(email="maya@north.tv")]}, "participants"),
        ({"participants": [ParticipantSpec(email="maya@north.tv"), ParticipantSpec(email="nope")]}, "participants"),
        (
            {"participants": [ParticipantSpec(email="a@b.example", person_id="t1"), ParticipantSpec(person_id="b")]},
            "participants",
        ),
        ({"channel": Channel.EMAIL}, "participants"),  # an email needs a sender
        ({"timestamp": datetime(2999, 1, 1, tzinfo=UTC)}, "timestamp"),
        ({"timestamp": datetime(2026, 1, 1)}, "timestamp"),
    ],
)
def test_log_interaction_refuses_bad_input(overrides: dict[str, object], field: str) -> None:
    store = MemoryStore()
    build(store)
    spec = _call(**overrides)
    if spec.channel is Channel.EMAIL:
        spec = spec.model_copy(
            update={
                "participants": [
                    ParticipantSpec(email="maya@north.tv", role=Role.TO),
                    ParticipantSpec(person_id="b", role=Role.TO),
                ]
            }
        )
    with pytest.raises(InvalidInput) as raised:
        interactions.log_interaction(store, spec=spec, settings=Settings(), now=T)
    assert raised.value.field == field
    with pytest.raises(NotFound):
        interactions.log_interaction(
            store,
            spec=_call(participants=[ParticipantSpec(person_id="ghost"), ParticipantSpec(person_id="b")]),
            settings=Settings(),
            now=T,
        )


# -- edits and erasure -----------------------------------------------------------------


def test_update_person_fields_emails_and_employer() -> None:
    store = MemoryStore()
    build(store)
    update = person_edits.PersonUpdate(
        name="Hana  Sato-Ito",
        title="Head of Media Rights",
        add_emails=["Hana.Private@Mail.example"],
        company_domain="meridian.example",
        is_team=False,
    )
    node, entry = person_edits.update_person(store, ref="b", update=update, actor="api:editor:x", now=T)
    assert node.props["name"] == "Hana Sato-Ito" and node.props["title"] == "Head of Media Rights"
    assert "hana.private@mail.example" in node.props["emails"]
    assert store.resolve_identities(keys=["email:hana.private@mail.example"]) == {
        "email:hana.private@mail.example": "b"
    }
    jobs = {
        n.node.id: n.edge.props
        for n in store.neighbours(label=NodeLabel.PERSON, node_id="b", rel_types=[RelType.WORKS_AT])
    }
    assert jobs["c_afc"]["valid_to"] == T and "valid_to" not in jobs["c_mer"]
    assert entry.action == "update_person" and entry.actor == "api:editor:x"
    assert json.loads(entry.details or "{}")["fields"] == [
        "company",
        "company_domain",
        "emails",
        "is_team",
        "name",
        "title",
    ]
    assert "Sato-Ito" not in (entry.details or "")
    with pytest.raises(InvalidInput, match="belongs to person t1"):
        person_edits.update_person(
            store, ref="b", update=person_edits.PersonUpdate(add_emails=["maya@north.tv"]), actor="x"
        )
    with pytest.raises(InvalidInput, match="nothing to change"):
        person_edits.update_person(store, ref="b", update=person_edits.PersonUpdate(), actor="x")
    with pytest.raises(NotFound):
        person_edits.update_person(store, ref="ghost", update=update, actor="x")


def test_forget_person_audits_without_personal_data() -> None:
    store = MemoryStore()
    build(store)
    report, entry = person_edits.forget_person(store, ref="maya@north.tv", actor="api:admin:y", now=T)
    assert report.identities_removed == 1 and report.communications_redacted == 2
    assert entry.action == "forget_person" and entry.subject_ids == ["t1"]
    assert "maya" not in (entry.details or "").lower() and "north.tv" not in (entry.details or "")
    [stored] = store.get_nodes(label=NodeLabel.AUDIT_ENTRY, ids=[entry.id])
    assert stored.props["actor"] == "api:admin:y"
    with pytest.raises(InvalidInput, match="erased"):
        person_edits.update_person(store, ref="t1", update=person_edits.PersonUpdate(name="Back"), actor="x")
    with pytest.raises(NotFound):
        person_edits.forget_person(store, ref="maya@north.tv", actor="x")
