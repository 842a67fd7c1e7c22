from __future__ import annotations

import pytest

from tellgraph.extractors.nlp import NlpPipeline, Phrase, PhraseVocabulary, TextInput
from tellgraph.extractors.nlp.topics import phrase_key, project_key, singular
from tellgraph.schema.model import stable_id


@pytest.fixture(scope="module")
def pipeline() -> NlpPipeline:
    nlp = NlpPipeline()
    nlp.nlp  # noqa: B018 - load spaCy once for the module
    return nlp


def about(pipeline: NlpPipeline, text: str, subject: str | None = None) -> set[tuple[str, str]]:
    [result] = pipeline.analyse([TextInput(key="m", text=text, subject=subject)], vocabulary=PhraseVocabulary())
    return {(p.kind, p.name) for p in result.topics}


@pytest.mark.parametrize(
    ("text", "project"),
    [
        ("Winning it puts us in the room for the whole AFC rights package.", "AFC rights package"),
        (
            "The AFC is tendering the AFC Asian Cup 2027 production tender this autumn.",
            "AFC Asian Cup 2027 production tender",
        ),
        ("Lets talk Monday on whether we are still OK on the ENA deal.", "ENA deal"),
        ("All questions on Project Raptor go to Ben Glisan.", "Project Raptor"),
        (
            "If PSN is going for the Southeast Asia media rights package, we should talk.",
            "Southeast Asia media rights package",
        ),
    ],
)
def test_named_deals_become_projects(pipeline: NlpPipeline, text: str, project: str) -> None:
    assert ("project", project) in about(pipeline, text)


@pytest.mark.parametrize(
    "text",
    [
        "The contract is attached.",
        "Production contract terms are in the drive.",
        "We signed a deal last year.",
    ],
)
def test_no_project_without_a_name(pipeline: NlpPipeline, text: str) -> None:
    assert not any(kind == "project" for kind, _ in about(pipeline, text))


def test_subject_noun_chunks_become_topics(pipeline: NlpPipeline) -> None:
    found = about(pipeline, "Budget attached.", subject="RE: Invoice BF-2291 - unapproved overrun charges")
    assert ("topic", "unapproved overrun charges") in found
    found = about(pipeline, "See below.", subject="Production budget for the AFC tender")
    assert ("topic", "production budget") in found
    assert ("project", "AFC tender") in found
    assert about(pipeline, "Hi.", subject="Lunch in Singapore on 9 June?") == set()


def test_project_ids_match_the_goal_service() -> None:
    phrase = Phrase(kind="project", name="AFC rights package", key=project_key("AFC rights package"))
    assert phrase.id == stable_id("proj", "afc rights package")
    topic = Phrase(kind="topic", name="production budgets", key=phrase_key(["production", "budgets"]))
    assert topic.id == stable_id("topic", "production budget")


def test_singular() -> None:
    assert [singular(w) for w in ("charges", "matches", "companies", "rights", "status", "business", "gas")] == [
        "charge",
        "match",
        "company",
        "rights",
        "status",
        "business",
        "gas",
    ]


def test_vocabulary_finds_known_phrases_in_any_form(pipeline: NlpPipeline) -> None:
    vocabulary = PhraseVocabulary()
    words = pipeline.phrase_words("Production budget")
    assert vocabulary.add(Phrase(kind="topic", name="production budget", key="production budget", words=words))
    assert not vocabulary.add(Phrase(kind="topic", name="production budget", key="production budget", words=words))
    assert not vocabulary.add(Phrase(kind="topic", name="budget", key="budget", words=("budget",)))
    doc = pipeline.nlp.make_doc("Here are the PRODUCTION BUDGETS, and the budget for production.")
    assert [p.key for p in vocabulary.match(doc)] == ["production budget"]
    assert vocabulary.match(pipeline.nlp.make_doc("")) == []
