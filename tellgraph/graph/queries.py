"""Read models for the API-facing store queries: lists, search, timelines and erasure.

Both stores implement these queries natively (Cypher in Neo4j, Python over
networkx in memory); the helpers here hold the parts of the semantics that must
be identical in both (sort order, tokenising, scoring of plain-text matches), so
the contract suite can demand the same answers from each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, StoredEdge

MAX_QUERY_LIMIT = 1000
"""The most rows one list query returns (the API caps pages far lower)."""

MAX_SEARCH_TERMS = 8
MAX_TERM_LENGTH = 40

PARTICIPATION_TYPES: tuple[RelType, ...] = (RelType.SENT, RelType.TO, RelType.CC, RelType.BCC, RelType.PARTICIPATED)
"""Edges that make a person a participant of a communication (mentions do not)."""

VECTOR_LABELS: frozenset[NodeLabel] = frozenset(
    {NodeLabel.PERSON, NodeLabel.COMPANY, NodeLabel.PROJECT, NodeLabel.TOPIC, NodeLabel.GOAL, NodeLabel.COMMUNICATION}
)
"""Labels with a vector index (``<label>_embedding``, 384-d cosine)."""

NODE_LOOKUP_LABELS: tuple[NodeLabel, ...] = (
    NodeLabel.PERSON,
    NodeLabel.COMPANY,
    NodeLabel.COMMUNICATION,
    NodeLabel.PROJECT,
    NodeLabel.TOPIC,
    NodeLabel.EVENT,
    NodeLabel.GOAL,
    NodeLabel.AUDIT_ENTRY,
)
"""Labels that ``find_by_ids`` looks in, in this order (the first label holding an id wins)."""

PERSON_PERSONAL_PROPS: tuple[str, ...] = (
    "name",
    "emails",
    "handles",
    "aliases",
    "phones",
    "title",
    "company_domain",
    "linkedin_url",
    "embedding",
)
"""What erasure removes from a person node."""

COMMUNICATION_PRIVATE_PROPS: tuple[str, ...] = (
    "subject",
    "preview",
    "body_encrypted",
    "thread_key",
    "attachments",
    "action_items",
    "embedding",
)
"""What erasure removes from the person's private (1:1) communications."""

_ROLE_ORDER = {"from": 0, "to": 1, "cc": 2, "bcc": 3}


class PersonSort(StrEnum):
    """How to order people."""

    NAME = "name"
    DEGREE = "degree"
    STRENGTH = "strength"
    LAST_INTERACTION = "last_interaction"


class CompanySort(StrEnum):
    """How to order companies."""

    NAME = "name"
    PEOPLE = "people"
    LAST_INTERACTION = "last_interaction"


class TextIndex(StrEnum):
    """The full-text indexes (see migration 3)."""

    ENTITIES = "entity_names"
    COMMUNICATIONS = "communication_text"


TEXT_INDEX_FIELDS: dict[TextIndex, tuple[str, ...]] = {
    TextIndex.ENTITIES: ("name", "aliases", "title", "description"),
    TextIndex.COMMUNICATIONS: ("subject", "preview"),
}
TEXT_INDEX_LABELS: dict[TextIndex, frozenset[NodeLabel]] = {
    TextIndex.ENTITIES: frozenset(
        {NodeLabel.PERSON, NodeLabel.COMPANY, NodeLabel.PROJECT, NodeLabel.TOPIC, NodeLabel.EVENT, NodeLabel.GOAL}
    ),
    TextIndex.COMMUNICATIONS: frozenset({NodeLabel.COMMUNICATION}),
}


class PersonQuery(BaseModel):
    """Filter, order and window for :meth:`GraphStore.query_people`.

    Filters combine with AND; ``None`` means "no filter". Sorting is on the key
    then the id ascending; people without a last interaction always come last.
    """

    model_config = ConfigDict(frozen=True)

    ids: list[str] | None = None
    name_contains: str | None = Field(default=None, max_length=200)
    email_domain: str | None = Field(default=None, max_length=255)
    company_id: str | None = None
    is_team: bool | None = None
    sort: PersonSort = PersonSort.NAME
    descending: bool = False
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=0, le=MAX_QUERY_LIMIT)


