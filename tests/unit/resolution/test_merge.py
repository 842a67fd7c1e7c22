from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.service import IngestRun
from tellgraph.resolution.companies import derive_employment
from tellgraph.resolution.matcher import MatchConfig, MatchDecision, Matcher
from tellgraph.resolution.merge import merge_people, queue_review, resolve_store, review_id, split_person
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import (
    Activity,
    AuditEntry,
    Channel,
    Participant,
    Person,
    ReviewItem,
    Role,
    stable_id,
)
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.settings import Settings
from tests.activity_factory import ListConnector

T0 = datetime(2001, 5, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)

ANN = ("ann.lee@enron.com", "Ann Lee")
ALEE = ("alee@enron.com", "Lee, Ann")  # the same person's second address
BO = ("bo.chen@enron.com", "Bo Chen")
CY = ("cy@acme.com", "Cy Young")


def mail(n: int, sender: tuple[str, str], to: list[tuple[str, str]], *, days: int = 0) -> Activity:
    ts = T0 + timedelta(days=days, minutes=n)
    participants = [Participant(role=Role.FROM, email=sender[0], name=sender[1])]
    participants += [Participant(role=Role.TO, email=a, name=name) for a, name in to]
    return Activity(
        channel=Channel.EMAIL,
        source="test",
        source_key=f"mail/{n}",
        key=stable_id("m", str(n)),
        timestamp=ts,
        participants=participants,
        subject=f"Subject {n}",
        text=f"Body {n}",
    )


def build(tmp_path: Path, store: MemoryStore | None = None) -> MemoryStore:
    store = store or MemoryStore()
    records = [
        mail(1, ANN, [BO]),
        mail(2, ALEE, [BO], days=1),
        mail(3, ALEE, [CY], days=2),
        mail(4, CY, [ANN, ALEE], days=3),  # both addresses on one mail: TO edges collide on a merge
        mail(5, BO, [ALEE], days=4),
    ]
    settings = Settings(data_dir=tmp_path)
    IngestRun(store=store, connector=ListConnector(records), settings=settings).run()
    rebuild_knows(store, settings=settings)
    entities, edges = derive_employment(store, now=NOW)
    store.write_batch(entities=entities, edges=edges, now=NOW)
    return store


def pid(store: MemoryStore, address: str) -> str:
    return store.resolve_identities(keys=[f"email:{address}"])[f"email:{address}"]


def checksum_without_audit(store: MemoryStore) -> str:
    audits = [n.id for n in store.list_nodes(label=NodeLabel.AUDIT_ENTRY, limit=1000)]
    store.delete_nodes(label=NodeLabel.AUDIT_ENTRY, ids=audits)
    return store.checksum()


def test_merge_moves_everything_and_is_audited(tmp_path: Path) -> None:
    store = build(tmp_path)
    keep, gone = pid(store, ANN[0]), pid(store, ALEE[0])
    bo, cy = pid(store, BO[0]), pid(store, CY[0])
    entry = merge_people(store, keep_id=keep, merge_id=gone, actor="alice", evidence=["same person"], now=NOW)

    assert store.get_nodes(label=NodeLabel.PERSON, ids=[gone]) == []
    person = Person.from_props(keep, store.get_nodes(label=NodeLabel.PERSON, ids=[keep])[0].props)
    assert person.emails == sorted([ANN[0], ALEE[0]]) or set(person.emails) == {ANN[0], ALEE[0]}
    assert "Lee, Ann" in person.aliases and person.name == "Ann Lee"
    # Identities now point at the kept person.
    assert pid(store, ALEE[0]) == keep
    # Communications: what the merged person sent is now sent by the kept one, in both directions.
    interactions = {i.id: i for i in store.iter_interactions()}
    assert interactions[stable_id("m", "3")].senders == [keep]
    assert interactions[stable_id("m", "5")].recipients == [(keep, "TO")]
    assert interactions[stable_id("m", "4")].recipients == [(keep, "TO")]  # the collision kept one edge
    # Relationships: KNOWS edges of the merged person moved (bo was known by both: kept as it was).
    assert store.get_edge(rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id=keep,
                          dst_label=NodeLabel.PERSON, dst_id=cy) is not None  # fmt: skip
    assert store.get_edge(rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id=bo,
                          dst_label=NodeLabel.PERSON, dst_id=keep) is not None  # fmt: skip
    assert store.degree(label=NodeLabel.PERSON, node_id=keep, rel_types=[RelType.WORKS_AT]) == 1

    stored = store.get_nodes(label=NodeLabel.AUDIT_ENTRY, ids=[entry.id])[0]
    audit = AuditEntry.from_props(stored.id, stored.props)
    assert (audit.action, audit.actor, audit.at, audit.subject_ids) == ("merge", "alice", NOW, [keep, gone])
    details = json.loads(audit.details or "{}")
    assert details["evidence"] == ["same person"] and details["moved_edges"] > 0
    undo = json.loads(audit.undo or "{}")
    assert undo["merged"]["id"] == gone and undo["merged"]["props"]["name"] == "Lee, Ann"
    assert {e["type"] for e in undo["edges"]} >= {"SENT", "TO", "KNOWS", "IDENTIFIES", "WORKS_AT"}


