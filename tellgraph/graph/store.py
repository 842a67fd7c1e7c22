"""The ``GraphStore`` protocol: what every store can do, with the same answers.

Two implementations pass one contract suite: ``Neo4jStore`` (Cypher over Bolt)
and ``MemoryStore`` (networkx, persisted to a file). Writes are idempotent
upserts keyed on ids; reads return domain models from :mod:`tellgraph.schema`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from tellgraph.errors import InvalidInput
from tellgraph.graph.queries import (
    NODE_LOOKUP_LABELS,
    CommunicationPage,
    CompanyPage,
    CompanyQuery,
    ErasureReport,
    Participation,
    PersonPage,
    PersonQuery,
    ScrubReport,
    SearchMatch,
    TextIndex,
)
from tellgraph.graph.scrub import ERASED
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Entity, Node, PropValue, StoredEdge

MAX_PATH_HOPS = 6
MAX_PATHS = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Interaction:
    """One communication reduced to who took part how: the input of scoring.

    A plain dataclass, not a pydantic model: a full rescore reads millions of these from
    the store, which built them from its own data, so validation would only cost time.
    """

    id: str
    timestamp: datetime
    channel: str
    thread_key: str | None = None
    sentiment: float | None = None
    senders: list[str]
    recipients: list[tuple[str, str]]
    participants: list[str]


class SchemaReport(BaseModel):
    """What ``apply_schema`` did."""

    version: int
    applied: list[int] = Field(default_factory=list)
    statements: int = 0


class StoreCounts(BaseModel):
    """Node counts per label and edge counts per type (zero counts omitted)."""

    nodes: dict[str, int]
    edges: dict[str, int]


class Neighbour(BaseModel):
    """A node next to another one, with the edge between them."""

    model_config = ConfigDict(frozen=True)

    node: Node
    edge: StoredEdge


class TiePage(BaseModel):
    """A node, its strongest ties and how many ties it has in all."""

    model_config = ConfigDict(frozen=True)

    node: Node
    ties: list[Neighbour]
    total: int


class PathHop(BaseModel):
    """One edge on a path, in the direction of travel."""

    model_config = ConfigDict(frozen=True)

    src_id: str
    dst_id: str
    strength: float
    last_interaction: datetime | None = None
    props: dict[str, Any] = Field(default_factory=dict)


class GraphPath(BaseModel):
    """A simple path from a source to a target, scored by the product of strengths."""

    model_config = ConfigDict(frozen=True)

    node_ids: list[str]
    hops: list[PathHop]
    score: float
    nodes: list[Node] = Field(default_factory=list)
    """The nodes along the path, in order, when ``k_best_paths(with_nodes=True)`` (else empty)."""

    @property
    def length(self) -> int:
        """The number of hops."""
        return len(self.hops)


def path_sort_key(path: GraphPath) -> tuple[float, int, list[str]]:
    """Best first: highest score, then fewest hops, then ids (a total, store-independent order)."""
    return (-round(path.score, 12), path.length, path.node_ids)


def check_path_args(*, max_hops: int, k: int) -> None:
    """Refuse path searches outside the bounds every store supports."""
    if not 1 <= max_hops <= MAX_PATH_HOPS:
        raise InvalidInput("maxHops", f"must be between 1 and {MAX_PATH_HOPS}, got {max_hops}")
    if not 1 <= k <= MAX_PATHS:
        raise InvalidInput("first", f"must be between 1 and {MAX_PATHS}, got {k}")


@runtime_checkable
class GraphStore(Protocol):
    """A property graph of people, companies, communications and the ties between them."""

    @property
    def uri(self) -> str:
        """Where the store lives (a Bolt URI or a file path), for messages; never holds secrets."""
        ...

    def ping(self) -> None:
        """Check the store answers; raise ``StoreUnavailable`` when it does not."""
        ...

    def close(self) -> None:
        """Release connections and, for embedded stores, persist to disk."""
        ...

    def flush(self) -> None:
        """Make every write so far durable (a no-op where each write already is)."""
        ...

    def apply_schema(self) -> SchemaReport:
        """Create constraints, indexes and run pending migrations; idempotent."""
        ...

    def clear(self) -> None:
        """Delete every node and edge (tests and demo resets only); keeps the schema."""
        ...

    # -- writes -------------------------------------------------------------
    def upsert_entities(self, *, entities: Sequence[Entity]) -> int:
        """Create or update entities by id; list fields are unioned, ``None`` never erases.

        Returns the number of entities written.
        """
        ...

    def upsert_edges(self, *, edges: Sequence[Edge], now: datetime) -> int:
        """Create or update edges by (type, source, target); both ends must exist.

        ``now`` becomes ``created_at`` on new edges. Returns the number of edges
        whose two ends were found (edges with a missing end are skipped).
        """
        ...

    def write_batch(self, *, entities: Sequence[Entity], edges: Sequence[Edge], now: datetime) -> None:
        """Upsert entities, then edges, atomically: either all of the batch is stored or none."""
        ...

    def delete_nodes(self, *, label: NodeLabel, ids: Sequence[str]) -> int:
        """Delete nodes and their edges; returns how many existed."""
        ...

    def remove_node_props(self, *, label: NodeLabel, node_id: str, names: Sequence[str]) -> None:
        """Remove properties from a node (used by erasure and splits)."""
        ...

    # -- reads --------------------------------------------------------------
    def get_nodes(self, *, label: NodeLabel, ids: Sequence[str]) -> list[Node]:
        """The nodes with these ids that exist, in the order of ``ids``."""
        ...

    def existing_ids(self, *, label: NodeLabel, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` exist (used to skip known records cheaply)."""
        ...

    def resolve_identities(self, *, keys: Sequence[str]) -> dict[str, str]:
        """Map identity keys (``email:...``) to the id of the person they identify."""
        ...

    def find_nodes(
        self, *, label: NodeLabel, prop: str, value: str | int | float | bool, limit: int = 100
    ) -> list[Node]:
        """Nodes whose scalar property equals ``value``, ordered by id."""
        ...

    def list_nodes(self, *, label: NodeLabel, after: str | None = None, limit: int = 100) -> list[Node]:
        """Nodes of a label ordered by id, starting after ``after`` (keyset paging)."""
        ...

    def get_edge(
        self, *, rel_type: RelType, src_label: NodeLabel, src_id: str, dst_label: NodeLabel, dst_id: str
    ) -> StoredEdge | None:
        """The edge of that type between two nodes (either order for undirected types)."""
        ...

    def iter_edges(self, *, rel_type: RelType, batch_size: int = 10_000) -> Iterator[StoredEdge]:
        """Every edge of a type, ordered by (source, target), streamed in batches."""
        ...

    def neighbours(
        self,
        *,
        label: NodeLabel,
        node_id: str,
        rel_types: Sequence[RelType],
        limit: int = 100,
        min_strength: float | None = None,
    ) -> list[Neighbour]:
        """Nodes joined to ``node_id`` by these edge types, strongest first then by id."""
        ...

    def degree(self, *, label: NodeLabel, node_id: str, rel_types: Sequence[RelType]) -> int:
        """How many edges of these types touch the node."""
        ...

    def k_best_paths(
        self,
        *,
        sources: Sequence[str],
        targets: Sequence[str],
        max_hops: int = 3,
        k: int = 5,
        min_strength: float = 0.0,
        rel_type: RelType = RelType.KNOWS,
        with_nodes: bool = False,
    ) -> list[GraphPath]:
        """The ``k`` best simple paths from any source to any target over undirected ``rel_type`` edges.

        A path's score is the product of its edges' ``strength``; edges below
        ``min_strength`` are not used; sources and targets never appear in the
        middle of a path. Ordered by :func:`path_sort_key`. ``with_nodes`` also
        returns the people on each path (``GraphPath.nodes``), saving a lookup.
        """
        ...

    def iter_interactions(self) -> Iterator[Interaction]:
        """Every communication with its senders, recipients (id, edge type) and participants, by id."""
        ...

    def counts(self) -> StoreCounts:
        """How many nodes per label and edges per type."""
        ...

    def checksum(self) -> str:
        """A digest of every node and edge with their properties, without bookkeeping timestamps.

        Two stores holding the same graph give the same checksum.
        """
        ...

    # -- goals and agents -----------------------------------------------------
    def find_interactions(
        self,
        *,
        person_ids: Sequence[str] = (),
        comm_ids: Sequence[str] = (),
        since: datetime | None = None,
        limit: int = 10_000,
    ) -> list[Interaction]:
        """Communications any of ``person_ids`` sent, received or took part in, or whose id is in ``comm_ids``.

        Only those at or after ``since``; newest first, then by id; at most ``limit``.
        """
        ...

    def people_at_domain(self, *, domain: str, limit: int = 200) -> list[Node]:
        """People with an email address at exactly ``domain`` (not its subdomains), ordered by id."""
        ...

    # -- API queries (see tellgraph.graph.queries) ---------------------------
    def find_by_ids(self, *, ids: Sequence[str], labels: Sequence[NodeLabel] = NODE_LOOKUP_LABELS) -> list[Node]:
        """Nodes of any of ``labels`` by id, in the order of ``ids``; an id held by two labels gives the first."""
        ...

    def lookup_nodes(self, *, label: NodeLabel, prop: str, values: Sequence[str], limit: int = 1000) -> list[Node]:
        """Nodes whose scalar property is one of ``values``, ordered by id."""
        ...

    def neighbours_many(
        self,
        *,
        label: NodeLabel,
        node_ids: Sequence[str],
        rel_types: Sequence[RelType],
        limit: int = 100,
        min_strength: float | None = None,
        edge_props: Sequence[str] | None = None,
    ) -> dict[str, list[Neighbour]]:
        """:meth:`neighbours` for many nodes in one call: up to ``limit`` per node, same order; every id is a key.

        ``edge_props`` keeps only those edge properties (a name ending in ``*`` is a prefix), so
        wide edges cost less to ship when the caller needs a few of their properties.
        """
        ...

    def degrees(self, *, label: NodeLabel, node_ids: Sequence[str], rel_types: Sequence[RelType]) -> dict[str, int]:
        """:meth:`degree` for many nodes in one call (0 for missing nodes)."""
        ...

    def tie_pages(
        self,
        *,
        label: NodeLabel,
        node_ids: Sequence[str],
        rel_types: Sequence[RelType],
        limit: int,
        edge_props: Sequence[str] | None = None,
    ) -> dict[str, TiePage]:
        """Each node with its first ``limit`` ties (as :meth:`neighbours_many`) and its degree, in one call.

        What a person page needs in one round trip; ids of missing nodes are not keys.
        """
        ...

    def edges_among(self, *, label: NodeLabel, rel_type: RelType, ids: Sequence[str]) -> list[StoredEdge]:
        """Edges of a type whose two ends are both in ``ids``, ordered by (source, target)."""
        ...

    def query_people(self, *, query: PersonQuery) -> PersonPage:
        """A filtered, sorted window of people with their tie counts, summed strength and latest interaction."""
        ...

    def query_companies(self, *, query: CompanyQuery) -> CompanyPage:
        """A filtered, sorted window of companies with their current headcount and latest interaction."""
        ...

    def communications_of(
        self, *, person_id: str, before: tuple[datetime, str] | None = None, limit: int = 20
    ) -> CommunicationPage:
        """The person's communications newest first (timestamp, then id, descending), after the keyset ``before``."""
        ...

    def participants_of(self, *, comm_ids: Sequence[str]) -> dict[str, list[Participation]]:
        """Who took part in each communication, ordered by :func:`sort_participations`; every id is a key."""
        ...

    def interactions_between(self, *, person_ids: Sequence[str]) -> list[Interaction]:
        """Every communication in which at least two of ``person_ids`` took part, by id."""
        ...

    def latest_communication(self) -> datetime | None:
        """The newest communication's timestamp (the "as of" of recency), or None for an empty graph."""
        ...

    def text_search(self, *, index: TextIndex, terms: Sequence[str], limit: int = 20) -> list[SearchMatch]:
        """Full-text matches of any of ``terms`` (exact or prefix) in an index, best first then by id."""
        ...

    def vector_search(self, *, label: NodeLabel, vector: Sequence[float], limit: int = 20) -> list[SearchMatch]:
        """Nearest nodes of a label by cosine similarity of their ``embedding``, best first then by id."""
        ...

    def has_embeddings(self, *, label: NodeLabel) -> bool:
        """Whether any node of the label has an embedding (so semantic search is worth running)."""
        ...

    def set_node_props(self, *, label: NodeLabel, node_id: str, props: Mapping[str, PropValue]) -> bool:
        """Overwrite properties of one node (``None`` removes one); returns whether the node exists."""
        ...

    def scrub_text(self, *, person_id: str, terms: Sequence[str], replacement: str = ERASED) -> ScrubReport:
        """Replace ``terms`` (a person's name and addresses) in the text properties that may hold them.

        Matching is case-insensitive, whole words, tolerant of the whitespace between words (see
        :mod:`tellgraph.graph.scrub`). Looked at, at least: every node of the less numerous labels
        (goals, actions, reviews, audit entries, signals, sources, projects, topics); people,
        companies and events joined to the person or whose name, aliases, title or description
        holds a term; the communications joined to the person or whose subject or preview holds
        a term; every edge of the person and every edge whose type is not in
        :data:`SCRUB_SKIPPED_EDGE_TYPES`. (The embedded store simply looks at everything.)
        Identifiers, embeddings and erasure markers are never changed.
        """
        ...

    def erase_person(self, *, person_id: str, now: datetime) -> ErasureReport:
        """Erase a person's personal data atomically.

        Removes :data:`PERSON_PERSONAL_PROPS` from the person (marking it ``erased``),
        deletes the identity nodes that point at them, and strips
        :data:`COMMUNICATION_PRIVATE_PROPS` from communications only they and one
        other person took part in (marking those ``redacted``). Edges and their
        counts stay, so aggregate scores still add up.
        """
        ...

    # -- scoring (see tellgraph.scoring) -------------------------------------
    def interactions_of_pairs(self, *, pairs: Sequence[tuple[str, str]]) -> list[Interaction]:
        """Every communication in which both people of any of ``pairs`` took part (any role), by id.

        Used to rescore only the pairs new communications touch; each pair is
        expanded from its less connected person, so a hub (the mailbox owner) costs
        no more than the other person's history.
        """
        ...

    def get_edges(self, *, rel_type: RelType, pairs: Sequence[tuple[str, str]]) -> list[StoredEdge]:
        """The edges of a type between people, for many ``(a, b)`` pairs in one call, ordered by (source, target).

        Undirected types match either order; pairs with no edge are left out.
        """
        ...

    def delete_edges(self, *, rel_type: RelType, pairs: Sequence[tuple[str, str]]) -> int:
        """Delete the edges of a type between people (either order for undirected types); returns how many existed."""
        ...

    def iter_edge_props(self, *, rel_type: RelType, names: Sequence[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every edge of a type as ``(source id, target id, {name: value})`` with only the named properties.

        In no particular order; properties an edge lacks are left out. Much cheaper
        than :meth:`iter_edges` for wide edges (scored KNOWS edges carry dozens of
        properties) when a caller needs two or three of them.
        """
        ...
