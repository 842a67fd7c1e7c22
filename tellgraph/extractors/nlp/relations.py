"""Relations stated in text: introductions and employment.

spaCy ``Matcher`` patterns over NER labels and words find the forms people write:

* "X introduced me to Y", "I was introduced to Y by X", "let me introduce you to Y",
  "I'd like to introduce X" (to the recipient) → :class:`Introduction`;
* "X joined Y", "X has joined Y as T" → :class:`Employment` that *started* at the message date;
* "X, T at Y", "X is the T at Y", "X, our T", "cc'ing X, who runs our Y" → :class:`Employment`
  with a title (``our`` means the sender's own company).

Bodies go through the NER-only pipeline, so the patterns use entity labels and word
forms rather than a dependency parse (a ``DependencyMatcher`` would need the parser,
which costs more than the rest of extraction). Each match is then checked in Python:
a title must contain a job-title word, an introduction must be stated in the first
person ("let me introduce", not "could you introduce"), and evidence is the sentence.

People and companies are returned as the text written, or as :data:`SENDER`,
:data:`RECIPIENT` and :data:`SENDER_COMPANY`; resolving them is the enricher's job.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tellgraph.extractors.nlp.entities import clean_entity, word_set
from tellgraph.extractors.nlp.signatures import has_title_word

if TYPE_CHECKING:
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Span
    from spacy.vocab import Vocab

SENDER = "@sender"
"""Stands for the message's sender ("I", "me")."""
RECIPIENT = "@recipient"
"""Stands for the message's only direct recipient ("you")."""
SENDER_COMPANY = "@sender-company"
"""Stands for the sender's company ("our Head of Production")."""

MAX_EVIDENCE_CHARS = 300
MAX_TITLE_WORDS = 8

_PERSON: dict[str, Any] = {"ENT_TYPE": "PERSON", "OP": "+"}
# The small model often tags a name it has not seen as a place or an organisation ("Hana Sato" as GPE);
# in an introduction the slot can only hold a person, and the enricher resolves it against known people.
_NAME: dict[str, Any] = {"ENT_TYPE": {"IN": ["PERSON", "ORG", "GPE"]}, "OP": "+"}
_NAME_LABELS = frozenset({"PERSON", "ORG", "GPE"})
_ORG: dict[str, Any] = {"ENT_TYPE": "ORG", "OP": "+"}
_WORDS: dict[str, Any] = {"IS_PUNCT": False, "IS_SPACE": False, "ENT_TYPE": {"NOT_IN": ["PERSON"]}, "OP": "+"}
_DET: dict[str, Any] = {
    "LOWER": {"IN": ["the", "our", "their", "a", "an", "its", "his", "her", "new", "now"]},
    "OP": "?",
}
_PREP: dict[str, Any] = {"LOWER": {"IN": ["at", "with", "of", "for"]}}
_THE: dict[str, Any] = {"LOWER": "the", "OP": "?"}
_INTRODUCE: dict[str, Any] = {"LOWER": {"IN": ["introduce", "introducing"]}}
_RUN_VERBS = ["runs", "leads", "heads", "manages", "owns", "founded", "oversees", "run", "lead", "head", "manage"]

