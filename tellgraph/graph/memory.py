"""``MemoryStore``: the embedded GraphStore on networkx, persisted to a JSON file.

Used when no Neo4j is available and in fast unit tests. Snapshots are written
atomically (temporary file, fsync, rename, fsync of the folder), so a crash or a
full disk leaves the previous snapshot intact. A full disk or a read-only location
is reported as :class:`~tellgraph.errors.StorageFull` or
:class:`~tellgraph.errors.StorageReadOnly`.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx

from tellgraph.errors import InvalidInput, StorageError, StorageFull, StorageReadOnly, StoreUnavailable
from tellgraph.graph.canonical import graph_checksum, merge_entity_props
from tellgraph.graph.paths import Tie, best_paths
from tellgraph.graph.queries import (
    COMMUNICATION_PRIVATE_PROPS,
    NODE_LOOKUP_LABELS,
    PARTICIPATION_TYPES,
    PERSON_PERSONAL_PROPS,
    TEXT_INDEX_FIELDS,
    TEXT_INDEX_LABELS,
    VECTOR_LABELS,
    CommunicationPage,
    CompanyPage,
    CompanyQuery,
    CompanyRow,
    CompanySort,
    ErasureReport,
    Participation,
    PersonPage,
    PersonQuery,
    PersonRow,
    PersonSort,
    ScrubReport,
    SearchMatch,
    TextIndex,
    cosine_score,
    name_key,
    project_props,
    rank_matches,
    role_of,
    search_terms,
    sort_participations,
    sort_rows,
    text_match_score,
    usable_vector,
    without_embedding,
)
from tellgraph.graph.scrub import ERASED, scrub_props, term_pattern
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
from tellgraph.schema.migrations import EMBEDDING_DIMENSIONS, LATEST_VERSION
from tellgraph.schema.model import Edge, Entity, Node, PropValue, StoredEdge, as_utc, utcnow

logger = logging.getLogger(__name__)

NodeKey = tuple[str, str]
_RECIPIENT_TYPES = frozenset({RelType.TO.value, RelType.CC.value, RelType.BCC.value})
_SENT, _PARTICIPATED = RelType.SENT.value, RelType.PARTICIPATED.value
FORMAT_VERSION = 1
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def _storage_error(path: Path, exc: OSError) -> StorageError:
    """The precise error for a failed snapshot write."""
    reason = exc.strerror or str(exc)
    code = errno.errorcode.get(exc.errno, "") if exc.errno is not None else ""
    problem = f"{reason} ({code})" if code else reason
    if exc.errno in _FULL:
        return StorageFull(str(path), f"{problem}; free some space and run the command again", errno=exc.errno)
    if exc.errno in _READ_ONLY:
        return StorageReadOnly(
            str(path), f"{problem}; make it writable or set TELLGRAPH_DATA_DIR elsewhere", errno=exc.errno
        )
    return StorageError(str(path), problem, errno=exc.errno)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    return value


class MemoryStore:
    """A GraphStore held in a networkx ``MultiDiGraph``; node keys are ``(label, id)``.

    Args:
        path: the snapshot file; ``None`` keeps the graph in memory only.
    """

    def __init__(self, *, path: Path | None = None) -> None:
        self._path = path
        self._graph: nx.MultiDiGraph[NodeKey] = nx.MultiDiGraph()
        self._schema_version = 0
        self._dirty = False
        if path is not None and path.exists():
            self._load(path)

    # -- lifecycle ------------------------------------------------------------
    @property
    def uri(self) -> str:
        return f"memory:{self._path}" if self._path else "memory:"

    def ping(self) -> None:
        if self._path is not None and not self._path.parent.exists():
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(self.uri, f"cannot create the data directory: {exc}") from exc

    def close(self) -> None:
        self.flush()

    def flush(self) -> None:
        if self._path is None or not self._dirty:
            return
        self._save(self._path)
        self._dirty = False

    def apply_schema(self) -> SchemaReport:
        applied = list(range(self._schema_version + 1, LATEST_VERSION + 1))
        self._schema_version = LATEST_VERSION
        if applied:
            self._dirty = True
        return SchemaReport(version=LATEST_VERSION, applied=applied, statements=0)

    def clear(self) -> None:
        self._graph.clear()
        self._dirty = True

    # -- persistence ----------------------------------------------------------
    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(self.uri, f"cannot read the snapshot: {exc}") from exc
        if data.get("format") != FORMAT_VERSION:
            raise StoreUnavailable(self.uri, f"unknown snapshot format {data.get('format')!r}")
        self._schema_version = int(data.get("schema_version", 0))
        for label, node_id, props in data["nodes"]:
            self._graph.add_node((label, node_id), **{k: _decode(v) for k, v in props.items()})
        for rel, src_label, src_id, dst_label, dst_id, props in data["edges"]:
            self._graph.add_edge(
                (src_label, src_id), (dst_label, dst_id), key=rel, **{k: _decode(v) for k, v in props.items()}
            )

    def _save(self, path: Path) -> None:
        data = {
            "format": FORMAT_VERSION,
            "schema_version": self._schema_version,
            "nodes": [
                [label, node_id, {k: _encode(v) for k, v in props.items()}]
                for (label, node_id), props in self._graph.nodes(data=True)
            ],
            "edges": [
                [rel, src[0], src[1], dst[0], dst[1], {k: _encode(v) for k, v in props.items()}]
                for src, dst, rel, props in self._graph.edges(keys=True, data=True)
            ],
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".snapshot-", dir=path.parent)
        except OSError as exc:
            raise _storage_error(path.parent, exc) from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _storage_error(path, exc) from exc
        self._sync_folder(path.parent)
        logger.debug("saved %s nodes to %s", self._graph.number_of_nodes(), path)

    @staticmethod
    def _sync_folder(folder: Path) -> None:
        """Make the rename itself durable (POSIX); where folders cannot be opened this is skipped."""
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass  # the new snapshot is in place; only its durability across a power cut is less certain
        finally:
            os.close(fd)

    # -- writes ---------------------------------------------------------------
    def upsert_entities(self, *, entities: Sequence[Entity]) -> int:
        for entity in entities:
            key = (entity.LABEL.value, entity.id)
            existing = self._graph.nodes[key] if key in self._graph else None
            merged = merge_entity_props(type(entity), existing, entity.to_props())
            if existing is None:
                self._graph.add_node(key, created_at=utcnow(), **merged)
            else:
                existing.clear()
                existing.update(merged)
        if entities:
            self._dirty = True
        return len(entities)

    def upsert_edges(self, *, edges: Sequence[Edge], now: datetime) -> int:
        written = 0
        for edge in edges:
            src = (edge.src_label.value, edge.src_id)
            dst = (edge.dst_label.value, edge.dst_id)
            if src not in self._graph or dst not in self._graph:
                continue
            rel = edge.type.value
            if self._graph.has_edge(src, dst, key=rel):
                props = self._graph.edges[src, dst, rel]
            else:
                self._graph.add_edge(src, dst, key=rel, created_at=now)
                props = self._graph.edges[src, dst, rel]
            for name, value in edge.props.items():
                if value is None:
                    props.pop(name, None)
                else:
                    # Read back in UTC, as Neo4j gives every zoned datetime.
                    props[name] = as_utc(value) if isinstance(value, datetime) else value
            provenance = list(props.get("provenance") or [])
            for item in edge.provenance:
                if item not in provenance:
                    provenance.append(item)
            props["provenance"] = provenance
            written += 1
        if edges:
            self._dirty = True
        return written

    def write_batch(self, *, entities: Sequence[Entity], edges: Sequence[Edge], now: datetime) -> None:
        self.upsert_entities(entities=entities)
        self.upsert_edges(edges=edges, now=now)

    def delete_nodes(self, *, label: NodeLabel, ids: Sequence[str]) -> int:
        removed = 0
        for node_id in ids:
            key = (label.value, node_id)
            if key in self._graph:
                self._graph.remove_node(key)
                removed += 1
        if removed:
            self._dirty = True
        return removed

    def remove_node_props(self, *, label: NodeLabel, node_id: str, names: Sequence[str]) -> None:
        key = (label.value, node_id)
        if key not in self._graph:
            return
        props = self._graph.nodes[key]
        for name in names:
            props.pop(check_property_name(name), None)
        self._dirty = True

    # -- reads ----------------------------------------------------------------
    def _node(self, key: NodeKey) -> Node:
        return Node(label=NodeLabel(key[0]), id=key[1], props=dict(self._graph.nodes[key]))

    def get_nodes(self, *, label: NodeLabel, ids: Sequence[str]) -> list[Node]:
        return [self._node((label.value, i)) for i in ids if (label.value, i) in self._graph]

    def existing_ids(self, *, label: NodeLabel, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if (label.value, i) in self._graph}

    def resolve_identities(self, *, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for key in keys:
            node = (NodeLabel.IDENTITY.value, key)
            if node not in self._graph:
                continue
            for _, dst, rel in self._graph.out_edges(node, keys=True):
                if rel == RelType.IDENTIFIES.value and dst[0] == NodeLabel.PERSON.value:
                    found[key] = dst[1]
                    break
        return found

    def find_nodes(
        self, *, label: NodeLabel, prop: str, value: str | int | float | bool, limit: int = 100
    ) -> list[Node]:
        check_property_name(prop)
        matches = []
        for (node_label, node_id), props in self._graph.nodes(data=True):
            if node_label != label.value:
                continue
            if props.get(prop) == value:
                matches.append(node_id)
        return [self._node((label.value, i)) for i in sorted(matches)[:limit]]

    def list_nodes(self, *, label: NodeLabel, after: str | None = None, limit: int = 100) -> list[Node]:
        ids = sorted(
            node_id
            for node_label, node_id in self._graph.nodes
            if node_label == label.value and (after is None or node_id > after)
        )
        return [self._node((label.value, i)) for i in ids[:limit]]

    def get_edge(
        self, *, rel_type: RelType, src_label: NodeLabel, src_id: str, dst_label: NodeLabel, dst_id: str
    ) -> StoredEdge | None:
        src, dst = (src_label.value, src_id), (dst_label.value, dst_id)
        if self._graph.has_edge(src, dst, key=rel_type.value):
            return StoredEdge(
                type=rel_type, src_id=src_id, dst_id=dst_id, props=dict(self._graph.edges[src, dst, rel_type.value])
            )
        if rel_type in UNDIRECTED_TYPES and self._graph.has_edge(dst, src, key=rel_type.value):
            return StoredEdge(
                type=rel_type, src_id=dst_id, dst_id=src_id, props=dict(self._graph.edges[dst, src, rel_type.value])
            )
        return None

    def iter_edges(self, *, rel_type: RelType, batch_size: int = 10_000) -> Iterator[StoredEdge]:
        rows = sorted(
            (src[1], dst[1], props)
            for src, dst, rel, props in self._graph.edges(keys=True, data=True)
            if rel == rel_type.value
        )
        for src_id, dst_id, props in rows:
            yield StoredEdge(type=rel_type, src_id=src_id, dst_id=dst_id, props=dict(props))

    def _adjacent(
        self, key: NodeKey, rel_types: set[str]
    ) -> Iterator[tuple[NodeKey, NodeKey, NodeKey, str, dict[str, Any]]]:
        """(neighbour, edge source, edge target, type, props) over out- and in-edges."""
        for _, dst, rel, props in self._graph.out_edges(key, keys=True, data=True):
            if rel in rel_types:
                yield dst, key, dst, rel, props
        for src, _, rel, props in self._graph.in_edges(key, keys=True, data=True):
            if rel in rel_types:
                yield src, src, key, rel, props

    def neighbours(
        self,
        *,
        label: NodeLabel,
        node_id: str,
        rel_types: Sequence[RelType],
        limit: int = 100,
        min_strength: float | None = None,
    ) -> list[Neighbour]:
        key = (label.value, node_id)
        if key not in self._graph:
            return []
        wanted = {r.value for r in rel_types}
        found: list[tuple[float, str, Neighbour]] = []
        for other, src, dst, rel, props in self._adjacent(key, wanted):
            strength = float(props.get("strength") or 0.0)
            if min_strength is not None and strength < min_strength:
                continue
            edge = StoredEdge(type=RelType(rel), src_id=src[1], dst_id=dst[1], props=dict(props))
            found.append((-strength, other[1], Neighbour(node=self._node(other), edge=edge)))
        found.sort(key=lambda item: (item[0], item[1], item[2].edge.type.value))
        return [item[2] for item in found[:limit]]

    def degree(self, *, label: NodeLabel, node_id: str, rel_types: Sequence[RelType]) -> int:
        key = (label.value, node_id)
        if key not in self._graph:
            return 0
        return sum(1 for _ in self._adjacent(key, {r.value for r in rel_types}))

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
        person = NodeLabel.PERSON.value
        source_set, target_set = set(sources), set(targets)
        starts = [(person, s) for s in sorted(source_set - target_set) if (person, s) in self._graph]
        goals = [(person, t) for t in sorted(target_set) if (person, t) in self._graph]
        rel = rel_type.value
        succ, pred = self._graph.succ, self._graph.pred
        seen: dict[NodeKey, list[Tie]] = {}

        def ties(node: NodeKey) -> list[Tie]:
            found = seen.get(node)
            if found is None:
                found = []
                for adjacency in (succ[node], pred[node]):
                    for other, keyed in adjacency.items():
                        props = keyed.get(rel)
                        if props is not None:
                            strength = float(props.get("strength") or 0.0)
                            if strength >= min_strength:
                                found.append((other, strength, props))
                seen[node] = found
            return found

        best = best_paths(
            ties=ties, sources=starts, targets=goals, ends=source_set | target_set, max_hops=max_hops, k=k
        )
        on_paths: dict[str, Node] = {}
        if with_nodes:
            ids = sorted({node[1] for _, nodes, _ in best for node in nodes})
            on_paths = {n.id: n for n in self.get_nodes(label=NodeLabel.PERSON, ids=ids)}
        return [
            GraphPath(
                nodes=[on_paths[node[1]] for node in nodes] if with_nodes else [],
                node_ids=[node[1] for node in nodes],
                hops=[
                    PathHop(
                        src_id=nodes[i][1],
                        dst_id=nodes[i + 1][1],
                        strength=strength,
                        last_interaction=props.get("last_interaction"),
                        props=dict(props),
                    )
                    for i, (strength, props) in enumerate(edges)
                ],
                score=score,
            )
            for score, nodes, edges in best
        ]

    def iter_interactions(self) -> Iterator[Interaction]:
        comm_label = NodeLabel.COMMUNICATION.value
        nodes: dict[NodeKey, Any] = self._graph._node  # type: ignore[attr-defined]
        for comm_id in sorted(node_id for label, node_id in nodes if label == comm_label):
            yield self._interaction((comm_label, comm_id))

    def counts(self) -> StoreCounts:
        nodes: dict[str, int] = {}
        for label, _ in self._graph.nodes:
            nodes[label] = nodes.get(label, 0) + 1
        edges: dict[str, int] = {}
        for _, _, rel in self._graph.edges(keys=True):
            edges[rel] = edges.get(rel, 0) + 1
        return StoreCounts(nodes=dict(sorted(nodes.items())), edges=dict(sorted(edges.items())))

    def checksum(self) -> str:
        return graph_checksum(
            ((label, node_id, props) for (label, node_id), props in self._graph.nodes(data=True)),
            ((rel, src[1], dst[1], props) for src, dst, rel, props in self._graph.edges(keys=True, data=True)),
        )

    @property
    def graph(self) -> nx.MultiDiGraph[NodeKey]:
        """The underlying networkx graph, for in-process analytics (read it, do not write it)."""
        return self._graph

    # -- goals and agents -----------------------------------------------------
    def _interaction(self, key: NodeKey) -> Interaction:
        # networkx's own adjacency dicts (node -> neighbour -> edge key -> data) rather than the
        # in_edges/out_edges views: building two views per communication was two thirds of the
        # time a full rescore spent reading 1.7M communications.
        props = self._graph._node[key]  # type: ignore[attr-defined]
        person = NodeLabel.PERSON.value
        senders, participants = [], []
        for src, rels in self._graph._pred[key].items():  # type: ignore[attr-defined]
            if src[0] != person:
                continue
            for rel in rels:
                if rel == _SENT:
                    senders.append(src[1])
                elif rel == _PARTICIPATED:
                    participants.append(src[1])
        recipients = [
            (dst[1], rel)
            for dst, rels in self._graph._succ[key].items()  # type: ignore[attr-defined]
            if dst[0] == person
            for rel in rels
            if rel in _RECIPIENT_TYPES
        ]
        return Interaction(
            id=key[1],
            timestamp=props["timestamp"],
            channel=props.get("channel", ""),
            thread_key=props.get("thread_key"),
            sentiment=props.get("sentiment"),
            senders=sorted(senders),
            recipients=sorted(recipients),
            participants=sorted(participants),
        )

    def find_interactions(
        self,
        *,
        person_ids: Sequence[str] = (),
        comm_ids: Sequence[str] = (),
        since: datetime | None = None,
        limit: int = 10_000,
    ) -> list[Interaction]:
        comm_label, person = NodeLabel.COMMUNICATION.value, NodeLabel.PERSON.value
        found: set[NodeKey] = {(comm_label, i) for i in comm_ids if (comm_label, i) in self._graph}
        took_part = {RelType.SENT.value, RelType.PARTICIPATED.value}
        for person_id in person_ids:
            key = (person, person_id)
            if key not in self._graph:
                continue
            for _, dst, rel in self._graph.out_edges(key, keys=True):
                if dst[0] == comm_label and rel in took_part:
                    found.add(dst)
            for src, _, rel in self._graph.in_edges(key, keys=True):
                if src[0] == comm_label and rel in _RECIPIENT_TYPES:
                    found.add(src)
        rows = [
            (self._graph.nodes[key]["timestamp"], key)
            for key in found
            if since is None or self._graph.nodes[key]["timestamp"] >= since
        ]
        # Newest first, then by id: sort by id, then stably by time descending.
        rows.sort(key=lambda row: row[1][1])
        rows.sort(key=lambda row: row[0], reverse=True)
        return [self._interaction(key) for _, key in rows[:limit]]

    def _email_domains(self) -> dict[str, set[NodeKey]]:
        """Email identity nodes by domain, rebuilt when nodes are added or removed.

        Scanning every node per lookup is slow on large graphs. The node count and
        the last inserted node (dicts keep insertion order) change whenever a node
        is added or removed, both O(1) to read; identities moving between people
        need no rebuild because lookups follow each identity's current edge.
        """
        nodes: dict[NodeKey, Any] = self._graph._node  # type: ignore[attr-defined]  # insertion-ordered
        signature = (len(nodes), next(reversed(nodes), None))
        cached = getattr(self, "_domain_cache", None)
        if cached is not None and cached[0] == signature:
            index: dict[str, set[NodeKey]] = cached[1]
            return index
        index = {}
        identity = NodeLabel.IDENTITY.value
        for label, key_id in self._graph.nodes:
            if label == identity and key_id.startswith("email:") and "@" in key_id:
                index.setdefault(key_id.rpartition("@")[2], set()).add((label, key_id))
        self._domain_cache = (signature, index)
        return index

    def people_at_domain(self, *, domain: str, limit: int = 200) -> list[Node]:
        person = NodeLabel.PERSON.value
        ids: set[str] = set()
        for key in self._email_domains().get(domain.strip().lower(), set()):
            if key not in self._graph:
                continue
            for _, dst, rel in self._graph.out_edges(key, keys=True):
                if rel == RelType.IDENTIFIES.value and dst[0] == person:
                    ids.add(dst[1])
        return [self._node((person, i)) for i in sorted(ids)[:limit]]

    # -- API queries (see tellgraph.graph.queries) ------------------------------
    def find_by_ids(self, *, ids: Sequence[str], labels: Sequence[NodeLabel] = NODE_LOOKUP_LABELS) -> list[Node]:
        found: list[Node] = []
        for node_id in ids:
            for label in labels:
                if (label.value, node_id) in self._graph:
                    found.append(self._node((label.value, node_id)))
                    break
        return found

    def lookup_nodes(self, *, label: NodeLabel, prop: str, values: Sequence[str], limit: int = 1000) -> list[Node]:
        check_property_name(prop)
        wanted = set(values)
        ids = sorted(
            node_id
            for (node_label, node_id), props in self._graph.nodes(data=True)
            if node_label == label.value and props.get(prop) in wanted
        )
        return [self._node((label.value, i)) for i in ids[:limit]]

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
        found = {
            node_id: self.neighbours(
                label=label, node_id=node_id, rel_types=rel_types, limit=limit, min_strength=min_strength
            )
            for node_id in node_ids
        }
        if edge_props is None:
            return found
        projected: dict[str, list[Neighbour]] = {}
        for node_id, items in found.items():
            projected[node_id] = []
            for n in items:
                props = project_props(n.edge.props, edge_props)
                projected[node_id].append(Neighbour(node=n.node, edge=n.edge.model_copy(update={"props": props})))
        return projected

    def degrees(self, *, label: NodeLabel, node_ids: Sequence[str], rel_types: Sequence[RelType]) -> dict[str, int]:
        return {i: self.degree(label=label, node_id=i, rel_types=rel_types) for i in node_ids}

    def tie_pages(
        self,
        *,
        label: NodeLabel,
        node_ids: Sequence[str],
        rel_types: Sequence[RelType],
        limit: int,
        edge_props: Sequence[str] | None = None,
    ) -> dict[str, TiePage]:
        nodes = {n.id: n for n in self.get_nodes(label=label, ids=node_ids)}
        ties = self.neighbours_many(
            label=label, node_ids=list(nodes), rel_types=rel_types, limit=limit, edge_props=edge_props
        )
        return {
            i: TiePage(node=node, ties=ties[i], total=self.degree(label=label, node_id=i, rel_types=rel_types))
            for i, node in nodes.items()
        }

    def edges_among(self, *, label: NodeLabel, rel_type: RelType, ids: Sequence[str]) -> list[StoredEdge]:
        keys = {(label.value, i) for i in ids if (label.value, i) in self._graph}
        subgraph = self._graph.subgraph(keys)
        edges = [
            StoredEdge(type=rel_type, src_id=src[1], dst_id=dst[1], props=dict(props))
            for src, dst, rel, props in subgraph.edges(keys=True, data=True)
            if rel == rel_type.value
        ]
        return sorted(edges, key=lambda e: (e.src_id, e.dst_id))

    def _knows_metrics(self, key: NodeKey) -> tuple[int, float, datetime | None]:
        degree, strength, last = 0, 0.0, None
        for _, _, _, _, props in self._adjacent(key, {RelType.KNOWS.value}):
            degree += 1
            strength += float(props.get("strength") or 0.0)
            seen = props.get("last_interaction")
            if seen is not None and (last is None or seen > last):
                last = seen
        return degree, round(strength, 6), last

    def _current_employer_ids(self, key: NodeKey) -> set[str]:
        return {
            dst[1]
            for _, dst, rel, props in self._graph.out_edges(key, keys=True, data=True)
            if rel == RelType.WORKS_AT.value and dst[0] == NodeLabel.COMPANY.value and props.get("valid_to") is None
        }

    def query_people(self, *, query: PersonQuery) -> PersonPage:
        person = NodeLabel.PERSON.value
        wanted = set(query.ids) if query.ids is not None else None
        name = query.name_contains.lower() if query.name_contains else None
        suffix = "@" + query.email_domain.strip().lower() if query.email_domain else None
        rows: list[PersonRow] = []
        for key, props in self._graph.nodes(data=True):
            if key[0] != person or (wanted is not None and key[1] not in wanted):
                continue
            if name is not None and name not in str(props.get("name") or "").lower():
                continue
            if suffix is not None and not any(e.endswith(suffix) for e in props.get("emails") or []):
                continue
            if query.company_id is not None and query.company_id not in self._current_employer_ids(key):
                continue
            if query.is_team is not None and bool(props.get("is_team") or False) != query.is_team:
                continue
            degree, strength, last = self._knows_metrics(key)
            rows.append(PersonRow(node=self._node(key), degree=degree, strength=strength, last_interaction=last))
        value = {
            PersonSort.NAME: lambda r: name_key(r.node),
            PersonSort.DEGREE: lambda r: r.degree,
            PersonSort.STRENGTH: lambda r: r.strength,
            PersonSort.LAST_INTERACTION: lambda r: r.last_interaction,
        }[query.sort]
        ordered = sort_rows(rows, value=value, descending=query.descending)
        return PersonPage(rows=ordered[query.offset : query.offset + query.limit], total=len(rows))

    def query_companies(self, *, query: CompanyQuery) -> CompanyPage:
        company, person = NodeLabel.COMPANY.value, NodeLabel.PERSON.value
        wanted = set(query.ids) if query.ids is not None else None
        name = query.name_contains.lower() if query.name_contains else None
        domain = query.domain.strip().lower() if query.domain else None
        rows: list[CompanyRow] = []
        for key, props in self._graph.nodes(data=True):
            if key[0] != company or (wanted is not None and key[1] not in wanted):
                continue
            if name is not None and name not in str(props.get("name") or "").lower():
                continue
            if domain is not None and props.get("domain") != domain:
                continue
            staff = {
                src
                for src, _, rel, edge in self._graph.in_edges(key, keys=True, data=True)
                if rel == RelType.WORKS_AT.value and src[0] == person and edge.get("valid_to") is None
            }
            last = None
            for member in staff:
                seen = self._knows_metrics(member)[2]
                if seen is not None and (last is None or seen > last):
                    last = seen
            rows.append(CompanyRow(node=self._node(key), people=len(staff), last_interaction=last))
        value = {
            CompanySort.NAME: lambda r: name_key(r.node),
            CompanySort.PEOPLE: lambda r: r.people,
            CompanySort.LAST_INTERACTION: lambda r: r.last_interaction,
        }[query.sort]
        ordered = sort_rows(rows, value=value, descending=query.descending)
        return CompanyPage(rows=ordered[query.offset : query.offset + query.limit], total=len(rows))

    def _communication_keys(self, key: NodeKey) -> set[NodeKey]:
        kinds = {r.value for r in PARTICIPATION_TYPES}
        return {other for other, _, _, _, _ in self._adjacent(key, kinds) if other[0] == NodeLabel.COMMUNICATION.value}

    def communications_of(
        self, *, person_id: str, before: tuple[datetime, str] | None = None, limit: int = 20
    ) -> CommunicationPage:
        key = (NodeLabel.PERSON.value, person_id)
        if key not in self._graph:
            return CommunicationPage(nodes=[], total=0)
        comms = self._communication_keys(key)
        rows = sorted(((self._graph.nodes[c]["timestamp"], c[1]) for c in comms), reverse=True)
        if before is not None:
            rows = [row for row in rows if row < before]
        label = NodeLabel.COMMUNICATION.value
        return CommunicationPage(nodes=[self._node((label, i)) for _, i in rows[:limit]], total=len(comms))

    def participants_of(self, *, comm_ids: Sequence[str]) -> dict[str, list[Participation]]:
        kinds = {r.value for r in PARTICIPATION_TYPES}
        result: dict[str, list[Participation]] = {}
        for comm_id in comm_ids:
            key = (NodeLabel.COMMUNICATION.value, comm_id)
            if key not in self._graph:
                result[comm_id] = []
                continue
            items = [
                Participation(person=self._node(other), role=role_of(rel, props.get("role")))
                for other, _, _, rel, props in self._adjacent(key, kinds)
                if other[0] == NodeLabel.PERSON.value
            ]
            result[comm_id] = sort_participations(items)
        return result

    def interactions_between(self, *, person_ids: Sequence[str]) -> list[Interaction]:
        counts: dict[NodeKey, int] = {}
        for person_id in set(person_ids):
            key = (NodeLabel.PERSON.value, person_id)
            if key in self._graph:
                for comm in self._communication_keys(key):
                    counts[comm] = counts.get(comm, 0) + 1
        shared = sorted((c for c, n in counts.items() if n >= 2), key=lambda c: c[1])
        return [self._interaction(c) for c in shared]

    def latest_communication(self) -> datetime | None:
        stamps = [
            props["timestamp"]
            for key, props in self._graph.nodes(data=True)
            if key[0] == NodeLabel.COMMUNICATION.value and props.get("timestamp") is not None
        ]
        return max(stamps) if stamps else None

    def text_search(self, *, index: TextIndex, terms: Sequence[str], limit: int = 20) -> list[SearchMatch]:
        terms = search_terms(" ".join(terms))  # the same normalisation as lucene_query
        if not terms:
            return []
        labels = {label.value for label in TEXT_INDEX_LABELS[index]}
        fields = TEXT_INDEX_FIELDS[index]
        matches = []
        for key, props in self._graph.nodes(data=True):
            if key[0] not in labels:
                continue
            score = text_match_score(props, fields=fields, terms=terms)
            if score > 0:
                node = Node(label=NodeLabel(key[0]), id=key[1], props=without_embedding(props))
                matches.append(SearchMatch(node=node, score=score))
        return rank_matches(matches, limit=limit)

    def vector_search(self, *, label: NodeLabel, vector: Sequence[float], limit: int = 20) -> list[SearchMatch]:
        if label not in VECTOR_LABELS:
            raise InvalidInput("label", f"{label.value} has no vector index")
        if not usable_vector(vector, dimensions=EMBEDDING_DIMENSIONS):
            return []
        matches = []
        for key, props in self._graph.nodes(data=True):
            embedding = props.get("embedding")
            if key[0] != label.value or not embedding or len(embedding) != len(vector):
                continue
            node = Node(label=label, id=key[1], props=without_embedding(props))
            matches.append(SearchMatch(node=node, score=cosine_score(embedding, vector)))
        return rank_matches(matches, limit=limit)

    def has_embeddings(self, *, label: NodeLabel) -> bool:
        return any(
            key[0] == label.value and len(props.get("embedding") or []) == EMBEDDING_DIMENSIONS
            for key, props in self._graph.nodes(data=True)
        )

    def set_node_props(self, *, label: NodeLabel, node_id: str, props: Mapping[str, PropValue]) -> bool:
        key = (label.value, node_id)
        if key not in self._graph:
            return False
        stored = self._graph.nodes[key]
        for name, value in props.items():
            check_property_name(name)
            if value is None:
                stored.pop(name, None)
            else:
                stored[name] = list(value) if isinstance(value, list) else value
        self._dirty = True
        return True

    def scrub_text(self, *, person_id: str, terms: Sequence[str], replacement: str = ERASED) -> ScrubReport:
        pattern = term_pattern(terms)
        if pattern is None:
            return ScrubReport()
        # The whole graph is in memory: every node and edge is looked at (a superset of Neo4j's candidates).
        nodes = edges = 0
        comm_ids: list[str] = []
        for key, props in self._graph.nodes(data=True):
            changed = scrub_props(props, pattern, replacement)
            if changed:
                props.update(changed)
                nodes += 1
                if key[0] == NodeLabel.COMMUNICATION.value:
                    comm_ids.append(key[1])
        for _, _, props in self._graph.edges(data=True):
            changed = scrub_props(props, pattern, replacement)
            if changed:
                props.update(changed)
                edges += 1
        if nodes or edges:
            self._dirty = True
        return ScrubReport(nodes=nodes, edges=edges, communication_ids=sorted(comm_ids))

    def erase_person(self, *, person_id: str, now: datetime) -> ErasureReport:
        key = (NodeLabel.PERSON.value, person_id)
        if key not in self._graph:
            return ErasureReport(found=False)
        props = self._graph.nodes[key]
        for name in PERSON_PERSONAL_PROPS:
            props.pop(name, None)
        props["erased"] = True
        props["erased_at"] = now
        identities = [
            src
            for src, _, rel in self._graph.in_edges(key, keys=True)
            if rel == RelType.IDENTIFIES.value and src[0] == NodeLabel.IDENTITY.value
        ]
        self._graph.remove_nodes_from(identities)
        kinds = {r.value for r in PARTICIPATION_TYPES}
        redacted = 0
        for comm in self._communication_keys(key):
            people = {other for other, _, _, _, _ in self._adjacent(comm, kinds) if other[0] == NodeLabel.PERSON.value}
            if len(people) > 2:
                continue
            comm_props = self._graph.nodes[comm]
            for name in COMMUNICATION_PRIVATE_PROPS:
                comm_props.pop(name, None)
            comm_props["redacted"] = True
            redacted += 1
        self._dirty = True
        return ErasureReport(found=True, identities_removed=len(set(identities)), communications_redacted=redacted)

    # -- scoring (see tellgraph.scoring) ---------------------------------------
    def interactions_of_pairs(self, *, pairs: Sequence[tuple[str, str]]) -> list[Interaction]:
        person = NodeLabel.PERSON.value
        comms_of: dict[str, set[NodeKey]] = {}

        def comms(person_id: str) -> set[NodeKey]:
            # One lookup per person however many pairs name them (a hub appears in every pair).
            if person_id not in comms_of:
                key = (person, person_id)
                comms_of[person_id] = self._communication_keys(key) if key in self._graph else set()
            return comms_of[person_id]

        found: set[NodeKey] = set()
        for a, b in pairs:
            small, large = sorted((comms(a), comms(b)), key=len)
            found.update(c for c in small if c in large)
        return [self._interaction(c) for c in sorted(found, key=lambda c: c[1])]

    def get_edges(self, *, rel_type: RelType, pairs: Sequence[tuple[str, str]]) -> list[StoredEdge]:
        person = NodeLabel.PERSON
        found: dict[tuple[str, str], StoredEdge] = {}
        for a, b in pairs:
            edge = self.get_edge(rel_type=rel_type, src_label=person, src_id=a, dst_label=person, dst_id=b)
            if edge is not None:
                found[(edge.src_id, edge.dst_id)] = edge
        return [found[k] for k in sorted(found)]

    def delete_edges(self, *, rel_type: RelType, pairs: Sequence[tuple[str, str]]) -> int:
        person, rel = NodeLabel.PERSON.value, rel_type.value
        removed = 0
        for a, b in pairs:
            ends = [((person, a), (person, b))]
            if rel_type in UNDIRECTED_TYPES:
                ends.append(((person, b), (person, a)))
            for src, dst in ends:
                if self._graph.has_edge(src, dst, key=rel):
                    self._graph.remove_edge(src, dst, key=rel)
                    removed += 1
        if removed:
            self._dirty = True
        return removed

    def iter_edge_props(self, *, rel_type: RelType, names: Sequence[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        rel = rel_type.value
        wanted = list(names)
        for src, dst, key, props in self._graph.edges(keys=True, data=True):
            if key == rel:
                yield src[1], dst[1], {name: props[name] for name in wanted if name in props}
