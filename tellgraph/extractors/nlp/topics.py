"""Projects (named deals) and topics (salient noun phrases) that communications are about.

* **Projects** come from spaCy ``Matcher`` patterns over name-like tokens followed by an
  optional kind and a deal word — "AFC rights package", "AFC Asian Cup 2027 production
  tender", "the ENA deal", "Project Raptor" — and become ``Project`` nodes with
  ``stable_id("proj", normalised name)`` (the id the goal service gives a project of
  that name, so a goal's project and the mails about it meet).
* **Topics** are the noun chunks of subject lines (parsed with the full pipeline;
  subjects are short and repeat across a thread, so this is cheap), with determiners,
  numbers, stop words and people/places/dates trimmed and the head noun singularised.
  Bodies run through the NER-only pipeline for speed, so instead of parsing them
  again a body is linked to every known multi-word topic or project it contains
  (:class:`PhraseVocabulary`): a phrase becomes a topic in a subject and is then
  found wherever it repeats, in this batch and later ones.

Normalisation is rule-based (case and accents folded, last word singularised) rather
than the POS-based lemmatizer so that phrases from parsed subjects and from NER-only
bodies get the same key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tellgraph.extractors.nlp.entities import normalise_name, word_set
from tellgraph.schema.model import stable_id

if TYPE_CHECKING:
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Token
    from spacy.vocab import Vocab

MAX_TOPIC_WORDS = 5
MAX_PROJECT_WORDS = 9

DEAL_WORDS: frozenset[str] = frozenset(
    {"package", "deal", "tender", "contract", "bid", "rfp", "agreement", "project", "acquisition", "merger"}
)
"""Head words that make a named thing a deal or project."""

KIND_WORDS: frozenset[str] = word_set(
    """
    rights media broadcast broadcasting production sponsorship distribution licensing licence license supply
    service services highlights tv streaming naming co-production joint venture purchase sale sales power gas
    pipeline host marketing content output hosting consulting construction
    """
)
"""Words that say what kind of deal it is ("media rights package")."""

_NAME_ENTS = frozenset({"ORG", "PRODUCT", "EVENT", "FAC", "WORK_OF_ART", "NORP", "GPE", "LAW"})
# Entities that are not topics: a noun chunk made of these is a person, place, date or amount.
_NON_TOPIC_ENTS = frozenset(
    {"PERSON", "GPE", "LOC", "DATE", "TIME", "MONEY", "PERCENT", "CARDINAL", "ORDINAL", "QUANTITY", "NORP"}
)
_TRIM_POS = frozenset({"DET", "PRON", "NUM", "PUNCT", "SYM", "ADP", "CCONJ", "SCONJ", "PART", "AUX", "SPACE", "X"})
_KEEP_PLURAL = word_set(
    """
    rights news series species logistics analytics economics politics operations sales means headquarters
    affairs communications relations graphics electronics metrics minutes earnings savings goods thanks
    """
)
# Single words that say nothing about what a message is about.
_GENERIC = word_set(
    """
    meeting meetings update updates question questions info information request reminder note notes follow
    followup follow-up call calls lunch dinner coffee breakfast drinks thanks hello news fyi document
    documents attachment attachments file files list report issue issues draft today tomorrow week weeks
    time day days everything something anything status summary review thing things stuff message email
    e-mail mail reply response help problem change changes invitation invite agenda minutes schedule
    item items detail details action actions plan plans work way lot data number numbers version copy
    part parts yesterday morning afternoon evening night month year heads intro introduction
    """
)

_PROJECT_ROLES = word_set(
    """
    manager managers management lead leader team plan plans meeting meetings update updates status schedule
    review office director coordinator sponsor owner budget report reports charter scope kickoff kick-off
    """
)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A topic or project a message is about.

    ``key`` is the normalised phrase; ``node_id`` is set when the phrase came from a node
    already in the graph, else :attr:`id` derives the id from the key.
    """

    kind: str
    """``"topic"`` or ``"project"``."""
    name: str
    key: str
    in_subject: bool = False
    node_id: str | None = None
    words: tuple[str, ...] = ()
    """The folded words as the tokenizer splits them, for :class:`PhraseVocabulary`."""

    @property
    def id(self) -> str:
        """The node id: the stored one, or ``stable_id("proj"|"topic", key)``."""
        if self.node_id is not None:
            return self.node_id
        return stable_id("proj" if self.kind == "project" else "topic", self.key)