def test_merge_then_split_restores_the_store_exactly(tmp_path: Path) -> None:
    store = build(tmp_path)
    before = store.checksum()
    keep, gone = pid(store, ANN[0]), pid(store, ALEE[0])
    merge = merge_people(store, keep_id=keep, merge_id=gone, actor="resolver", evidence=["test"], now=NOW)
    assert store.checksum() != before
    split = split_person(store, audit_id=merge.id, actor="alice", now=NOW + timedelta(hours=1))
    assert split.action == "split" and split.subject_ids == [keep, gone]
    undone = store.get_nodes(label=NodeLabel.AUDIT_ENTRY, ids=[merge.id])[0]
    assert undone.props["undone_at"] == NOW + timedelta(hours=1)
    assert json.loads(split.details or "{}")["undoes"] == merge.id
    assert pid(store, ALEE[0]) == gone
    assert checksum_without_audit(store) == before


def test_split_keeps_what_happened_after_the_merge(tmp_path: Path) -> None:
    store = build(tmp_path)
    keep, gone = pid(store, ANN[0]), pid(store, ALEE[0])
    merge = merge_people(store, keep_id=keep, merge_id=gone, actor="resolver", now=NOW)
    store.upsert_entities(entities=[Person(id=keep, emails=["ann@home.example"])])
    split_person(store, audit_id=merge.id, actor="alice", now=NOW)
    emails = store.get_nodes(label=NodeLabel.PERSON, ids=[keep])[0].props["emails"]
    assert "ann@home.example" in emails and ALEE[0] not in emails


def test_merge_upgrades_an_address_name_and_split_puts_it_back(tmp_path: Path) -> None:
    store = MemoryStore()
    store.upsert_entities(
        entities=[
            Person(id="p1", name="jdoe@acme.com", emails=["jdoe@acme.com"], title="CFO"),
            Person(id="p2", name="Jane Doe", emails=["jane.doe@acme.com"], aliases=["J. Doe"], phones=["+1 555"]),
        ]
    )
    before = store.checksum()
    merge = merge_people(store, keep_id="p1", merge_id="p2", actor="resolver", now=NOW)
    props = store.get_nodes(label=NodeLabel.PERSON, ids=["p1"])[0].props
    assert props["name"] == "Jane Doe"
    assert props["aliases"] == ["J. Doe", "jdoe@acme.com"]
    assert props["phones"] == ["+1 555"] and props["title"] == "CFO"
    split_person(store, audit_id=merge.id, actor="resolver", now=NOW)
    assert checksum_without_audit(store) == before


def test_merge_and_split_refuse_bad_requests(tmp_path: Path) -> None:
    store = build(tmp_path)
    keep, gone = pid(store, ANN[0]), pid(store, ALEE[0])
    with pytest.raises(InvalidInput):
        merge_people(store, keep_id=keep, merge_id=keep, actor="x")
    with pytest.raises(NotFound):
        merge_people(store, keep_id=keep, merge_id="p_missing", actor="x")
    with pytest.raises(NotFound):
        split_person(store, audit_id="audit_missing", actor="x")
    merge = merge_people(store, keep_id=keep, merge_id=gone, actor="x", now=NOW)
    split = split_person(store, audit_id=merge.id, actor="x", now=NOW)
    with pytest.raises(InvalidInput, match="already undone"):
        split_person(store, audit_id=merge.id, actor="x")
    with pytest.raises(InvalidInput, match="not a merge"):
        split_person(store, audit_id=split.id, actor="x")


def test_split_needs_the_kept_person(tmp_path: Path) -> None:
    store = build(tmp_path)
    ann, alee, bo = pid(store, ANN[0]), pid(store, ALEE[0]), pid(store, BO[0])
    first = merge_people(store, keep_id=ann, merge_id=alee, actor="x", now=NOW)
    merge_people(store, keep_id=bo, merge_id=ann, actor="x", now=NOW)
    with pytest.raises(NotFound, match="split that merge first"):
        split_person(store, audit_id=first.id, actor="x")


