"""``Neo4jStore``: the production GraphStore, Cypher over Bolt.

The only module (with its ``neo4j_*`` siblings) that imports the ``neo4j``
driver. Writes run as managed transactions in sessions with write access, so the
driver retries transient failures and a cluster or Aura works unchanged; a write
counts as stored only when the server confirms its commit with a bookmark.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString, TypeVar

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from tellgraph.errors import InvalidInput, StoreError, StoreTimeout, StoreUnavailable
from tellgraph.graph import neo4j_cypher as cypher
from tellgraph.graph.canonical import graph_checksum
from tellgraph.graph.queries import (
    COMMUNICATION_PRIVATE_PROPS,
    NODE_LOOKUP_LABELS,
    PERSON_PERSONAL_PROPS,
    TEXT_INDEX_LABELS,
    VECTOR_LABELS,
    CommunicationPage,
    CompanyPage,
    CompanyQuery,
    CompanyRow,
    ErasureReport,
    Participation,
    PersonPage,
    PersonQuery,
    PersonRow,
    ScrubReport,
    SearchMatch,
    TextIndex,
    lucene_phrases,
    lucene_query,
    rank_matches,
    role_of,
    sort_participations,
    usable_vector,
    without_embedding,
)
from tellgraph.graph.scrub import ERASED, NEVER_SCRUBBED, needles, scrub_props, term_pattern
from tellgraph.graph.store import (
    GraphPath,
    Interaction,
    Neighbour,
    PathHop,
    SchemaReport,
    StoreCounts,
    TiePage,
    check_path_args,
)
from tellgraph.schema.labels import UNDIRECTED_TYPES, NodeLabel, RelType, check_property_name
from tellgraph.schema.migrations import EMBEDDING_DIMENSIONS, LATEST_VERSION, MIGRATIONS
from tellgraph.schema.model import Edge, Entity, Node, PropValue, StoredEdge, as_utc, utcnow

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

UNCONFIRMED_COMMIT = (
    "Neo4j did not confirm the commit (no bookmark came back; the server was probably shutting down), "
    "so the write is treated as not stored"
)

WRITE_BATCH = 5_000

INDEX_WAIT_SECONDS = 6 * 3600.0
"""How long ``apply_schema`` waits for indexes to populate: hours after a bulk import of millions of nodes."""


_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes})
"""Types the driver returns as they are: most property values, checked first because a
warm-path request converts ~1,500 of them (``hasattr`` on each cost a millisecond)."""


def _native(value: Any) -> Any:
    """Driver temporal types to Python ones (UTC datetimes)."""
    if type(value) in _PLAIN:
        return value
    if type(value) is list and all(type(v) in _PLAIN for v in value):
        return value
    if isinstance(value, neo4j.time.DateTime):
        native = value.to_native()
        return native.astimezone(UTC) if native.tzinfo else native.replace(tzinfo=UTC)
    if isinstance(value, list):
        return [_native(v) for v in value]
    if hasattr(value, "to_native"):
        return value.to_native()
    return value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _props(raw: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    """Properties as Python values, from a driver map or from ``neo4j_cypher.wire_props``."""
    if isinstance(raw, Mapping):
        return {key: _native(value) for key, value in raw.items()}
    pairs, zoned = raw
    props = {key: _native(value) for key, value in pairs}
    for key, seconds, nanosecond in zoned:
        # Truncated to microseconds, as the driver's DateTime.to_native() does.
        props[key] = _EPOCH + timedelta(seconds=seconds, microseconds=nanosecond // 1000)
    return props


def _node_props(raw: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    # The id is the node's key, returned beside its properties as in MemoryStore.
    props = _props(raw)
    props.pop("id", None)
    return props


def _tie_params(limit: int, edge_props: Sequence[str] | None) -> dict[str, Any]:
    """Parameters of the tie queries: the page size, the labels to report and the edge projection."""
    return {
        "limit": limit,
        "labels": cypher.ALL_LABELS,
        "names": [w for w in edge_props or () if not w.endswith("*")],
        "prefixes": [w[:-1] for w in edge_props or () if w.endswith("*")],
    }


def _neighbour(label: str, node_id: str, node_props: Any, rel_type: str, src: str, dst: str, props: Any) -> Neighbour:
    return Neighbour(
        node=Node(label=NodeLabel(label), id=node_id, props=_node_props(node_props)),
        edge=StoredEdge(type=RelType(rel_type), src_id=src, dst_id=dst, props=_props(props)),
    )


def _is_utc(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is UTC


def _iso(value: Any) -> Any:
    """A datetime as UTC ISO-8601 text, which ``datetime()`` in Cypher turns back into the same value.

    The pure-Python driver spends ~100 us converting one datetime; the text costs ~2 us.
    """
    return as_utc(value).isoformat() if isinstance(value, datetime) else value


def _cell(value: Any, is_datetime: bool, is_list_field: bool) -> Any:
    """One entity row cell: datetimes as ISO text, list fields without repeats (a new node takes them as they are)."""
    if is_datetime:
        return _iso(value)
    if is_list_field and isinstance(value, list):
        return list(dict.fromkeys(value))
    return value


def _interaction(r: neo4j.Record) -> Interaction:
    """An ``Interaction`` from a row of the interaction queries (id, timestamp, channel, ...)."""
    return Interaction(
        id=r["id"],
        timestamp=_native(r["timestamp"]),
        channel=r["channel"] or "",
        thread_key=r["thread_key"],
        sentiment=r["sentiment"],
        senders=sorted(r["senders"]),
        recipients=sorted((p, t) for p, t in r["recipients"]),
        participants=sorted(r["participants"]),
    )


def _operation(query: str) -> str:
    """A query's first line, to name it in an error without quoting its parameters."""
    return query.strip().split("\n", 1)[0][:80]