def singular(word: str) -> str:
    """A rule-based singular of a lower-case English noun ("charges" → "charge", "rights" stays)."""
    if len(word) <= 3 or word in _KEEP_PLURAL or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def phrase_key(words: Sequence[str]) -> str:
    """The key (and id part) of a topic given its lower-case words: folded, the last one singularised."""
    if not words:
        return ""
    return normalise_name(" ".join([*words[:-1], singular(words[-1])]))


def project_key(name: str) -> str:
    """The key (and id part) of a project name: folded like the goal service folds it."""
    return normalise_name(name)


# -- projects -----------------------------------------------------------------


def build_project_matcher(vocab: Vocab) -> Matcher:
    """A ``Matcher`` for deal words and "Project", built once per pipeline.

    The patterns only find the head ("package", "tender", "Project"); the name is then
    read leftwards (or rightwards after "Project") in Python. Token patterns cannot say
    "a capitalised word, an acronym or part of an ORG entity" in one step, and a custom
    attribute would call Python for every token of every message.
    """
    from spacy.matcher import Matcher

    matcher = Matcher(vocab)
    matcher.add("DEAL", [[{"LOWER": {"IN": sorted(DEAL_WORDS)}}]])
    matcher.add("PROJECT", [[{"ORTH": "Project"}, {"IS_TITLE": True, "IS_STOP": False}]])
    return matcher


def extract_projects(doc: Doc, matcher: Matcher, *, in_subject: bool) -> list[Phrase]:
    """The named deals and projects in a doc, in order, deduplicated by key."""
    found: dict[str, Phrase] = {}
    for match_id, start, _end in matcher(doc):
        label = doc.vocab.strings[match_id]
        tokens = _deal_tokens(doc, start) if label == "DEAL" else _project_tokens(doc, start)
        if tokens is None:
            continue
        name = " ".join("".join(t.text_with_ws for t in tokens).split())
        key = project_key(name)
        if key and key not in found:
            words = tuple(t.lower_ for t in tokens)
            found[key] = Phrase(kind="project", name=name, key=key, in_subject=in_subject, words=words)
    return list(found.values())


def _deal_tokens(doc: Doc, head: int) -> list[Token] | None:
    """ "<name> [kind words] <deal word>" ending at ``head``, or ``None`` when no name precedes it."""
    start = head
    while start > 0 and head - start < 4 and doc[start - 1].lower_ in KIND_WORDS:
        start -= 1
    name_end = start
    while start > 0 and head - start < MAX_PROJECT_WORDS - 1 and _is_name_like(doc[start - 1]):
        start -= 1
    # Sentence-initial capitals and leading numbers do not make a name.
    while start < name_end and (doc[start].like_num or (doc[start].is_sent_start and _plain_title(doc[start]))):
        start += 1
    if start == name_end or not any(_strong_name(doc[i]) for i in range(start, name_end)):
        return None
    return list(doc[start : head + 1])


def _project_tokens(doc: Doc, start: int) -> list[Token] | None:
    """ "Project <Name>": the capitalised words after "Project"."""
    end = start + 1
    while end < len(doc) and end - start <= 3 and doc[end].is_title and not doc[end].is_stop:
        end += 1
    if end == start + 1 or doc[start + 1].lower_ in _PROJECT_ROLES:
        return None  # "Project Manager", "Project Plan": a role or a document, not a project's name
    return list(doc[start:end])