class PersonRow(BaseModel):
    """A person with the numbers lists sort on: KNOWS ties, their summed strength, the latest interaction."""

    model_config = ConfigDict(frozen=True)

    node: Node
    degree: int
    strength: float
    last_interaction: datetime | None = None


class PersonPage(BaseModel):
    """One window of a people query and how many matched in all."""

    rows: list[PersonRow]
    total: int


class CompanyQuery(BaseModel):
    """Filter, order and window for :meth:`GraphStore.query_companies`."""

    model_config = ConfigDict(frozen=True)

    ids: list[str] | None = None
    name_contains: str | None = Field(default=None, max_length=200)
    domain: str | None = Field(default=None, max_length=255)
    sort: CompanySort = CompanySort.NAME
    descending: bool = False
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=100, ge=0, le=MAX_QUERY_LIMIT)


class CompanyRow(BaseModel):
    """A company with its current headcount in the graph and its people's latest interaction."""

    model_config = ConfigDict(frozen=True)

    node: Node
    people: int
    last_interaction: datetime | None = None


class CompanyPage(BaseModel):
    """One window of a company query and how many matched in all."""

    rows: list[CompanyRow]
    total: int


class SearchMatch(BaseModel):
    """A node found by a text or vector search, with the store's score (higher is better)."""

    model_config = ConfigDict(frozen=True)

    node: Node
    score: float


class Participation(BaseModel):
    """A person taking part in a communication and how (``from``, ``to``, ``cc``, ``bcc``, ``attendee``...)."""

    model_config = ConfigDict(frozen=True)

    person: Node
    role: str


class CommunicationPage(BaseModel):
    """A window of a person's communications, newest first, and how many they have in all."""

    nodes: list[Node]
    total: int


class ErasureReport(BaseModel):
    """What :meth:`GraphStore.erase_person` did (counts only: no personal data)."""

    found: bool
    identities_removed: int = 0
    communications_redacted: int = 0


class ScrubReport(BaseModel):
    """What :meth:`GraphStore.scrub_text` changed: how many nodes and edges had text replaced."""

    nodes: int = 0
    edges: int = 0
    communication_ids: list[str] = Field(default_factory=list)
    """The communications whose text changed (their encrypted bodies may name the person too)."""


SCRUB_SKIPPED_EDGE_TYPES: tuple[RelType, ...] = (
    RelType.SENT,
    RelType.TO,
    RelType.CC,
    RelType.BCC,
    RelType.PARTICIPATED,
    RelType.MENTIONS,
    RelType.KNOWS,
    RelType.IDENTIFIES,
    RelType.ABOUT,
    RelType.IN_THREAD,
    RelType.FROM_SOURCE,
)
"""Edge types :meth:`GraphStore.scrub_text` reads only where they touch the person: there are millions
of them and their text (mention snippets, score explanations) is about the people they join."""


# -- shared semantics -------------------------------------------------------------
def role_of(rel_type: str, edge_role: Any) -> str:
    """The participant role a participation edge stands for."""
    if rel_type == RelType.SENT.value:
        return "from"
    if rel_type in (RelType.TO.value, RelType.CC.value, RelType.BCC.value):
        return rel_type.lower()
    return str(edge_role) if edge_role else "attendee"


def sort_participations(items: Iterable[Participation]) -> list[Participation]:
    """Senders, then To, Cc, Bcc, then everyone else; by person id within a role; one entry per (person, role)."""
    unique = {(p.person.id, p.role): p for p in items}
    return sorted(unique.values(), key=lambda p: (_ROLE_ORDER.get(p.role, 4), p.role, p.person.id))


def search_terms(text: str) -> list[str]:
    """Lower-cased word tokens of a search query (at most :data:`MAX_SEARCH_TERMS`, each capped)."""
    terms: list[str] = []
    for token in tokenize(text):
        token = token[:MAX_TERM_LENGTH]
        if token not in terms:
            terms.append(token)
    return terms[:MAX_SEARCH_TERMS]


def tokenize(text: str) -> list[str]:
    """Word tokens, case-folded (close to Lucene's standard analyzer for ordinary words)."""
    return re.findall(r"\w+", text.casefold())