_PATTERNS: dict[str, list[list[dict[str, Any]]]] = {
    "INTRO_BY": [
        [
            _NAME,
            {"LOWER": {"IN": ["has", "had", "kindly", "just", "recently"]}, "OP": "*"},
            {"LOWER": {"IN": ["introduced", "introduces"]}},
            {"LOWER": {"IN": ["me", "us"]}},
            {"LOWER": "to"},
            _NAME,
        ]
    ],
    "INTRO_PASSIVE": [
        [
            {"LOWER": {"IN": ["i", "we"]}},
            {"LOWER": {"IN": ["was", "were", "have", "'ve", "’ve", "had", "'d"]}},
            {"LOWER": "been", "OP": "?"},
            {"LOWER": "introduced"},
            {"LOWER": "to"},
            _NAME,
            {"LOWER": "by"},
            _NAME,
        ]
    ],
    "INTRO_YOU_TO": [[_INTRODUCE, {"LOWER": "you"}, {"LOWER": "to"}, _NAME]],
    "INTRO_X_TO_Y": [[_INTRODUCE, _NAME, {"LOWER": {"IN": ["to", "and"]}}, _NAME]],
    "INTRO_X": [[_INTRODUCE, _NAME]],
    "MEET": [[{"LOWER": "please"}, {"LOWER": "meet"}, _NAME]],
    "JOINED": [
        [
            _PERSON,
            {"LOWER": {"IN": ["has", "have", "had", "just", "recently", "now", "officially", "will", "is"]}, "OP": "*"},
            {"LOWER": {"IN": ["joined", "joins", "joining", "join"]}},
            _THE,
            _ORG,
        ],
        [
            {"LOWER": "i"},
            {
                "LOWER": {"IN": ["have", "'ve", "’ve", "just", "recently", "now", "officially", "will", "am", "'m"]},
                "OP": "*",
            },
            {"LOWER": {"IN": ["joined", "joining", "join"]}},
            _THE,
            _ORG,
        ],
    ],
    "TITLE_AT": [[_PERSON, {"ORTH": ","}, _DET, _WORDS, _PREP, _THE, _ORG]],
    "IS_TITLE_AT": [
        [_PERSON, {"LOWER": {"IN": ["is", "was"]}}, _DET, _WORDS, _PREP, _THE, _ORG],
        [{"LOWER": "i"}, {"LOWER": {"IN": ["am", "'m", "’m"]}}, _DET, _WORDS, _PREP, _THE, _ORG],
    ],
    "OUR_TITLE": [
        [_PERSON, {"ORTH": ","}, {"LOWER": "our"}, _WORDS],
        [_PERSON, {"LOWER": {"IN": ["is", "'s", "’s"]}}, {"LOWER": "our"}, _WORDS],
    ],
    "WHO_RUNS": [[_PERSON, {"ORTH": ",", "OP": "?"}, {"LOWER": "who"}, {"LOWER": {"IN": _RUN_VERBS}}, _WORDS]],
}

# Words that end a title ("our Head of Production, who..." / "our CEO and ...").
_TITLE_STOP = word_set(
    "who which that and is was will has have had to on in from since as but so if when while because"
)
# First-person lead-ins that make "introduce" a performed introduction, not a request or offer.
_INTRO_LEADS = (
    ("let", "me"), ("like", "to"), ("want", "to"), ("wanted", "to"), ("me", "to"), ("pleased", "to"),
    ("delighted", "to"), ("i", "'m"), ("i", "’m"), ("i", "am"), ("we", "'re"), ("we", "are"),
)  # fmt: skip
_ASKING = frozenset({"could", "can", "would", "will", "you", "please", "offered", "asking", "ask", "asked"})


@dataclass(frozen=True, slots=True)
class Introduction:
    """``introducer`` introduced ``person`` to ``to`` (names as written, or the placeholders)."""

    introducer: str
    person: str
    to: str
    evidence: str
    confidence: float
    pattern: str


@dataclass(frozen=True, slots=True)
class Employment:
    """``person`` works at ``company``; ``started`` when the text says they joined (as of the message date)."""

    person: str
    company: str
    title: str | None
    started: bool
    evidence: str
    confidence: float
    pattern: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Relations:
    """Everything :class:`RelationExtractor` found in one message."""

    introductions: tuple[Introduction, ...] = ()
    employments: tuple[Employment, ...] = field(default=())


_CONFIDENCE = {
    "INTRO_BY": 0.8,
    "INTRO_PASSIVE": 0.8,
    "INTRO_YOU_TO": 0.75,
    "INTRO_X_TO_Y": 0.75,
    "INTRO_X": 0.7,
    "MEET": 0.6,
    "JOINED": 0.8,
    "TITLE_AT": 0.75,
    "IS_TITLE_AT": 0.8,
    "OUR_TITLE": 0.65,
    "WHO_RUNS": 0.6,
}


