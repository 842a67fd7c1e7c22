"""Named-entity mentions (people, organisations, places, events, money, dates) from spaCy NER.

The small English model's NER is the only statistical step that runs on whole
bodies. What it returns is cleaned (quotes, possessives, leading "the" removed) and
filtered: single letters, one-letter acronyms, e-mail addresses, links, bare numbers,
greetings tagged as people, and spans too long to be a name are dropped. Mentions
are counted per message; resolving them to graph nodes is the enricher's job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (for long word lists kept readable in source)."""
    return frozenset(text.split())


ENTITY_LABELS: frozenset[str] = frozenset({"PERSON", "ORG", "GPE", "EVENT", "MONEY", "DATE"})
"""The NER labels kept; the rest (NORP, CARDINAL, PRODUCT...) are too noisy to be worth a node."""

MAX_ENTITY_CHARS = 80
MAX_ENTITY_WORDS = 8

_EDGE_JUNK = " \t\"'`“”‘’()[]{}<>,.;:!?*_#|/\\=+~-–—"
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_EMAIL_OR_LINK = re.compile(r"@|://|\bwww\.|\.(?:com|net|org|html?)\b", re.IGNORECASE)
_HAS_LETTER = re.compile(r"[^\W\d_]")
_GREETING = re.compile(r"^(?:dear|hi|hello|hey|thanks|thank you|cheers|morning|good morning)\s+", re.IGNORECASE)
_HONORIFIC = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|madam)\.?\s+", re.IGNORECASE)
# Acronyms NER tags as organisations that are documents, time zones, currencies or jargon.
_NOT_ORGS = word_set(
    """
    nda rfp rfq rfi sow mou loi kpi roi eta faq pdf ppt xls doc gmt bst cet cest est edt cst cdt mst mdt pst pdt
    sgt hkt jst ist aest utc usd gbp eur jpy q1 q2 q3 q4 h1 h2 fy ytd ceo cfo coo cto vp tbd tbc asap fyi
    """
)
# Joined names ("Maya - Hana", "Maya Chen <> Hana Sato") are two mentions run together.
_JOINER = re.compile(r"\s[-–—]\s|<>|\s/\s|\s[x×]\s")
# Words NER likes to tag as people or organisations in e-mail: greetings, sign-offs,
# reply markers, job abbreviations, time words.
_NOT_NAMES = word_set(
    """
    hi hello hey dear thanks thank cheers regards best rgds thx ty ok okay yes no fyi asap eod eow cob tbd tba
    re fw fwd cc bcc pm am ps n/a rsvp attn ceo cfo coo cto cio vp svp evp md gm hr it inc llc ltd corp co plc
    dept mr mrs ms dr sir madam team all everyone folks guys monday tuesday wednesday thursday friday
    saturday sunday today tomorrow yesterday pdf xls doc ppt tel fax mobile cell phone email e-mail
    """
)


def normalise_name(name: str) -> str:
    """Case- and accent-insensitive form of a name: the same folding as ``tellgraph.ingest.mapping``.

    Repeated here because extractors sit below the ingest service and must not import it.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


@dataclass(frozen=True, slots=True)
class EntityMention:
    """One entity named in a message: its label, cleaned text, normalised key and how often."""

    label: str
    text: str
    key: str
    count: int = 1
    in_subject: bool = False


def clean_entity(text: str, label: str) -> str | None:
    """The mention as a name (or ``None`` when it is junk).

    Multi-line spans keep their longest line (NER sometimes runs a sign-off into the
    signature); surrounding punctuation, possessive ``'s`` and, for organisations and
    events, a leading "the" are removed.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    value = " ".join(max(lines, key=len).split()).strip(_EDGE_JUNK)
    value = _POSSESSIVE.sub("", value).strip(_EDGE_JUNK)
    value = _GREETING.sub("", value)
    if label == "PERSON":
        value = _HONORIFIC.sub("", value)
    if label in ("ORG", "EVENT", "GPE") and value.lower().startswith("the "):
        value = value[4:].strip()
    return None if is_junk(value, label) else value


def entity_label(text: str, label: str) -> str:
    """The label to keep: "Dear Mr Marsh" tagged ORG is a person."""
    if label == "ORG" and (_HONORIFIC.match(_GREETING.sub("", text.strip())) or _GREETING.match(text.strip())):
        return "PERSON"
    return label


def is_junk(text: str, label: str) -> bool:
    """Whether a cleaned mention is not worth keeping."""
    if len(text) < 2 or len(text) > MAX_ENTITY_CHARS or len(text.split()) > MAX_ENTITY_WORDS:
        return True
    if _EMAIL_OR_LINK.search(text) or _JOINER.search(text):
        return True
    if label in ("MONEY", "DATE"):
        return not any(ch.isalnum() for ch in text)
    if not _HAS_LETTER.search(text):
        return True  # numbers only
    if normalise_name(text) in _NOT_NAMES:
        return True
    if label == "PERSON":
        if any(ch.isdigit() for ch in text):
            return True
        # Lower-case "names" are NER guesses on casual text ("thanks john" aside, rarely right).
        first = text[0]
        if first.isascii() and first.islower():
            return True
    return label == "ORG" and normalise_name(text) in _NOT_ORGS


def collect_entities(spans: Iterable[tuple[Span, bool]]) -> list[EntityMention]:
    """Count cleaned mentions by (label, normalised text), in order of first appearance.

    Args:
        spans: entity spans with whether each comes from the subject line.
    """
    found: dict[tuple[str, str], EntityMention] = {}
    for span, in_subject in spans:
        label = span.label_
        if label not in ENTITY_LABELS:
            continue
        label = entity_label(span.text, label)
        text = clean_entity(span.text, label)
        if text is None:
            continue
        key = normalise_name(text)
        previous = found.get((label, key))
        if previous is None:
            found[(label, key)] = EntityMention(label=label, text=text, key=key, in_subject=in_subject)
        else:
            found[(label, key)] = EntityMention(
                label=label,
                text=previous.text,
                key=key,
                count=previous.count + 1,
                in_subject=previous.in_subject or in_subject,
            )
    return list(found.values())


def entity_spans(doc: Doc | None, *, in_subject: bool) -> list[tuple[Span, bool]]:
    """A doc's entity spans tagged with where they come from (``doc`` may be ``None``)."""
    return [] if doc is None else [(span, in_subject) for span in doc.ents]