def _is_name_like(token: Token) -> bool:
    if token.is_punct or token.is_space or token.like_email or token.like_url:
        return False
    text = token.text
    lower = token.lower_
    if lower in DEAL_WORDS or lower in KIND_WORDS:
        return False
    if token.ent_type_ in _NAME_ENTS:
        return not token.is_stop or text.isupper()
    if token.like_num:
        return True  # "2027" inside "AFC Asian Cup 2027 production tender"; never first (checked later)
    if token.is_stop:
        return False
    if text.isupper() and len(text) >= 2 and any(ch.isalpha() for ch in text):
        return True
    return text[:1].isupper()


def _plain_title(token: Token) -> bool:
    return token.text[:1].isupper() and not token.text.isupper() and token.ent_type_ not in _NAME_ENTS


def _strong_name(token: Token) -> bool:
    text = token.text
    if not any(ch.isalpha() for ch in text):
        return False
    return (text.isupper() and len(text) >= 2) or token.ent_type_ in _NAME_ENTS or text[:1].isupper()


# -- topics -------------------------------------------------------------------


def subject_topics(doc: Doc, *, projects: Iterable[Phrase] = ()) -> list[Phrase]:
    """Topics from a parsed subject line: its noun chunks, trimmed and normalised.

    A topic has two to :data:`MAX_TOPIC_WORDS` words (single words are too vague to
    link messages by) and is not a proper name alone ("Hana Sato", "AFC Asian Cup":
    those are entities) unless the subject is in Title Case, where the tagger calls
    every word a proper noun.

    Args:
        doc: the subject, parsed (``noun_chunks`` needs the dependency parser).
        projects: phrases already found as projects, not repeated as topics.
    """
    project_keys = {p.key for p in projects}
    words = [t for t in doc if t.is_alpha]
    if len(words) >= 2 and all(t.is_upper for t in words):
        return []  # "HAPPY NEW YEARS", "YO MARTY": shouting, not a subject line to learn topics from
    title_case = len(words) >= 2 and sum(t.text[:1].isupper() for t in words) >= len(words) * 0.8
    found: dict[str, Phrase] = {}
    for chunk in doc.noun_chunks:
        for units in _units(list(chunk)):
            phrase = _topic_phrase(units, title_case=title_case)
            if phrase is None or phrase.key in found or normalise_name(phrase.name) in project_keys:
                continue
            found[phrase.key] = phrase
    return list(found.values())


def _units(tokens: list[Token]) -> list[list[list[Token]]]:
    """Split at punctuation into runs of words; "catch-up" and "go/no-go" stay one word (a list of tokens)."""
    runs: list[list[list[Token]]] = [[]]
    for index, token in enumerate(tokens):
        joiner = (
            token.text in ("-", "/")
            and 0 < index < len(tokens) - 1
            and not tokens[index - 1].whitespace_
            and not token.whitespace_
        )
        if joiner or (index > 0 and tokens[index - 1].text in ("-", "/") and runs[-1] and _joined(runs[-1])):
            runs[-1][-1].append(token)
        elif token.is_punct or token.is_space:
            runs.append([])
        else:
            runs[-1].append([token])
    return [run for run in runs if run]


def _joined(run: list[list[Token]]) -> bool:
    last = run[-1]
    return last[-1].text in ("-", "/")


