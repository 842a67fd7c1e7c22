"""Small text helpers shared by goals and agents: folding, word matching, dates in words."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

_WORD = re.compile(r"[\w&'-]+", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "into",
        "as",
        "is",
        "are",
        "be",
        "our",
        "we",
        "us",
        "their",
        "its",
        "it",
        "this",
        "that",
        "win",
        "wider",
        "package",
        "production",
        "partner",
        "ltd",
        "llc",
        "inc",
        "plc",
        "co",
        "pte",
        "gmbh",
        "sa",
    ]
)


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a text."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return _WORD.findall(fold(text))


def contains_phrase(haystack_folded: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in the (already folded) text on word boundaries."""
    needle = fold(phrase)
    if not needle:
        return False
    return re.search(rf"(?<![\w]){re.escape(needle)}(?![\w])", haystack_folded) is not None


def acronym(name: str) -> str:
    """Initials of a name's significant words: "Asian Football Confederation" -> "AFC"."""
    significant = [w for w in _WORD.findall(name) if w.casefold() not in STOPWORDS and w[:1].isalpha()]
    return "".join(w[0] for w in significant).upper()


def days_between(later: datetime, earlier: datetime) -> int:
    """Whole days from ``earlier`` to ``later`` (negative when ``later`` is before)."""
    return int((later - earlier).total_seconds() // 86400)


def short_date(value: datetime | None) -> str:
    """``2026-11-13`` or ``unknown``."""
    return value.date().isoformat() if value else "unknown"