def _q(text: str) -> LiteralString:
    # Queries are built only from allow-listed labels and constants (see neo4j_cypher).
    return text


class Neo4jStore:
    """A GraphStore backed by Neo4j 5.

    Args:
        uri: a ``bolt://`` or ``neo4j://`` URI.
        user: the database user.
        password: the user's password (kept only inside the driver).
        database: the database name.
        connect_timeout: seconds to wait for a connection.
        max_retry_time: seconds the driver retries one transaction on transient failures
            (deadlocks, a server restarting, a cluster electing a new leader).
        query_timeout: seconds Neo4j lets one read or write of ``_run`` run before it stops
            and rolls it back (:class:`StoreTimeout`); None for no limit. The API sets its
            request timeout here, so a query whose request has already been answered with
            TIMEOUT does not keep a worker thread and the database busy.

    A ``neo4j://`` URI uses the routing driver: reads (auto-commit read sessions) go
    to readers and writes to the leader, writes and reads are retried (writes as
    managed transactions, reads by :meth:`_read`), and all calls share one bookmark manager so a read
    sees this store's earlier writes; so a cluster or Aura works unchanged. Errors that
    outlast the retries become :class:`StoreUnavailable` (connection lost, database
    restarting, lock contention) or :class:`StoreError` (the query itself failed).
    """

    def __init__(
        self,
        *,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        connect_timeout: float = 5.0,
        max_retry_time: float = 15.0,
        query_timeout: float | None = None,
    ) -> None:
        self._uri = uri
        self._database = database
        self._max_retry_time = max_retry_time
        self._query_timeout = query_timeout
        self.queries_run = 0
        try:
            self._driver = GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=connect_timeout,
                max_transaction_retry_time=max_retry_time,
                liveness_check_timeout=30.0,
                # Our queries name labels and types that may not exist yet in an empty database.
                notifications_min_severity="OFF",
            )
        except (ValueError, DriverError) as exc:
            raise StoreUnavailable(uri, f"invalid connection settings: {exc}") from exc
        # One causal chain for every call: in a cluster a read routed to a follower waits until it has
        # seen this store's earlier writes (every session is given this manager).
        self._bookmarks = self._driver.execute_query_bookmark_manager

    # -- plumbing -----------------------------------------------------------
    @property
    def uri(self) -> str:
        return self._uri

    def _run(self, query: str, params: Mapping[str, Any] | None = None, *, write: bool = False) -> list[neo4j.Record]:
        self.queries_run += 1
        values = dict(params or {})
        if write:

            @neo4j.unit_of_work(timeout=self._query_timeout)
            def work(tx: neo4j.ManagedTransaction) -> list[neo4j.Record]:
                return list(tx.run(_q(query), values))

            return self._execute_write(work, _operation(query))
        try:
            return self._read(neo4j.Query(_q(query), timeout=self._query_timeout), values)
        except (DriverError, Neo4jError) as exc:
            raise self._translate(exc, _operation(query)) from exc

    def _execute_write(self, work: Callable[[neo4j.ManagedTransaction], _T], operation: str) -> _T:
        """``work`` in one managed write transaction, retried by the driver; raises unless the commit is confirmed.

        The driver takes whatever SUCCESS answers a COMMIT as the commit. Neo4j 5.26 that shuts
        down while a transaction is open rolls it back and leaves an empty SUCCESS on the
        connection before closing it, so a client that commits just then (an ingest paused on a
        slow machine, a request in flight) is told its write was stored when it was not. A real
        commit always carries a bookmark: without one the write is reported as not stored
        (StoreUnavailable, so callers retry it; every write here is idempotent).
        """
        try:
            with self._driver.session(database=self._database, bookmark_manager=self._bookmarks) as session:
                result = session.execute_write(work)
                self._confirm_commit(session)
        except (DriverError, Neo4jError) as exc:
            raise self._translate(exc, operation) from exc
        return result

    def _confirm_commit(self, session: neo4j.Session) -> None:
        """Raise StoreUnavailable unless the session's (only) commit brought a bookmark.

        A fresh session has no bookmarks until a commit brings one.
        """
        if not session.last_bookmarks().raw_values:
            raise StoreUnavailable(self._uri, UNCONFIRMED_COMMIT)

    def _read(self, query: neo4j.Query, params: dict[str, Any]) -> list[neo4j.Record]:
        """A read in an auto-commit transaction, retried as ``execute_query`` would retry it.

        A managed transaction costs a second round trip (its COMMIT) and about twice the
        driver's CPU per call, which is most of a small read's cost in a busy API process;
        a read has nothing to commit. The driver does not retry auto-commit transactions,
        so retryable failures (a restarting server, a leader switch) are retried here, with
        backoff, for up to ``max_retry_time``.
        """
        deadline = time.monotonic() + self._max_retry_time
        delay = 0.05
        while True:
            try:
                with self._driver.session(
                    database=self._database,
                    default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=self._bookmarks,
                    fetch_size=-1,
                ) as session:
                    return list(session.run(query, params))
            except (DriverError, Neo4jError) as exc:
                timed_out = isinstance(exc, Neo4jError) and "TransactionTimedOut" in (exc.code or "")
                if timed_out or not exc.is_retryable() or time.monotonic() + delay > deadline:
                    raise
                logger.debug("retrying a read after %s", type(exc).__name__)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _translate(self, exc: DriverError | Neo4jError, operation: str) -> StoreError | StoreUnavailable:
        """A driver error as ours: unavailable (worth retrying later) or a failed operation."""
        if isinstance(exc, Neo4jError) and "TransactionTimedOut" in (exc.code or ""):
            return StoreTimeout(operation, self._query_timeout or 0.0)
        if isinstance(exc, AuthError):
            return StoreUnavailable(self._uri, f"authentication failed ({exc.code})")
        if isinstance(exc, ServiceUnavailable | SessionExpired):
            return StoreUnavailable(self._uri, str(exc) or type(exc).__name__)
        if isinstance(exc, TransientError):
            # Still failing after the driver's retries: a database starting or stopping, a leader
            # election, lock contention. The caller may try again later; the query itself is fine.
            return StoreUnavailable(self._uri, f"{exc.code}: {exc.message}")
        if isinstance(exc, Neo4jError):
            return StoreError(operation, f"{exc.code}: {exc.message}")
        return StoreUnavailable(self._uri, f"{type(exc).__name__}: {exc}")

    def _stream(self, query: str, params: Mapping[str, Any] | None = None) -> Iterator[neo4j.Record]:
        """Stream a large result lazily instead of materialising it."""
        self.queries_run += 1
        try:
            with self._driver.session(
                database=self._database,
                default_access_mode=neo4j.READ_ACCESS,
                fetch_size=5000,
                bookmark_manager=self._bookmarks,
            ) as session:
                yield from session.run(_q(query), dict(params or {}))
        except (DriverError, Neo4jError) as exc:
            raise self._translate(exc, "stream") from exc

    def _auto_commit(self, query: str, params: Mapping[str, Any] | None = None) -> None:
        """Schema statements and CALL IN TRANSACTIONS need an auto-commit transaction."""
        self.queries_run += 1
        try:
            with self._driver.session(database=self._database, bookmark_manager=self._bookmarks) as session:
                session.run(_q(query), dict(params or {})).consume()
                self._confirm_commit(session)
        except (DriverError, Neo4jError) as exc:
            raise self._translate(exc, _operation(query)) from exc

    # -- lifecycle ----------------------------------------------------------
    def ping(self) -> None:
        self._run(cypher.PING)

    def close(self) -> None:
        self._driver.close()

    def flush(self) -> None:
        """Every committed transaction is already durable in Neo4j."""

    def apply_schema(self) -> SchemaReport:
        before = {int(r["version"]) for r in self._run(cypher.APPLIED_MIGRATIONS)}
        statements = 0
        applied: list[int] = []
        for migration in MIGRATIONS:
            # Every statement is IF NOT EXISTS: re-running them also repairs a dropped index.
            for statement in migration.statements:
                try:
                    self._auto_commit(statement)
                except StoreError as exc:
                    if "EquivalentSchemaRuleAlreadyExists" not in str(exc):
                        raise
                statements += 1
            if migration.version not in before:
                self._run(cypher.RECORD_MIGRATION, {"version": migration.version, "name": migration.name}, write=True)
                applied.append(migration.version)
        self._await_indexes()
        if applied:
            logger.info("applied schema migrations %s", applied)
        return SchemaReport(version=LATEST_VERSION, applied=applied, statements=statements)

    def _await_indexes(self) -> None:
        """Wait until every index is online, however long population takes (up to ``INDEX_WAIT_SECONDS``).

        ``db.awaitIndexes`` gives up after 300 s, and after a bulk import the full-text index over
        millions of communications takes longer than that on a small machine: wait in rounds,
        logging progress, and fail only on a failed index or at the deadline.
        """
        deadline = time.monotonic() + INDEX_WAIT_SECONDS
        while True:
            try:
                self._auto_commit(cypher.AWAIT_INDEXES)
                return
            except StoreError as exc:
                if "come online" not in str(exc) or time.monotonic() >= deadline:
                    raise
                pending = self._run(cypher.INDEXES_NOT_ONLINE)
                failed = [r["name"] for r in pending if r["state"] == "FAILED"]
                if failed:
                    raise StoreError("apply schema", f"index {', '.join(failed)} failed to populate") from exc
                logger.info(
                    "indexes still populating: %s",
                    ", ".join(f"{r['name']} {float(r['progress'] or 0):.0f}%" for r in pending) or "(finishing)",
                )

    def clear(self) -> None:
        self._auto_commit(cypher.CLEAR)

    # -- writes -------------------------------------------------------------
    def _write_tx(self, statements: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
        """Run statements in ONE transaction (retried as a whole); each returns a ``written`` count."""
        if not statements:
            return []
        self.queries_run += len(statements)

        def work(tx: neo4j.ManagedTransaction) -> list[int]:
            # Send every statement before reading any answer: the server runs one while this
            # process packs the next. The transaction stays all or nothing.
            results = [tx.run(_q(query), params) for query, params in statements]
            counts = []
            for result in results:
                record = result.single()
                counts.append(int(record["written"]) if record else 0)
            return counts

        return self._execute_write(work, "write")

    @staticmethod
    def _entity_statements(entities: Sequence[Entity], now: datetime) -> list[tuple[str, dict[str, Any]]]:
        by_label: dict[NodeLabel, list[list[Any]]] = defaultdict(list)
        for entity in entities:
            props = entity.to_props()
            columns = cypher.entity_columns(entity.LABEL)
            lists = entity.LIST_FIELDS
            by_label[entity.LABEL].append(
                [entity.id, *(_cell(props[name], is_datetime, name in lists) for name, is_datetime in columns)]
            )
        statements = []
        for label, rows in by_label.items():
            query = cypher.upsert_entities(label)
            for start in range(0, len(rows), WRITE_BATCH):
                statements.append((query, {"rows": rows[start : start + WRITE_BATCH], "now": now}))
        return statements

    @staticmethod
    def _edge_statements(edges: Sequence[Edge], now: datetime) -> list[tuple[str, dict[str, Any]]]:
        # Repeats of one edge are merged first, as writing them in turn would merge them
        # (later properties win, provenance is unioned in order). Rows then touch distinct
        # edges, so they can be grouped by the properties they carry and sorted by their
        # ends (neighbouring rows then touch the same nodes and index pages).
        merged: dict[tuple[RelType, NodeLabel, str, NodeLabel, str], tuple[dict[str, PropValue], list[str], int]] = {}
        for edge in edges:
            key = (edge.type, edge.src_label, edge.src_id, edge.dst_label, edge.dst_id)
            seen = merged.get(key)
            if seen is None:
                merged[key] = (dict(edge.props), list(dict.fromkeys(edge.provenance)), 1)
            else:
                seen[0].update(edge.props)
                merged[key] = (seen[0], list(dict.fromkeys(seen[1] + edge.provenance)), seen[2] + 1)
        groups: dict[tuple[RelType, NodeLabel, NodeLabel, cypher.EdgeColumns], list[list[Any]]] = defaultdict(list)
        for (rel, src_label, src_id, dst_label, dst_id), (props, provenance, repeats) in merged.items():
            names = sorted(props)
            columns = tuple((name, _is_utc(props[name])) for name in names)
            values = [_iso(props[name]) if is_utc else props[name] for name, is_utc in columns]
            groups[(rel, src_label, dst_label, columns)].append([src_id, dst_id, repeats, provenance, *values])
        statements = []
        for (rel, src_label, dst_label, columns), rows in groups.items():
            rows.sort(key=lambda row: (row[0], row[1]))
            query = cypher.upsert_edges(rel, src_label, dst_label, columns)
            for start in range(0, len(rows), WRITE_BATCH):
                statements.append((query, {"rows": rows[start : start + WRITE_BATCH], "now": now}))
        return statements

    def upsert_entities(self, *, entities: Sequence[Entity]) -> int:
        return sum(self._write_tx(self._entity_statements(entities, utcnow())))

    def upsert_edges(self, *, edges: Sequence[Edge], now: datetime) -> int:
        return sum(self._write_tx(self._edge_statements(edges, now)))

    def write_batch(self, *, entities: Sequence[Entity], edges: Sequence[Edge], now: datetime) -> None:
        statements = self._entity_statements(entities, now) + self._edge_statements(edges, now)
        self._write_tx(statements)

    def delete_nodes(self, *, label: NodeLabel, ids: Sequence[str]) -> int:
        records = self._run(cypher.delete_nodes(label), {"ids": list(ids)}, write=True)
        return int(records[0]["removed"]) if records else 0

    def remove_node_props(self, *, label: NodeLabel, node_id: str, names: Sequence[str]) -> None:
        if names:
            self._run(cypher.remove_props(label, tuple(names)), {"id": node_id}, write=True)

    # -- reads --------------------------------------------------------------
    def get_nodes(self, *, label: NodeLabel, ids: Sequence[str]) -> list[Node]:
        records = self._run(cypher.get_nodes(label), {"ids": list(ids)})
        found = {r["id"]: Node(label=label, id=r["id"], props=_node_props(r["props"])) for r in records}
        return [found[i] for i in ids if i in found]

    def existing_ids(self, *, label: NodeLabel, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        return {r["id"] for r in self._run(cypher.existing_ids(label), {"ids": list(ids)})}

    def resolve_identities(self, *, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        return {r["key"]: r["person_id"] for r in self._run(cypher.RESOLVE_IDENTITIES, {"keys": list(keys)})}

    def find_nodes(
        self, *, label: NodeLabel, prop: str, value: str | int | float | bool, limit: int = 100
    ) -> list[Node]:
        records = self._run(cypher.find_nodes(label, prop), {"value": value, "limit": limit})
        return [Node(label=label, id=r["id"], props=_node_props(r["props"])) for r in records]

    def list_nodes(self, *, label: NodeLabel, after: str | None = None, limit: int = 100) -> list[Node]:
        records = self._run(cypher.list_nodes(label), {"after": after, "limit": limit})
        return [Node(label=label, id=r["id"], props=_node_props(r["props"])) for r in records]

    def get_edge(
        self, *, rel_type: RelType, src_label: NodeLabel, src_id: str, dst_label: NodeLabel, dst_id: str
    ) -> StoredEdge | None:
        query = cypher.get_edge(rel_type, src_label, dst_label, rel_type in UNDIRECTED_TYPES)
        records = self._run(query, {"src": src_id, "dst": dst_id})
        if not records:
            return None
        r = records[0]
        return StoredEdge(type=rel_type, src_id=r["src"], dst_id=r["dst"], props=_props(r["props"]))

    def iter_edges(self, *, rel_type: RelType, batch_size: int = 10_000) -> Iterator[StoredEdge]:
        for r in self._stream(cypher.iter_edges(rel_type)):
            yield StoredEdge(type=rel_type, src_id=r["src"], dst_id=r["dst"], props=_props(r["props"]))

    def neighbours(
        self,
        *,
        label: NodeLabel,
        node_id: str,
        rel_types: Sequence[RelType],
        limit: int = 100,
        min_strength: float | None = None,
    ) -> list[Neighbour]:
        query = cypher.neighbours(label, tuple(rel_types))
        params = {"id": node_id, "min_strength": min_strength, "limit": limit, "labels": cypher.ALL_LABELS}
        return [
            _neighbour(r["label"], r["id"], r["node_props"], r["type"], r["src"], r["dst"], r["props"])
            for r in self._run(query, params)
        ]

    def degree(self, *, label: NodeLabel, node_id: str, rel_types: Sequence[RelType]) -> int:
        records = self._run(cypher.degree(label, tuple(rel_types)), {"id": node_id})
        return int(records[0]["degree"]) if records else 0

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
        check_path_args(max_hops=max_hops, k=k)
        params = {"sources": list(sources), "targets": list(targets), "min_strength": min_strength, "k": k}
        paths = []
        for r in self._run(cypher.k_best_paths(rel_type, max_hops, with_nodes), params):
            ids: list[str] = list(r["ids"])
            hops = []
            for i, raw in enumerate(r["rels"]):
                props = _props(raw)
                hops.append(
                    PathHop(
                        src_id=ids[i],
                        dst_id=ids[i + 1],
                        strength=float(props.get("strength") or 0.0),
                        last_interaction=props.get("last_interaction"),
                        props=props,
                    )
                )
            nodes = [
                Node(label=NodeLabel.PERSON, id=node_id, props=_node_props(raw))
                for node_id, raw in zip(ids, r["nodes"], strict=with_nodes)
            ]
            paths.append(GraphPath(node_ids=ids, hops=hops, score=float(r["score"]), nodes=nodes))
        return paths

    def iter_interactions(self) -> Iterator[Interaction]:
        for r in self._stream(cypher.INTERACTIONS):
            yield _interaction(r)

    def counts(self) -> StoreCounts:
        nodes: dict[str, int] = {}
        edges: dict[str, int] = {}
        for r in self._run(cypher.counts_query()):
            if r["c"]:
                (nodes if r["kind"] == "n" else edges)[r["name"]] = int(r["c"])
        return StoreCounts(nodes=dict(sorted(nodes.items())), edges=dict(sorted(edges.items())))

    def checksum(self) -> str:
        nodes = [
            (r["label"], r["id"], _node_props(r["props"]))
            for r in self._stream(cypher.ALL_NODES, {"labels": cypher.ALL_LABELS})
        ]
        edges = [(r["type"], r["src"], r["dst"], _props(r["props"])) for r in self._stream(cypher.ALL_EDGES)]
        return graph_checksum(nodes, edges)

    # -- goals and agents -----------------------------------------------------
    def find_interactions(
        self,
        *,
        person_ids: Sequence[str] = (),
        comm_ids: Sequence[str] = (),
        since: datetime | None = None,
        limit: int = 10_000,
    ) -> list[Interaction]:
        if not person_ids and not comm_ids:
            return []
        params = {"person_ids": list(person_ids), "comm_ids": list(comm_ids), "since": since, "limit": limit}
        return [_interaction(r) for r in self._run(cypher.FIND_INTERACTIONS, params)]

    def people_at_domain(self, *, domain: str, limit: int = 200) -> list[Node]:
        suffix = "@" + domain.strip().lower()
        records = self._run(cypher.PEOPLE_AT_DOMAIN, {"suffix": suffix, "limit": limit})
        return [Node(label=NodeLabel.PERSON, id=r["id"], props=_node_props(r["props"])) for r in records]

    # -- API queries (see tellgraph.graph.queries) ------------------------------
    def find_by_ids(self, *, ids: Sequence[str], labels: Sequence[NodeLabel] = NODE_LOOKUP_LABELS) -> list[Node]:
        if not ids or not labels:
            return []
        records = self._run(cypher.find_by_ids(tuple(labels)), {"ids": list(dict.fromkeys(ids))})
        found = {r["id"]: Node(label=NodeLabel(r["label"]), id=r["id"], props=_node_props(r["props"])) for r in records}
        return [found[i] for i in ids if i in found]

    def lookup_nodes(self, *, label: NodeLabel, prop: str, values: Sequence[str], limit: int = 1000) -> list[Node]:
        if not values:
            return []
        records = self._run(cypher.lookup_nodes(label, prop), {"values": list(values), "limit": limit})
        return [Node(label=label, id=r["id"], props=_node_props(r["props"])) for r in records]

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
        result: dict[str, list[Neighbour]] = {i: [] for i in node_ids}
        if not node_ids:
            return result
        params = {"ids": list(result), "min_strength": min_strength, **_tie_params(limit, edge_props)}
        query = cypher.neighbours_many(label, tuple(rel_types), edge_props is not None)
        for r in self._run(query, params):
            result[r["key"]].append(
                _neighbour(r["label"], r["id"], r["node_props"], r["type"], r["src"], r["dst"], r["props"])
            )
        return result

    def tie_pages(
        self,
        *,
        label: NodeLabel,
        node_ids: Sequence[str],
        rel_types: Sequence[RelType],
        limit: int,
        edge_props: Sequence[str] | None = None,
    ) -> dict[str, TiePage]:
        if not node_ids:
            return {}
        params = {"ids": list(dict.fromkeys(node_ids)), **_tie_params(limit, edge_props)}
        query = cypher.tie_pages(label, tuple(rel_types), edge_props is not None)
        return {
            r["key"]: TiePage(
                node=Node(label=label, id=r["key"], props=_node_props(r["props"])),
                ties=[_neighbour(*tie) for tie in r["ties"]],
                total=int(r["total"]),
            )
            for r in self._run(query, params)
        }

    def degrees(self, *, label: NodeLabel, node_ids: Sequence[str], rel_types: Sequence[RelType]) -> dict[str, int]:
        result = dict.fromkeys(node_ids, 0)
        if node_ids:
            for r in self._run(cypher.degrees(label, tuple(rel_types)), {"ids": list(result)}):
                result[r["key"]] = int(r["degree"])
        return result

    def edges_among(self, *, label: NodeLabel, rel_type: RelType, ids: Sequence[str]) -> list[StoredEdge]:
        if not ids:
            return []
        records = self._run(cypher.edges_among(label, rel_type), {"ids": list(dict.fromkeys(ids))})
        return [StoredEdge(type=rel_type, src_id=r["src"], dst_id=r["dst"], props=_props(r["props"])) for r in records]

    def query_people(self, *, query: PersonQuery) -> PersonPage:
        params = {
            "ids": query.ids,
            "name": query.name_contains.lower() if query.name_contains else None,
            "suffix": "@" + query.email_domain.strip().lower() if query.email_domain else None,
            "company": query.company_id,
            "is_team": query.is_team,
            "offset": query.offset,
            "limit": query.limit,
        }
        filters = frozenset(name for name, value in params.items() if value is not None) - {"offset", "limit"}
        [record] = self._run(cypher.query_people(query.sort.value, query.descending, filters), params)
        rows = [
            PersonRow(
                node=Node(label=NodeLabel.PERSON, id=row["id"], props=_node_props(row["props"])),
                degree=int(row["degree"]),
                strength=float(row["strength"]),
                last_interaction=_native(row["last"]),
            )
            for row in record["rows"]
        ]
        return PersonPage(rows=rows, total=int(record["total"]))

    def query_companies(self, *, query: CompanyQuery) -> CompanyPage:
        params = {
            "ids": query.ids,
            "name": query.name_contains.lower() if query.name_contains else None,
            "domain": query.domain.strip().lower() if query.domain else None,
            "offset": query.offset,
            "limit": query.limit,
        }
        filters = frozenset(name for name, value in params.items() if value is not None) - {"offset", "limit"}
        [record] = self._run(cypher.query_companies(query.sort.value, query.descending, filters), params)
        rows = [
            CompanyRow(
                node=Node(label=NodeLabel.COMPANY, id=row["id"], props=_node_props(row["props"])),
                people=int(row["people"]),
                last_interaction=_native(row["last"]),
            )
            for row in record["rows"]
        ]
        return CompanyPage(rows=rows, total=int(record["total"]))

    def communications_of(
        self, *, person_id: str, before: tuple[datetime, str] | None = None, limit: int = 20
    ) -> CommunicationPage:
        params = {
            "id": person_id,
            "before_ts": before[0] if before else None,
            "before_id": before[1] if before else None,
            "limit": limit,
        }
        records = self._run(cypher.COMMUNICATIONS_OF, params)
        if not records:
            return CommunicationPage(nodes=[], total=0)
        nodes = [
            Node(label=NodeLabel.COMMUNICATION, id=row["id"], props=_node_props(row["props"]))
            for row in records[0]["page"]
        ]
        return CommunicationPage(nodes=nodes, total=int(records[0]["total"]))

    def participants_of(self, *, comm_ids: Sequence[str]) -> dict[str, list[Participation]]:
        found: dict[str, list[Participation]] = {i: [] for i in comm_ids}
        if not comm_ids:
            return found
        for r in self._run(cypher.PARTICIPANTS_OF, {"ids": list(found)}):
            person = Node(label=NodeLabel.PERSON, id=r["id"], props=_node_props(r["props"]))
            found[r["key"]].append(Participation(person=person, role=role_of(r["type"], r["role"])))
        return {key: sort_participations(items) for key, items in found.items()}

    def interactions_between(self, *, person_ids: Sequence[str]) -> list[Interaction]:
        ids = sorted(set(person_ids))
        if len(ids) < 2:
            return []
        return [_interaction(r) for r in self._run(cypher.INTERACTIONS_BETWEEN, {"ids": ids})]

    def latest_communication(self) -> datetime | None:
        records = self._run(cypher.LATEST_COMMUNICATION)
        return _native(records[0]["ts"]) if records else None

    def text_search(self, *, index: TextIndex, terms: Sequence[str], limit: int = 20) -> list[SearchMatch]:
        query = lucene_query(terms)
        if not query:
            return []
        # Ask the index for more than needed so that ties at the cut are broken by id, as in MemoryStore.
        params = {"index": index.value, "query": query, "limit": limit * 2 + 10, "labels": cypher.ALL_LABELS}
        matches = [
            SearchMatch(
                node=Node(label=NodeLabel(r["label"]), id=r["id"], props=without_embedding(_node_props(r["props"]))),
                score=float(r["score"]),
            )
            for r in self._run(cypher.TEXT_SEARCH, params)
            if r["label"] in {label.value for label in TEXT_INDEX_LABELS[index]}
        ]
        return rank_matches(matches, limit=limit)

    def vector_search(self, *, label: NodeLabel, vector: Sequence[float], limit: int = 20) -> list[SearchMatch]:
        if label not in VECTOR_LABELS:
            raise InvalidInput("label", f"{label.value} has no vector index")
        if not usable_vector(vector, dimensions=EMBEDDING_DIMENSIONS):
            return []
        params = {"index": f"{label.value.lower()}_embedding", "limit": limit * 2 + 10, "vector": list(vector)}
        matches = [
            SearchMatch(
                node=Node(label=label, id=r["id"], props=without_embedding(_node_props(r["props"]))),
                score=float(r["score"]),
            )
            for r in self._run(cypher.VECTOR_SEARCH, params)
        ]
        return rank_matches(matches, limit=limit)

    def has_embeddings(self, *, label: NodeLabel) -> bool:
        if label not in VECTOR_LABELS:
            return False
        probe = [1.0] + [0.0] * (EMBEDDING_DIMENSIONS - 1)
        try:
            records = self._run(cypher.HAS_EMBEDDINGS, {"index": f"{label.value.lower()}_embedding", "probe": probe})
        except StoreError:
            return False  # the index does not exist yet (schema not applied)
        return bool(records and records[0]["found"])

    def set_node_props(self, *, label: NodeLabel, node_id: str, props: Mapping[str, PropValue]) -> bool:
        for name in props:
            check_property_name(name)
        records = self._run(cypher.set_node_props(label), {"id": node_id, "props": dict(props)}, write=True)
        return bool(records and records[0]["found"])

    def scrub_text(self, *, person_id: str, terms: Sequence[str], replacement: str = ERASED) -> ScrubReport:
        pattern = term_pattern(terms)
        if pattern is None:
            return ScrubReport()
        # Cypher finds candidates with plain CONTAINS tests on each term's words; the pattern decides.
        words = needles(terms)
        params: dict[str, Any] = {
            "id": person_id,
            "needles": words,
            "skip": sorted(NEVER_SCRUBBED),
            "lucene": lucene_phrases(terms),
            "limit": 100_000,
        }
        node_rows = []
        comm_ids: list[str] = []
        for query in (cypher.SCRUB_NODE_CANDIDATES, cypher.SCRUB_COMMUNICATION_CANDIDATES):
            for record in self._run(query, params):
                changed = scrub_props(_node_props(record["props"]), pattern, replacement)
                if changed:
                    node_rows.append({"eid": record["eid"], "props": changed})
                    if record["comm"]:
                        comm_ids.append(record["id"])
        edge_rows = []
        for record in self._run(cypher.SCRUB_EDGE_CANDIDATES, params):
            changed = scrub_props(_props(record["props"]), pattern, replacement)
            if changed:
                edge_rows.append({"eid": record["eid"], "props": changed})
        statements = [(cypher.SCRUB_SET_NODES, {"rows": node_rows}), (cypher.SCRUB_SET_EDGES, {"rows": edge_rows})]
        nodes, edges = self._write_tx(statements)
        return ScrubReport(nodes=nodes, edges=edges, communication_ids=sorted(set(comm_ids)))

    def erase_person(self, *, person_id: str, now: datetime) -> ErasureReport:
        strip, identities, redact = cypher.erase_person(PERSON_PERSONAL_PROPS, COMMUNICATION_PRIVATE_PROPS)
        params = {"id": person_id, "now": now}
        found, removed, redacted = self._write_tx([(strip, params), (identities, params), (redact, params)])
        if not found:
            return ErasureReport(found=False)
        return ErasureReport(found=True, identities_removed=removed, communications_redacted=redacted)

    # -- scoring (see tellgraph.scoring) ----------------------------------------
    def interactions_of_pairs(self, *, pairs: Sequence[tuple[str, str]]) -> list[Interaction]:
        rows = sorted({(a, b) if a < b else (b, a) for a, b in pairs if a != b})
        found: dict[str, Interaction] = {}
        for start in range(0, len(rows), WRITE_BATCH):
            params = {"pairs": [list(p) for p in rows[start : start + WRITE_BATCH]]}
            for r in self._run(cypher.INTERACTIONS_OF_PAIRS, params):
                found[r["id"]] = _interaction(r)
        return [found[k] for k in sorted(found)]

    def get_edges(self, *, rel_type: RelType, pairs: Sequence[tuple[str, str]]) -> list[StoredEdge]:
        query = cypher.get_edges(rel_type, rel_type in UNDIRECTED_TYPES)
        found: dict[tuple[str, str], StoredEdge] = {}
        rows = [list(p) for p in pairs]
        for start in range(0, len(rows), WRITE_BATCH):
            for r in self._run(query, {"pairs": rows[start : start + WRITE_BATCH]}):
                found[(r["src"], r["dst"])] = StoredEdge(
                    type=rel_type, src_id=r["src"], dst_id=r["dst"], props=_props(r["props"])
                )
        return [found[k] for k in sorted(found)]

    def delete_edges(self, *, rel_type: RelType, pairs: Sequence[tuple[str, str]]) -> int:
        query = cypher.delete_edges(rel_type, rel_type in UNDIRECTED_TYPES)
        rows = [list(p) for p in pairs]
        removed = 0
        for start in range(0, len(rows), WRITE_BATCH):
            records = self._run(query, {"pairs": rows[start : start + WRITE_BATCH]}, write=True)
            removed += int(records[0]["removed"]) if records else 0
        return removed

    def iter_edge_props(self, *, rel_type: RelType, names: Sequence[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        wanted = [check_property_name(name) for name in names]
        for r in self._stream(cypher.iter_edge_props(rel_type), {"names": wanted}):
            pairs = zip(wanted, r["values"], strict=True)
            yield r["src"], r["dst"], {name: _native(value) for name, value in pairs if value is not None}


__all__ = ["Neo4jStore"]
