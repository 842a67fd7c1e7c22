"""Sentiment of a communication: VADER's compound score in -1..1, or ``None``.

Why VADER (``vaderSentiment``) rather than a transformer model:

* it is a lexicon plus rules (negation, intensifiers, "but", capitals, punctuation,
  emoticons) built and validated for short, informal text such as e-mail and chat,
  which is what tellgraph reads;
* it is fast (well over a thousand messages a second on one core) and needs no model
  download, so it runs offline inside every ingest;
* it is deterministic: the same text always gets the same score, which keeps
  re-ingesting idempotent and every number on an edge explainable.

VADER is tuned on sentences: on a whole e-mail its compound score saturates towards
±1 as the text grows. So each sentence is scored and the message gets the mean of
the sentences that carry any sentiment (``|compound| >= 0.05``, VADER's own neutral
band), or ``0.0`` when none does. Empty and non-English text gets ``None``: the
lexicon is English and a score for another language would be noise.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEUTRAL_BAND = 0.05
"""VADER's own threshold: compound scores inside (-0.05, 0.05) are neutral."""

MAX_SENTENCE_CHARS = 1_000
"""Longer "sentences" (tables, run-on lists) are cut: VADER's cost grows faster than their length."""

_PUNCTUATION = string.punctuation
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


class SentimentScorer:
    """Scores text with VADER; the analyser (a lexicon file) is loaded once, on first use."""

    def __init__(self) -> None:
        self._analyzer: SentimentIntensityAnalyzer | None = None

    def _load(self) -> SentimentIntensityAnalyzer:
        if self._analyzer is None:
            try:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
            except ImportError as exc:  # pragma: no cover - a broken install
                raise ImportError(
                    "Sentiment needs vaderSentiment: pip install 'vaderSentiment>=3.3.2' (make install does)"
                ) from exc
            self._analyzer = SentimentIntensityAnalyzer()
        return self._analyzer

    def score_sentences(self, sentences: Iterable[str], *, language: str | None = "en") -> float | None:
        """The mean compound score of the sentences that carry sentiment.

        Args:
            sentences: the message split into sentences (quotes and signature removed).
            language: ``"en"``, or anything else for ``None``.

        Returns:
            A score in -1..1 rounded to 4 decimals, ``0.0`` for neutral text, ``None``
            for empty or non-English text.
        """
        if language != "en":
            return None
        analyzer = self._load()
        lexicon: dict[str, float] = analyzer.lexicon
        scores: list[float] = []
        seen_text = False
        for sentence in sentences:
            text = sentence.strip()
            if not text:
                continue
            seen_text = True
            if text.isascii() and not any(
                word in lexicon or word.strip(_PUNCTUATION) in lexicon for word in text.lower().split()
            ):
                # No word VADER knows: its compound is exactly 0, and asking costs ~10x this check.
                continue
            polarity: dict[str, Any] = analyzer.polarity_scores(text[:MAX_SENTENCE_CHARS])
            compound = float(polarity["compound"])
            if abs(compound) >= NEUTRAL_BAND:
                scores.append(compound)
        if not seen_text:
            return None
        if not scores:
            return 0.0
        return round(max(-1.0, min(1.0, sum(scores) / len(scores))), 4)

    def score(self, text: str, *, language: str | None = "en") -> float | None:
        """Score a whole cleaned text, split into sentences by punctuation and blank lines."""
        return self.score_sentences(split_sentences(text), language=language)


def split_sentences(text: str) -> list[str]:
    """A cheap sentence split (punctuation and blank lines) for text that has no spaCy doc."""
    return [part for part in _SENTENCE.split(text) if part.strip()]