def text_match_score(props: dict[str, Any], *, fields: Sequence[str], terms: Sequence[str]) -> float:
    """The embedded store's stand-in for a Lucene score.

    Mirrors the query the Neo4j store sends (``term^2 OR term*`` per term over
    every indexed field): an exact token scores 3 (the boosted term plus the
    prefix), a prefix-only match 1, summed over fields and terms; shorter fields
    win ties, as with BM25's length norm.
    """
    score = 0.0
    for field in fields:
        value = props.get(field)
        if value is None:
            continue
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if not isinstance(text, str):
                continue
            tokens = tokenize(text)
            if not tokens:
                continue
            field_score = 0.0
            for term in terms:
                if term in tokens:
                    field_score += 3.0
                elif any(token.startswith(term) for token in tokens):
                    field_score += 1.0
            if field_score:
                score += field_score * (1.0 + 1.0 / (1.0 + len(tokens)))
    return score


def lucene_query(terms: Sequence[str]) -> str:
    """A Lucene query matching any term exactly (boosted) or as a prefix.

    Terms are re-tokenised (so Lucene operators and whitespace cannot sneak in)
    and escaped as well, in case the tokeniser ever lets a special character through.
    """
    parts = []
    for term in search_terms(" ".join(terms)):
        escaped = re.sub(r'([+\-!(){}\[\]^"~*?:\\/&|])', r"\\\1", term)
        parts.append(f"({escaped}^2 OR {escaped}*)")
    return " ".join(parts)


def lucene_phrases(texts: Sequence[str]) -> str:
    """A Lucene query matching any of ``texts`` as a phrase (the index's own analyzer splits both the same way)."""
    phrases = []
    for text in texts:
        cleaned = " ".join(text.split())
        if cleaned:
            phrases.append('"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " OR ".join(phrases)


def cosine_score(a: Sequence[float], b: Sequence[float]) -> float:
    """Neo4j's cosine similarity score, ``(1 + cos) / 2`` in [0, 1]; 0 for empty or mismatched vectors."""
    if len(a) != len(b) or not a:
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if norm == 0.0:
        return 0.0
    return (1.0 + dot / norm) / 2.0


def usable_vector(vector: Sequence[float], *, dimensions: int) -> bool:
    """A query vector a vector index can use: the right length, finite, not all zeros."""
    return len(vector) == dimensions and all(math.isfinite(x) for x in vector) and any(x != 0.0 for x in vector)


def rank_matches(matches: Iterable[SearchMatch], *, limit: int) -> list[SearchMatch]:
    """Best score first, then id: the order both stores return matches in."""
    return sorted(matches, key=lambda m: (-round(m.score, 9), m.node.id))[:limit]


def without_embedding(props: dict[str, Any]) -> dict[str, Any]:
    """Node properties without the (large) embedding vector and without nulls."""
    return {k: v for k, v in props.items() if k != "embedding" and v is not None}


def sort_rows(rows: list[Any], *, value: Any, descending: bool) -> list[Any]:
    """Order rows by ``value(row)`` then id ascending; rows whose value is None always come last."""
    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: r.node.id)
    present.sort(key=value, reverse=descending)
    missing.sort(key=lambda r: r.node.id)
    return present + missing


def name_key(node: Node) -> str:
    """The name sort key: lower-cased name, empty when missing."""
    return (node.name or "").lower()


def project_props(props: dict[str, Any], wanted: Sequence[str] | None) -> dict[str, Any]:
    """Only the ``wanted`` properties (names, or prefixes ending in ``*``); all of them when ``wanted`` is None."""
    if wanted is None:
        return props
    names = {w for w in wanted if not w.endswith("*")}
    prefixes = tuple(w[:-1] for w in wanted if w.endswith("*"))
    return {k: v for k, v in props.items() if k in names or (prefixes and k.startswith(prefixes))}


def knows_edges_between(edges: Iterable[StoredEdge], ids: set[str]) -> list[StoredEdge]:
    """Edges with both ends in ``ids``, ordered by (source, target)."""
    return sorted((e for e in edges if e.src_id in ids and e.dst_id in ids), key=lambda e: (e.src_id, e.dst_id))