def _topic_phrase(units: list[list[Token]], *, title_case: bool) -> Phrase | None:
    def trimmable(unit: list[Token]) -> bool:
        if len(unit) > 1:
            return False
        token = unit[0]
        return (
            token.pos_ in _TRIM_POS
            or token.is_stop
            or token.like_num
            or token.ent_type_ in _NON_TOPIC_ENTS
            or not any(ch.isalpha() for ch in token.text)
        )

    while units and trimmable(units[0]):
        units = units[1:]
    while units and trimmable(units[-1]):
        units = units[:-1]
    if not 2 <= len(units) <= MAX_TOPIC_WORDS:
        return None
    tokens = [token for unit in units for token in unit]
    if any(t.ent_type_ in ("PERSON", "GPE", "DATE", "TIME", "MONEY") for t in tokens):
        return None
    if not title_case and all(t.pos_ == "PROPN" for t in tokens if t.is_alpha):
        return None  # a proper name on its own is an entity, not a topic
    words = [t.lower_ for t in tokens]
    if not any(sum(ch.isalpha() for ch in word) >= 3 for word in words):
        return None
    content = [w for w in words if normalise_name(w) not in _GENERIC and w not in ("-", "/")]
    if not content:
        return None
    key = phrase_key(words)
    name = "".join(_display(t) + t.whitespace_ for t in tokens).strip()
    return Phrase(kind="topic", name=" ".join(name.split()), key=key, in_subject=True, words=tuple(words))


def _display(token: Token) -> str:
    text = token.text
    if text.isupper() and len(text) > 1:
        return text  # acronyms keep their capitals
    if token.pos_ == "PROPN" and text[:1].isupper() and not text.isupper():
        return text
    return text.lower()


# -- known phrases ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    middle: tuple[int, ...]
    """Hashes of the words between the first and the last."""
    last: str
    """The last word, singular."""
    phrase: Phrase


class PhraseVocabulary:
    """Multi-word topics and projects already known, found again wherever they appear.

    Entries are indexed by the hash of their first word (spaCy's ``LOWER`` attribute),
    so scanning a doc is one vectorised lookup over its tokens; only the few tokens
    that start a known phrase are looked at in Python. The last word is compared in
    singular form, so "production budgets" finds "production budget".
    """

    def __init__(self) -> None:
        self._by_first: dict[int, list[_Entry]] = {}
        self._keys: set[tuple[str, ...]] = set()
        self._firsts: Any = None

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, phrase: Phrase) -> bool:
        """Remember a phrase under its lower-case :attr:`Phrase.words`; single words are not added. Returns if new."""
        from spacy.strings import hash_string  # type: ignore[attr-defined]

        words = tuple(word.lower() for word in phrase.words)
        if len(words) < 2:
            return False
        key = (*words[:-1], singular(words[-1]))
        if key in self._keys:
            return False
        self._keys.add(key)
        entry = _Entry(
            middle=tuple(hash_string(word) for word in words[1:-1]),
            last=key[-1],
            phrase=Phrase(kind=phrase.kind, name=phrase.name, key=phrase.key, node_id=phrase.node_id, words=words),
        )
        self._by_first.setdefault(hash_string(words[0]), []).append(entry)
        self._firsts = None
        return True

    def match(self, doc: Doc, *, in_subject: bool = False) -> list[Phrase]:
        """Known phrases occurring in ``doc``, in order of first occurrence."""
        if not self._by_first or len(doc) == 0:
            return []
        import numpy as np
        from spacy.attrs import LOWER

        if self._firsts is None:
            self._firsts = np.fromiter(self._by_first, dtype=np.uint64, count=len(self._by_first))
        lowers = doc.to_array(LOWER)
        found: dict[tuple[str, str], Phrase] = {}
        count = len(lowers)
        for start in np.nonzero(np.isin(lowers, self._firsts))[0].tolist():
            for entry in self._by_first[int(lowers[start])]:
                end = start + len(entry.middle) + 2
                if end > count or any(int(lowers[start + 1 + i]) != h for i, h in enumerate(entry.middle)):
                    continue
                if singular(doc[end - 1].lower_) != entry.last:
                    continue
                phrase = entry.phrase
                found.setdefault(
                    (phrase.kind, phrase.key),
                    Phrase(
                        kind=phrase.kind,
                        name=phrase.name,
                        key=phrase.key,
                        in_subject=in_subject,
                        node_id=phrase.node_id,
                        words=phrase.words,
                    ),
                )
        return list(found.values())
