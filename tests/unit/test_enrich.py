from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tellgraph.extractors.nlp import load_model
from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.enrich import AnalysedCommunication, NlpEnricher, make_enricher
from tellgraph.ingest.mapping import GraphWrite, IdentityMap
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import (
    Activity,
    Channel,
    Communication,
    Company,
    Participant,
    Person,
    Project,
    Role,
    company_id_for,
    stable_id,
)
from tellgraph.settings import Settings
from tests.activity_factory import ListConnector

ROOT = Path(__file__).resolve().parents[2]
DEMO_MAILDIR = ROOT / "demo" / "maildir"
NOW = datetime(2026, 11, 15, tzinfo=UTC)
T0 = datetime(2026, 10, 7, 8, 20, tzinfo=UTC)

TOM = Participant(role=Role.FROM, email="tom.okafor@northlight.tv", name="Tom Okafor")
PRIYA = Participant(role=Role.TO, email="priya.raman@northlight.tv", name="Priya Raman")
HANA = Participant(role=Role.TO, email="hana.sato@the-afc.example", name="Hana Sato")
DANIEL = Participant(role=Role.FROM, email="daniel.wu@meridian.example", name="Daniel Wu")
MAYA = Participant(role=Role.CC, email="maya.chen@northlight.tv", name="Maya Chen")

SIGNATURE = "\n\nTom\n\nTom Okafor\nChief Executive Officer, Northlight Productions\n+44 20 7946 0101"


def mail(n: int, text: str, *, participants: list[Participant] | None = None, subject: str = "Hello") -> Activity:
    return Activity(
        channel=Channel.EMAIL,
        source="test",
        source_key=f"mail/{n}",
        key=stable_id("m", "test", str(n)),
        timestamp=T0 + timedelta(minutes=n),
        participants=participants or [TOM, PRIYA],
        subject=subject,
        text=text,
    )


@pytest.fixture(scope="module", autouse=True)
def spacy_loaded() -> None:
    load_model()  # once for the module; every enricher below shares it


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    memory = MemoryStore()
    try:
        yield memory
    finally:
        memory.close()


def ingest(store: MemoryStore, activities: list[Activity], tmp_path: Path) -> NlpEnricher:
    enricher = NlpEnricher(store=store)
    IngestRun(
        store=store,
        connector=ListConnector(list(activities)),
        settings=Settings(data_dir=tmp_path, batch_size=50),
        enricher=enricher,
    ).run()
    return enricher


def edges(store: MemoryStore, rel: RelType) -> list[tuple[str, str, dict[str, object]]]:
    return [(e.src_id, e.dst_id, e.props) for e in store.iter_edges(rel_type=rel)]


def person_id(store: MemoryStore, email: str) -> str:
    return store.resolve_identities(keys=[f"email:{email}"])[f"email:{email}"]


def test_communication_gets_analysis_and_keeps_its_fields(store: MemoryStore, tmp_path: Path) -> None:
    activity = mail(1, "Priya,\n\nCan you send the production budget by Friday? Thanks!" + SIGNATURE)
    ingest(store, [activity], tmp_path)
    [node] = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[activity.key])
    assert node.props["action_items"] == ["Send the production budget (due 2026-10-09)"]
    assert node.props["language"] == "en"
    assert node.props["nlp_truncated"] is False
    assert node.props["sentiment"] > 0
    assert node.props["participant_count"] == 2  # not reset by the analysis upsert
    assert node.props["source_keys"] == ["mail/1"]


def test_analysed_communication_writes_only_what_it_sets(store: MemoryStore) -> None:
    update = AnalysedCommunication(
        id="m", channel=Channel.EMAIL, source="test", timestamp=T0, sentiment=0.5, language="en"
    )
    props = update.to_props()
    assert set(props) == set(Communication.field_names())  # every column a store expects
    assert {k for k, v in props.items() if v is not None} == {"channel", "source", "timestamp", "sentiment", "language"}
    full = Communication(
        id="m", channel=Channel.EMAIL, source="test", source_keys=["a/1"], timestamp=T0, participant_count=3
    )
    store.upsert_entities(entities=[full])
    store.upsert_entities(entities=[update])  # written on its own, as a re-analysis would
    [node] = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=["m"])
    assert (node.props["participant_count"], node.props["source_keys"], node.props["sentiment"]) == (3, ["a/1"], 0.5)


