"""Store methods the goals and agents need, the same on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tellgraph.graph.store import GraphStore
from tellgraph.schema.actions import ActionChannel, ActionStatus, Signal, SignalKind, SuggestedAction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Channel, Communication, Edge, Identity, Person

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _edge(rel: RelType, src: tuple[NodeLabel, str], dst: tuple[NodeLabel, str]) -> Edge:
    return Edge(type=rel, src_label=src[0], src_id=src[1], dst_label=dst[0], dst_id=dst[1], provenance=["test"])


def _mail(store: GraphStore, comm_id: str, sender: str, to: list[str], *, days: int, thread: str) -> None:
    store.upsert_entities(
        entities=[
            Communication(
                id=comm_id,
                channel=Channel.EMAIL,
                source="test",
                timestamp=NOW + timedelta(days=days),
                subject=f"subject {comm_id}",
                thread_key=thread,
            )
        ]
    )
    comm = (NodeLabel.COMMUNICATION, comm_id)
    edges = [_edge(RelType.SENT, (NodeLabel.PERSON, sender), comm)]
    edges += [_edge(RelType.TO, comm, (NodeLabel.PERSON, p)) for p in to]
    store.upsert_edges(edges=edges, now=NOW)


def _people(store: GraphStore) -> None:
    people = {"a": "ann@acme.example", "b": "bo@acme.example", "c": "cy@other.example", "d": "di@sub.acme.example"}
    store.upsert_entities(entities=[Person(id=k, name=k.upper(), emails=[v]) for k, v in people.items()])
    store.upsert_entities(entities=[Identity(id=f"email:{v}", kind="email", value=v) for v in people.values()])
    store.upsert_edges(
        edges=[
            _edge(RelType.IDENTIFIES, (NodeLabel.IDENTITY, f"email:{v}"), (NodeLabel.PERSON, k))
            for k, v in people.items()
        ],
        now=NOW,
    )


def test_find_interactions_by_person_and_id_newest_first(store: GraphStore) -> None:
    _people(store)
    _mail(store, "m1", "a", ["b"], days=1, thread="t1")
    _mail(store, "m2", "b", ["a", "c"], days=2, thread="t1")
    _mail(store, "m3", "c", ["d"], days=3, thread="t2")
    _mail(store, "m0", "d", ["c"], days=3, thread="t2")  # same time as m3: ordered by id

    found = store.find_interactions(person_ids=["a"])
    assert [i.id for i in found] == ["m2", "m1"]
    assert found[0].senders == ["b"] and found[0].recipients == [("a", "TO"), ("c", "TO")]
    assert found[0].thread_key == "t1"

    both = store.find_interactions(person_ids=["c"], comm_ids=["m1"])
    assert [i.id for i in both] == ["m0", "m3", "m2", "m1"]
    assert [i.id for i in store.find_interactions(person_ids=["c"], since=NOW + timedelta(days=3))] == ["m0", "m3"]
    assert [i.id for i in store.find_interactions(person_ids=["a", "c"], limit=2)] == ["m0", "m3"]
    assert store.find_interactions(person_ids=["nobody"]) == []
    assert store.find_interactions() == []


def test_people_at_domain_is_exact(store: GraphStore) -> None:
    _people(store)
    assert [p.id for p in store.people_at_domain(domain="acme.example")] == ["a", "b"]
    assert [p.id for p in store.people_at_domain(domain="ACME.example", limit=1)] == ["a"]
    assert [p.id for p in store.people_at_domain(domain="sub.acme.example")] == ["d"]
    assert store.people_at_domain(domain="nowhere.example") == []


def test_actions_and_signals_round_trip(store: GraphStore) -> None:
    action = SuggestedAction(
        id="action_1",
        kind="touchpoint",
        agent="relationship",
        channel=ActionChannel.EMAIL,
        title="Catch up with Bo",
        target_ids=["b"],
        recipients=["bo@acme.example"],
        reasons=["due"],
        proposed_at=NOW,
    )
    signal = Signal(id="signal_1", kind=SignalKind.FUNDING, title="Acme raises", source="feed", matched=["Acme"])
    store.upsert_entities(entities=[action, signal])
    got = store.get_nodes(label=NodeLabel.SUGGESTED_ACTION, ids=["action_1"])[0].as_entity()
    assert got == action
    assert isinstance(got, SuggestedAction) and got.status is ActionStatus.PROPOSED
    store.upsert_entities(
        entities=[got.model_copy(update={"status": ActionStatus.APPROVED, "proposed_at": NOW + timedelta(1)})]
    )
    again = store.get_nodes(label=NodeLabel.SUGGESTED_ACTION, ids=["action_1"])[0].as_entity()
    assert isinstance(again, SuggestedAction)
    assert again.status is ActionStatus.APPROVED and again.proposed_at == NOW  # proposed_at keeps the first
    assert store.get_nodes(label=NodeLabel.SIGNAL, ids=["signal_1"])[0].as_entity() == signal


def test_people_at_domain_sees_later_writes(store: GraphStore) -> None:
    _people(store)
    assert [p.id for p in store.people_at_domain(domain="acme.example")] == ["a", "b"]
    store.upsert_entities(
        entities=[
            Person(id="e", name="E", emails=["eve@acme.example"]),
            Identity(id="email:eve@acme.example", kind="email", value="eve@acme.example"),
        ]
    )
    store.upsert_edges(
        edges=[_edge(RelType.IDENTIFIES, (NodeLabel.IDENTITY, "email:eve@acme.example"), (NodeLabel.PERSON, "e"))],
        now=NOW,
    )
    assert [p.id for p in store.people_at_domain(domain="acme.example")] == ["a", "b", "e"]
    store.delete_nodes(label=NodeLabel.IDENTITY, ids=["email:ann@acme.example"])
    assert [p.id for p in store.people_at_domain(domain="acme.example")] == ["b", "e"]
