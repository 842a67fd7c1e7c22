from __future__ import annotations

import pytest

from tellgraph.extractors.nlp.sentiment import SentimentScorer, split_sentences


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


def test_positive_negative_and_neutral(scorer: SentimentScorer) -> None:
    positive = scorer.score("Brilliant, that's exactly what we need. Thanks for moving so quickly!")
    negative = scorer.score(
        "I've just seen invoice BF-2291, and frankly it's unacceptable. This is the second time this year. "
        "Very disappointed."
    )
    neutral = scorer.score("The call is at 10:00 on Tuesday in room 4B. The file is on the server.")
    assert positive is not None and positive > 0.3
    assert negative is not None and negative < -0.3
    assert neutral == 0.0


def test_scores_stay_in_range_and_are_deterministic(scorer: SentimentScorer) -> None:
    text = "GREAT!!! :) " * 500
    first = scorer.score(text)
    assert first is not None and -1.0 <= first <= 1.0
    assert scorer.score(text) == first


def test_empty_and_non_english_get_none(scorer: SentimentScorer) -> None:
    assert scorer.score("") is None
    assert scorer.score("   \n\n ") is None
    assert scorer.score("Vielen Dank für Ihre Hilfe!", language="und") is None
    assert scorer.score_sentences([], language="en") is None


def test_emoji_and_unicode_do_not_crash(scorer: SentimentScorer) -> None:
    assert scorer.score("Thanks 🙏 — see you in Zürich ☕") is not None


def test_split_sentences() -> None:
    assert split_sentences("One. Two!\n\nThree") == ["One.", "Two!", "Three"]