def test_review_queue_is_idempotent_and_respects_decisions() -> None:
    store = MemoryStore()
    store.upsert_entities(entities=[Person(id="a", name="J. Skilling"), Person(id="b", name="Jeff Skilling")])
    decision = MatchDecision("b", "a", 0.74, "review", ["first name initial (j/jeff)"])
    assert queue_review(store, decisions=[decision, decision], now=NOW) == 1
    item = ReviewItem.from_props(review_id("a", "b"), store.get_nodes(label=NodeLabel.REVIEW_ITEM,
                                                                       ids=[review_id("a", "b")])[0].props)  # fmt: skip
    assert (item.kind, item.subject_ids, item.status, item.score) == ("same-person", ["a", "b"], "open", 0.74)
    assert json.loads(item.evidence or "[]") == ["first name initial (j/jeff)"]
    checksum = store.checksum()
    assert queue_review(store, decisions=[decision], now=NOW + timedelta(days=1)) == 0
    assert store.checksum() == checksum
    store.upsert_entities(entities=[item.model_copy(update={"status": "rejected", "decided_by": "alice"})])
    assert queue_review(store, decisions=[decision], now=NOW) == 0
    stored = store.get_nodes(label=NodeLabel.REVIEW_ITEM, ids=[review_id("a", "b")])[0]
    assert stored.props["status"] == "rejected"
    assert queue_review(store, decisions=[MatchDecision("a", "b", 0.99, "merge", [])]) == 0


def test_resolve_store_merges_queues_and_is_idempotent(tmp_path: Path) -> None:
    store = build(tmp_path)
    store.upsert_entities(
        entities=[
            Person(id="p_speaker", name="Bo Chen"),  # a transcript speaker: name only
            Person(id="p_initial", name="C. Young"),  # uncertain: only an initial
        ]
    )
    matcher = Matcher(config=MatchConfig(use_embeddings=False))
    report = resolve_store(store, actor="resolver", matcher=matcher, now=NOW)
    assert report.merges == 2  # Ann's two addresses, Bo and his name-only twin
    assert report.rescore_needed and report.reviews_queued == 1
    assert pid(store, ALEE[0]) == pid(store, ANN[0])
    assert store.get_nodes(label=NodeLabel.PERSON, ids=["p_speaker"]) == []
    reviews = store.list_nodes(label=NodeLabel.REVIEW_ITEM)
    assert [sorted(r.props["subject_ids"]) for r in reviews] == [sorted(["p_initial", pid(store, CY[0])])]
    audits = store.list_nodes(label=NodeLabel.AUDIT_ENTRY)
    assert {a.props["actor"] for a in audits} == {"resolver"}

    checksum = store.checksum()
    again = resolve_store(store, matcher=matcher, now=NOW)
    assert again.merges == 0 and again.reviews_queued == 0
    assert store.checksum() == checksum


def test_resolve_store_respects_a_rejected_review(tmp_path: Path) -> None:
    store = MemoryStore()
    store.upsert_entities(
        entities=[Person(id="a", name="Jeff Dasovich", emails=["jd@enron.com"]), Person(id="b", name="Jeff Dasovich")]
    )
    store.upsert_entities(
        entities=[ReviewItem(id=review_id("a", "b"), kind="same-person", subject_ids=["a", "b"], status="rejected")]
    )
    report = resolve_store(store, matcher=Matcher(config=MatchConfig(use_embeddings=False)), now=NOW)
    assert report.merges == 0 and report.blocked_merges == 1
    assert store.existing_ids(label=NodeLabel.PERSON, ids=["a", "b"]) == {"a", "b"}


def test_resolve_store_splits_back(tmp_path: Path) -> None:
    store = build(tmp_path)
    before = store.checksum()
    report = resolve_store(store, matcher=Matcher(config=MatchConfig(use_embeddings=False)), now=NOW)
    assert report.merges == 1
    for audit_id in reversed(report.audit_ids):
        split_person(store, audit_id=audit_id, actor="alice", now=NOW)
    assert checksum_without_audit(store) == before


@pytest.mark.parametrize("name", ["", "'); MATCH (n) DETACH DELETE n; //", "jeff@enron.com", "Jеff", "\x00", "a" * 300])
def test_resolve_store_survives_bad_names(name: str) -> None:
    store = MemoryStore()
    store.upsert_entities(
        entities=[
            Person(id="a", name=name or None),
            Person(id="b", name=name or None, emails=["jeff@enron.com"]),
            Person(id="c", name="Jeff Skilling", emails=["jeff@enron.com"]),
        ]
    )
    report = resolve_store(store, matcher=Matcher(config=MatchConfig(use_embeddings=False)), now=NOW)
    assert report.people == 3
    assert report.merges >= 1  # b and c share an address
