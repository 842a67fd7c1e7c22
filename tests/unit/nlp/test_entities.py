from __future__ import annotations

import pytest

from tellgraph.extractors.nlp import NlpPipeline, TextInput
from tellgraph.extractors.nlp.entities import clean_entity, entity_label, is_junk, normalise_name
from tellgraph.ingest import mapping


@pytest.fixture(scope="module")
def pipeline() -> NlpPipeline:
    nlp = NlpPipeline()
    nlp.nlp  # noqa: B018 - load spaCy once for the module
    return nlp


def test_mentions_by_label(pipeline: NlpPipeline) -> None:
    text = (
        "Commercial sign-off sits with Omar Haddad at the Asian Football Confederation in Kuala Lumpur. "
        "The budget is £4.2m and proposals are due on 16 November 2026. See you at the SportsPro Asia Summit."
    )
    [result] = pipeline.analyse([TextInput(key="m", text=text)])
    found = {(e.label, e.text) for e in result.entities}
    assert ("PERSON", "Omar Haddad") in found
    assert ("ORG", "Asian Football Confederation") in found
    assert ("GPE", "Kuala Lumpur") in found
    assert any(label == "MONEY" for label, _ in found)
    assert any(label == "DATE" and "November" in text for label, text in found)


def test_mentions_are_counted_once_per_key(pipeline: NlpPipeline) -> None:
    [result] = pipeline.analyse(
        [TextInput(key="m", text="We met Omar Haddad in Singapore. Later Omar Haddad called Hana about the budget.")]
    )
    [omar] = [e for e in result.entities if e.key == "omar haddad"]
    assert (omar.label, omar.text, omar.count) == ("PERSON", "Omar Haddad", 2)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("J", "PERSON"),
        ("A", "ORG"),
        ("jeff.skilling@enron.com", "PERSON"),
        ("www.enron.com", "ORG"),
        ("12345", "ORG"),
        ("Thanks", "PERSON"),
        ("NDA", "ORG"),
        ("SGT", "ORG"),
        ("john smith", "PERSON"),
        ("R2D2 Unit", "PERSON"),
        ("Maya - Hana", "PERSON"),
        ("x" * 100, "ORG"),
    ],
)
def test_junk_is_filtered(text: str, label: str) -> None:
    assert clean_entity(text, label) is None


def test_cleaning() -> None:
    assert clean_entity("the Asian Football Confederation's", "ORG") == "Asian Football Confederation"
    assert clean_entity("Dear Mr Marsh", "PERSON") == "Marsh"
    assert clean_entity('"Hana Sato"', "PERSON") == "Hana Sato"
    assert clean_entity("Tom\n\nTom Okafor", "PERSON") == "Tom Okafor"
    assert clean_entity("$15.00", "MONEY") == "$15.00"
    assert entity_label("Dear Mr Marsh", "ORG") == "PERSON"
    assert entity_label("Enron", "ORG") == "ORG"
    assert not is_junk("Sofía Márquez", "PERSON")
    assert not is_junk("佐藤花子", "PERSON")


def test_normalise_name_matches_the_ingest_folding() -> None:
    for name in ("Sofía Márquez", "  JEFF   Skilling ", "Zoë O’Brien", "Straße"):
        assert normalise_name(name) == mapping.normalise_name(name)
