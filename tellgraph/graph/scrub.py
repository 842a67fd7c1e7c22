"""Finding and replacing an erased person's names and addresses in free text (both stores use it).

Erasure removes a person's own properties and identities; their name and addresses also
live on in text about them: group emails' subjects and previews, meeting and event names,
agents' drafts and reasons, goal targets' references, mention and evidence snippets on edges,
audit entries' details. :func:`scrub_props` replaces every occurrence, case-insensitively and
whatever whitespace separates the words (``Omar  Haddad``, ``OMAR HADDAD``, ``Haddad, Omar``),
with :data:`ERASED`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

ERASED = "[erased]"
"""What erased text is replaced with."""

MIN_TERM_LENGTH = 4
"""Shorter terms (initials, two-letter names) would scrub unrelated text."""

NEVER_SCRUBBED = frozenset({"id", "embedding", "erased", "erased_at", "redacted"})
"""Properties that are identities, vectors or erasure bookkeeping, never text about someone."""


def erasure_terms(props: Mapping[str, Any]) -> list[str]:
    """The strings that identify a person in text: name (also as ``Last, First``), aliases, emails, phones, profile."""
    found: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, str) and len(value.strip()) >= MIN_TERM_LENGTH and value.strip() not in found:
            found.append(value.strip())

    for name in [props.get("name"), *(props.get("aliases") or [])]:
        add(name)
        words = name.split() if isinstance(name, str) else []
        if len(words) == 2:
            add(f"{words[1]}, {words[0]}")
    for key in ("emails", "phones"):
        for value in props.get(key) or []:
            add(value)
    add(props.get("linkedin_url"))
    return found


def needles(terms: Iterable[str]) -> list[list[str]]:
    """For each term, the lower-case words a text holding it must contain (each one somewhere).

    A store finds candidate texts with cheap ``CONTAINS`` tests on these (any term, all of
    its words) before :func:`scrub_props` decides; words rather than the whole term, because
    the text may split them with other whitespace.
    """
    found: list[list[str]] = []
    for term in terms:
        words = sorted(set(term.casefold().split()), key=len, reverse=True)
        if words and words not in found:
            found.append(words)
    return found


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for all terms, longest first, any whitespace between words, whole words only."""
    parts = []
    for term in sorted(set(terms), key=len, reverse=True):
        pieces = [re.escape(piece) for piece in term.split()]
        if pieces:
            parts.append(r"\s+".join(pieces))
    if not parts:
        return None
    # Whole words only: "Ann Lee" is not in "Ann Leeds", nor ann@x.org in joann@x.org.
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def scrub_value(value: Any, pattern: re.Pattern[str], replacement: str = ERASED) -> Any:
    """The value with every match replaced (strings and lists of strings; anything else unchanged)."""
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return [pattern.sub(replacement, item) for item in value]
    return value


def scrub_props(props: Mapping[str, Any], pattern: re.Pattern[str], replacement: str = ERASED) -> dict[str, Any]:
    """The properties that change when the pattern's matches are replaced, with their new values."""
    changed: dict[str, Any] = {}
    for key, value in props.items():
        if key in NEVER_SCRUBBED:
            continue
        new = scrub_value(value, pattern, replacement)
        if new != value:
            changed[key] = new
    return changed