def test_mentions_resolve_people_by_exact_name_only(store: MemoryStore, tmp_path: Path) -> None:
    omar = Person(id="p_omar", name="Omar Haddad", emails=["omar.haddad@the-afc.example"])
    store.upsert_entities(entities=[omar])
    activity = mail(
        2,
        "The gap is Omar Haddad, who signs. Omar Haddad is cautious. Nobody knows Zed Unknownperson. "
        "Priya has the budget.",
    )
    ingest(store, [activity], tmp_path)
    mentions = {dst: props for src, dst, props in edges(store, RelType.MENTIONS) if src == activity.key}
    assert mentions["p_omar"]["count"] == 2
    assert person_id(store, PRIYA.email or "") not in mentions  # a participant is not "mentioned"
    assert all(node.props.get("name") != "Zed Unknownperson" for node in store.list_nodes(label=NodeLabel.PERSON))


def test_company_mentions_reuse_or_create_companies(store: MemoryStore, tmp_path: Path) -> None:
    store.upsert_entities(entities=[Company(id="c_psn", name="Pacific Sports Network", domain="psn.example")])
    activity = mail(
        3,
        "Priya,\n\nWe are up against Pacific Sports Network, and I hear Goldman Sachs is financing them. "
        "Goldman Sachs called me twice today.\n\nTom",
    )
    ingest(store, [activity], tmp_path)
    mentioned = {dst for src, dst, _ in edges(store, RelType.MENTIONS) if src == activity.key}
    assert "c_psn" in mentioned
    assert company_id_for("Goldman Sachs") in mentioned
    [goldman] = store.get_nodes(label=NodeLabel.COMPANY, ids=[company_id_for("Goldman Sachs")])
    assert goldman.props["name"] == "Goldman Sachs"


def test_topics_projects_and_about_edges(store: MemoryStore, tmp_path: Path) -> None:
    store.upsert_entities(entities=[Project(id=stable_id("proj", "afc rights package"), name="AFC rights package")])
    first = mail(4, "Budget v3 is in the shared drive.", subject="Production budget for the AFC tender")
    second = mail(5, "Winning the tender is our way into the AFC rights package. The production budget is ready.")
    ingest(store, [first, second], tmp_path)
    about = {(src, dst) for src, dst, _ in edges(store, RelType.ABOUT)}
    budget = stable_id("topic", "production budget")
    assert (first.key, budget) in about and (second.key, budget) in about
    assert (second.key, stable_id("proj", "afc rights package")) in about
    assert (first.key, stable_id("proj", "afc tender")) in about
    [topic] = store.get_nodes(label=NodeLabel.TOPIC, ids=[budget])
    assert topic.props["name"] == "production budget"


def test_introductions_and_employment(store: MemoryStore, tmp_path: Path) -> None:
    intro = mail(
        6,
        "Hana,\n\nI'd like to introduce Maya Chen, Head of Partnerships at Northlight Productions.\n\nDaniel",
        participants=[DANIEL, HANA, MAYA],
        subject="Introduction",
    )
    joined = mail(7, "Priya,\n\nJane Smith has joined Goldman Sachs as Head of Energy Trading.\n\nTom")
    store.upsert_entities(entities=[Person(id="p_jane", name="Jane Smith")])
    ingest(store, [intro, joined], tmp_path)
    daniel, hana, maya = (person_id(store, p.email or "") for p in (DANIEL, HANA, MAYA))
    introduced = {(src, dst): props for src, dst, props in edges(store, RelType.INTRODUCED)}
    assert set(introduced) == {(daniel, maya), (daniel, hana)}
    assert introduced[(daniel, maya)]["introduced_to"] == hana
    assert introduced[(daniel, maya)]["source_communication"] == intro.key
    assert "introduce Maya Chen" in str(introduced[(daniel, maya)]["evidence"])
    works = {(src, dst): props for src, dst, props in edges(store, RelType.WORKS_AT)}
    jane = works[("p_jane", company_id_for("Goldman Sachs"))]
    assert jane["title"] == "Head of Energy Trading"
    assert jane["valid_from"] == joined.timestamp
    assert 0 < float(jane["confidence"]) <= 1  # type: ignore[arg-type]
    assert works[(maya, company_id_for("northlight.tv"))]["title"] == "Head of Partnerships"


def test_signature_sets_title_phones_and_employer(store: MemoryStore, tmp_path: Path) -> None:
    activity = mail(8, "Priya,\n\nSee you Friday." + SIGNATURE)
    ingest(store, [activity], tmp_path)
    tom = person_id(store, "tom.okafor@northlight.tv")
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=[tom])
    assert node.props["title"] == "Chief Executive Officer"
    assert node.props["phones"] == ["+44 20 7946 0101"]
    assert node.props["name"] == "Tom Okafor"
    [company] = store.get_nodes(label=NodeLabel.COMPANY, ids=[company_id_for("northlight.tv")])
    assert company.props["name"] == "Northlight Productions"
    assert company.props["domain"] == "northlight.tv"
    edge = store.get_edge(
        rel_type=RelType.WORKS_AT,
        src_label=NodeLabel.PERSON,
        src_id=tom,
        dst_label=NodeLabel.COMPANY,
        dst_id=company_id_for("northlight.tv"),
    )
    assert edge is not None and edge.props["source"] == "signature"