class RelationExtractor:
    """Runs the relation patterns over NER-tagged docs; build once per pipeline (it holds a ``Matcher``)."""

    def __init__(self, vocab: Vocab) -> None:
        from spacy.matcher import Matcher

        self._matcher: Matcher = Matcher(vocab)
        for name, patterns in _PATTERNS.items():
            self._matcher.add(name, patterns, greedy="LONGEST")

    def extract(self, doc: Doc, segments: list[Span]) -> Relations:
        """Introductions and employments stated in ``doc``.

        Args:
            doc: the message body (NER-tagged).
            segments: its sentences (evidence, and matches never cross them).
        """
        if not segments:
            return Relations()
        starts = [segment.start for segment in segments]
        introductions: dict[tuple[str, str, str], Introduction] = {}
        employments: dict[tuple[str, str], Employment] = {}
        for match_id, start, end in sorted(self._matcher(doc), key=lambda m: (m[1], m[2])):
            segment = segments[bisect.bisect_right(starts, start) - 1]
            if end > segment.end:
                continue
            pattern = doc.vocab.strings[match_id]
            span = doc[start:end]
            evidence = " ".join(segment.text.split())[:MAX_EVIDENCE_CHARS]
            if pattern.startswith("INTRO") or pattern == "MEET":
                intro = _introduction(pattern, span, segment, evidence)
                if intro is not None:
                    introductions.setdefault((intro.introducer, intro.person, intro.to), intro)
            else:
                job = _employment(pattern, span, evidence)
                if job is not None:
                    employments.setdefault((job.person, job.company), job)
        return Relations(introductions=tuple(introductions.values()), employments=tuple(employments.values()))


def _runs(span: Span, label: str, *, labels: frozenset[str] | None = None) -> list[str]:
    """The texts of the maximal runs of tokens with entity ``label`` (or any of ``labels``) in ``span``."""
    wanted = labels or frozenset({label})
    runs: list[str] = []
    current: list[str] = []
    for token in span:
        if token.ent_type_ in wanted:
            current.append(token.text_with_ws)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    cleaned = [clean_entity(run, label) for run in runs]
    return [text for text in cleaned if text]


def _introduction(pattern: str, span: Span, segment: Span, evidence: str) -> Introduction | None:
    people = _runs(span, "PERSON", labels=_NAME_LABELS)
    confidence = _CONFIDENCE[pattern]
    if pattern == "INTRO_BY" and len(people) >= 2:
        return Introduction(people[0], SENDER, people[-1], evidence, confidence, pattern)
    if pattern == "INTRO_PASSIVE" and len(people) >= 2:
        return Introduction(people[-1], SENDER, people[0], evidence, confidence, pattern)
    if pattern == "MEET" and people:
        return Introduction(SENDER, people[0], RECIPIENT, evidence, confidence, pattern)
    if not _first_person_lead(span, segment) or not people:
        return None
    if pattern == "INTRO_YOU_TO":
        return Introduction(SENDER, RECIPIENT, people[-1], evidence, confidence, pattern)
    if pattern == "INTRO_X_TO_Y" and len(people) >= 2:
        return Introduction(SENDER, people[0], people[-1], evidence, confidence, pattern)
    if pattern == "INTRO_X":
        after = span.doc[span.end].lower_ if span.end < len(span.doc) else ""
        if after in ("to", "and"):
            return None  # the longer patterns own "introduce X to Y"
        return Introduction(SENDER, people[0], RECIPIENT, evidence, confidence, pattern)
    return None


def _first_person_lead(span: Span, segment: Span) -> bool:
    before = [t.lower_ for t in segment.doc[segment.start : span.start] if not t.is_space]
    if any(word in _ASKING for word in before[-6:]):
        return False  # "could you introduce me", "has offered to introduce us"
    tail = tuple(before[-2:])
    return tail in _INTRO_LEADS or (len(before) >= 1 and before[-1] in ("i", "we"))


