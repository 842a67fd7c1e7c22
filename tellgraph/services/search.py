"""Hybrid search over people, companies, projects, topics, events, goals and communications.

Three kinds of evidence are fused with reciprocal rank fusion (RRF, k = 60):
exact identity matches (an email address, a company domain, an id) come first;
then full-text matches (Lucene indexes ``entity_names`` and ``communication_text``
in Neo4j, token matching in the embedded store); then, when the graph holds
embeddings, semantic matches from the vector indexes using all-MiniLM-L6-v2.
RRF needs only ranks, so the stores' different raw scores do not matter; communications
weigh half as much as entities, so a name that is also a subject line finds the person first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from tellgraph.errors import InvalidInput
from tellgraph.graph.queries import VECTOR_LABELS, SearchMatch, TextIndex, search_terms
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Node, identity_key
from tellgraph.services.people import looks_like_domain

if TYPE_CHECKING:
    from tellgraph.goals.embedding import Embedder

logger = logging.getLogger(__name__)

RRF_K = 60
MAX_QUERY_LENGTH = 200
MAX_WINDOW = 200
MIN_SEMANTIC_SCORE = 0.65
"""Vector matches below this score (cosine 0.3) are noise for all-MiniLM-L6-v2 and are left out."""
EXACT_BONUS = 1.0
COMMUNICATION_WEIGHT = 0.5
"""Communications count half in the fusion: a name that is also a subject line should find the person first."""
"""Added to exact identity matches so they outrank any fused score (at most a few times 1/61)."""

SEMANTIC_LABELS: tuple[NodeLabel, ...] = tuple(
    label
    for label in (
        NodeLabel.PERSON,
        NodeLabel.COMPANY,
        NodeLabel.PROJECT,
        NodeLabel.TOPIC,
        NodeLabel.GOAL,
        NodeLabel.COMMUNICATION,
    )
    if label in VECTOR_LABELS
)


class SearchHit(BaseModel):
    """One result: the node, its fused score and which kinds of evidence found it."""

    node: Node
    score: float
    matched_by: list[str]


class SearchResults(BaseModel):
    """A window of fused results and how many were found in all."""

    hits: list[SearchHit]
    total: int
    semantic: bool


class EmbeddingAvailability:
    """Which labels hold embeddings, rechecked at most every ``ttl`` seconds (it changes only on ingest)."""

    def __init__(self, *, ttl: float = 60.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._checked_at = -1e18
        self._labels: tuple[NodeLabel, ...] = ()

    def labels(self, store: GraphStore) -> tuple[NodeLabel, ...]:
        """The labels worth a vector search now."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at < self._ttl:
                return self._labels
        labels = tuple(label for label in SEMANTIC_LABELS if store.has_embeddings(label=label))
        with self._lock:
            self._labels, self._checked_at = labels, now
        return labels


def _clean_query(query: str) -> str:
    text = " ".join(query.split())
    if not text:
        raise InvalidInput("query", "give some words to search for")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput("query", f"at most {MAX_QUERY_LENGTH} characters")
    return text


def _exact_matches(store: GraphStore, text: str) -> list[Node]:
    """Nodes the query names exactly: an email address, a company domain, or an id."""
    found: list[Node] = []
    if " " in text:
        return found
    if "@" in text:
        key = identity_key("email", text)
        person_id = store.resolve_identities(keys=[key]).get(key)
        if person_id:
            found += store.get_nodes(label=NodeLabel.PERSON, ids=[person_id])
        return found
    if looks_like_domain(text):
        found += store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain", values=[text.lower()], limit=5)
    found += [n for n in store.find_by_ids(ids=[text]) if n.label is not NodeLabel.AUDIT_ENTRY]
    return found


def search(
    store: GraphStore,
    *,
    query: str,
    first: int = 10,
    offset: int = 0,
    embedder: Embedder | None = None,
    semantic_labels: Sequence[NodeLabel] | None = None,
) -> SearchResults:
    """Hybrid search, best first.

    Args:
        store: the graph.
        query: what the user typed.
        first: the window size.
        offset: how many fused results to skip (for pagination).
        embedder: turns the query into a vector; ``None`` skips semantic search.
        semantic_labels: the labels to search by vector (default: those with embeddings now).

    Raises:
        InvalidInput: an empty or oversized query, or a negative window.
    """
    text = _clean_query(query)
    if first < 0 or offset < 0:
        raise InvalidInput("first", "must not be negative")
    window = min(MAX_WINDOW, offset + first + 10)
    terms = search_terms(text)
    lists: list[tuple[str, list[Node]]] = [("exact", _exact_matches(store, text))]
    if terms:
        for index in (TextIndex.ENTITIES, TextIndex.COMMUNICATIONS):
            lists.append(("text", [m.node for m in store.text_search(index=index, terms=terms, limit=window)]))
    semantic = False
    if embedder is not None:
        labels = (
            semantic_labels
            if semantic_labels is not None
            else [label for label in SEMANTIC_LABELS if store.has_embeddings(label=label)]
        )
        if labels:
            semantic = True
            [vector] = embedder.encode([text])
            for label in labels:
                matches: list[SearchMatch] = store.vector_search(label=label, vector=vector, limit=window)
                lists.append(("semantic", [m.node for m in matches if m.score >= MIN_SEMANTIC_SCORE]))
    scores: dict[str, float] = {}
    nodes: dict[str, Node] = {}
    kinds: dict[str, list[str]] = {}
    for kind, ranked in lists:
        for rank, node in enumerate(ranked, start=1):
            bonus = EXACT_BONUS if kind == "exact" else 0.0
            weight = COMMUNICATION_WEIGHT if node.label is NodeLabel.COMMUNICATION else 1.0
            scores[node.id] = scores.get(node.id, 0.0) + bonus + weight / (RRF_K + rank)
            nodes.setdefault(node.id, node)
            if kind not in kinds.setdefault(node.id, []):
                kinds[node.id].append(kind)
    order = sorted(scores, key=lambda i: (-round(scores[i], 12), i))
    hits = [
        SearchHit(node=nodes[i], score=round(scores[i], 6), matched_by=kinds[i]) for i in order[offset : offset + first]
    ]
    return SearchResults(hits=hits, total=len(order), semantic=semantic)