def test_someone_elses_signature_is_ignored(store: MemoryStore, tmp_path: Path) -> None:
    text = "Forwarding this card.\n\nKen Lay\nChairman, Enron Corp\n713-853-6773"
    ingest(store, [mail(9, text)], tmp_path)
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=[person_id(store, "tom.okafor@northlight.tv")])
    assert "title" not in node.props
    assert not node.props.get("phones")


def test_same_activities_give_the_same_write(store: MemoryStore) -> None:
    activities = [
        mail(10, "Daniel Wu introduced me to Hana Sato. Can you call Goldman Sachs tomorrow?" + SIGNATURE),
        mail(11, "The AFC rights package is moving.", subject="AFC rights package - go/no-go"),
    ]

    def run() -> GraphWrite:
        return NlpEnricher(store=store).enrich(activities, identities=IdentityMap({}), now=NOW)

    first, second = run(), run()
    assert first.entities == second.entities
    assert first.edges == second.edges
    assert all("now" not in str(e.props.values()) for e in first.edges)
    later = NlpEnricher(store=store).enrich(activities, identities=IdentityMap({}), now=NOW + timedelta(days=9))
    assert later.entities == first.entities and later.edges == first.edges  # `now` goes into no property


def test_bad_input_never_crashes(store: MemoryStore, tmp_path: Path) -> None:
    weird = [
        Participant(role=Role.FROM, email="robert@x.example", name="Robert'); MATCH (n) DETACH DELETE n //"),
        Participant(role=Role.TO, email="jeff@enron.com", name="jeff.skilling@enron.com"),
        Participant(role=Role.CC, email="jeff2@enron.com", name="Jеff Skilling"),  # Cyrillic е
        Participant(role=Role.CC, name="{name: 'x'} `backticks`"),
    ]
    activities = [
        mail(20, "", participants=weird),
        mail(21, "x" * 1_000_000, participants=weird),
        mail(22, "お世話になっております。来週の会議の資料をお送りします。", participants=weird, subject="会議"),
        mail(23, "Sehr geehrte Frau Müller, anbei die Unterlagen für das Treffen am Freitag.", participants=weird),
        mail(24, 'Robert\'); MATCH (n) DETACH DELETE n // met "Jeff" {x: 1} at `Enron`.', participants=weird),
    ]
    ingest(store, activities, tmp_path)
    comms = {n.id: n.props for n in store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[a.key for a in activities])}
    assert len(comms) == len(activities)
    assert comms[activities[1].key]["nlp_truncated"] is True
    for activity in activities[2:4]:
        assert comms[activity.key]["language"] == "und"
        assert "sentiment" not in comms[activity.key]
    assert store.counts().nodes["Communication"] == len(activities)


def test_make_enricher(store: MemoryStore, tmp_path: Path) -> None:
    enricher = make_enricher(store=store, settings=Settings(data_dir=tmp_path))
    assert isinstance(enricher, NlpEnricher)


@pytest.mark.slow
def test_demo_maildir_end_to_end(store: MemoryStore, tmp_path: Path) -> None:
    from tellgraph.extractors.maildir import MaildirConnector

    settings = Settings(data_dir=tmp_path, batch_size=40)
    enricher = NlpEnricher(store=store)
    summary = IngestRun(
        store=store, connector=MaildirConnector(path=DEMO_MAILDIR), settings=settings, enricher=enricher
    ).run()
    assert summary.new == 86

    project = stable_id("proj", "afc rights package")
    [node] = store.get_nodes(label=NodeLabel.PROJECT, ids=[project])
    assert node.props["name"] == "AFC rights package"
    about = [src for src, dst, _ in edges(store, RelType.ABOUT) if dst == project]
    assert len(about) >= 5

    comms = store.list_nodes(label=NodeLabel.COMMUNICATION, limit=200)
    assert sum(1 for c in comms if "sentiment" in c.props) >= 80
    dated = [item for c in comms for item in c.props.get("action_items", []) if "(due 20" in item]
    assert "Send the production budget (due 2026-10-09)" in dated
    assert len(edges(store, RelType.MENTIONS)) >= 20
    assert edges(store, RelType.INTRODUCED)

    before = store.checksum()
    again = IngestRun(
        store=store, connector=MaildirConnector(path=DEMO_MAILDIR), settings=settings, enricher=NlpEnricher(store=store)
    ).run()
    assert again.new == 0
    assert store.checksum() == before