def _employment(pattern: str, span: Span, evidence: str) -> Employment | None:
    confidence = _CONFIDENCE[pattern]
    people = _runs(span, "PERSON")
    first = span[0].lower_
    person = SENDER if first == "i" else (people[0] if people else None)
    if person is None:
        return None
    words = [t for t in span if not t.is_space]
    if pattern == "JOINED":
        orgs = _runs(span, "ORG")
        if not orgs:
            return None
        title = _title_after_as(span)
        return Employment(person, orgs[-1], title, True, evidence, confidence, pattern)
    if pattern in ("TITLE_AT", "IS_TITLE_AT"):
        company_start = _trailing_org_start(span)
        prep = company_start - 1
        while prep > span.start and span.doc[prep].lower_ == "the":
            prep -= 1
        if span.doc[prep].lower_ not in ("at", "with", "of", "for"):
            return None
        title_start = _title_start(span)
        title = _clean_title(span.doc[title_start:prep].text)
        head = span.doc[prep].lower_
        if title is None or (head == "of" and not _c_level(title)):
            return None  # "head of Business Affairs" names a department, not the company
        company = clean_entity(span.doc[company_start : span.end].text, "ORG")
        if company is None:
            return None
        return Employment(person, company, title, False, evidence, confidence, pattern)
    if pattern == "OUR_TITLE":
        our = next(i for i, t in enumerate(words) if t.lower_ == "our")
        title = _clean_title(" ".join(t.text for t in _until_stop(words[our + 1 :])))
        if title is None:
            return None
        return Employment(person, SENDER_COMPANY, title, False, evidence, confidence, pattern)
    if pattern == "WHO_RUNS":
        verb = next(i for i, t in enumerate(words) if t.lower_ in _RUN_VERBS)
        rest = _until_stop(words[verb + 1 :], stop_words=frozenset({"who", "which", "that", "and", "but", "so"}))
        if not rest:
            return None
        role = " ".join([words[verb].text, *(t.text for t in rest[:6])])
        if rest[0].lower_ == "our":
            return Employment(person, SENDER_COMPANY, None, False, evidence, confidence, pattern, role=role)
        start = 1 if rest[0].lower_ == "the" and len(rest) > 1 else 0
        if rest[start].ent_type_ == "ORG":
            org_tokens = []
            for token in rest[start:]:
                if token.ent_type_ != "ORG":
                    break
                org_tokens.append(token.text)
            company = clean_entity(" ".join(org_tokens), "ORG")
            if company is not None:
                return Employment(person, company, None, False, evidence, confidence, pattern, role=role)
    return None


def _title_after_as(span: Span) -> str | None:
    doc = span.doc
    if span.end >= len(doc) or doc[span.end].lower_ != "as":
        return None
    tokens = []
    for token in doc[span.end + 1 : span.end + 1 + MAX_TITLE_WORDS + 2]:
        if token.is_punct or token.is_space or token.lower_ in _TITLE_STOP:
            break
        tokens.append(token.text)
    return _clean_title(" ".join(tokens))


def _trailing_org_start(span: Span) -> int:
    index = span.end
    while index > span.start and span.doc[index - 1].ent_type_ == "ORG":
        index -= 1
    return index


def _title_start(span: Span) -> int:
    for token in span:
        if token.ent_type_ != "PERSON" and token.lower_ not in ("i", ",", "is", "was", "am", "'m", "’m"):
            index = token.i
            while index < span.end and span.doc[index].lower_ in (
                "the", "our", "their", "a", "an", "its", "his", "her", "new", "now",
            ):  # fmt: skip
                index += 1
            return index
    return span.end


def _until_stop(tokens: list[Any], *, stop_words: frozenset[str] = _TITLE_STOP) -> list[Any]:
    kept = []
    for token in tokens:
        if token.is_punct or token.is_space or token.lower_ in stop_words:
            break
        kept.append(token)
    return kept


def _clean_title(text: str) -> str | None:
    title = " ".join(text.split()).strip(" ,.;:-")
    if not title or len(title.split()) > MAX_TITLE_WORDS or not has_title_word(title):
        return None
    return title


def _c_level(title: str) -> bool:
    lowered = title.lower()
    return any(
        word in lowered
        for word in ("ceo", "cfo", "coo", "cto", "president", "chair", "founder", "owner", "chief", "managing director")
    )
