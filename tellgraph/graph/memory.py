"""``MemoryStore``: the embedded GraphStore on networkx, persisted to a JSON file.

Used when no Neo4j is available and in fast unit tests. Snapshots are written
atomically (temporary file, fsync, rename), so a crash or a full disk leaves the
previous snapshot intact.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx

from tellgraph.errors import StoreError, StoreUnavailable
from tellgraph.graph.canonical import graph_checksum, merge_entity_props
from tellgraph.graph.store import (
    GraphPath,
    Interaction,
    Neighbour,
    PathHop,
    SchemaReport,
    StoreCounts,
    check_path_args,
    path_sort_key,
)
from tellgraph.schema.labels import UNDIRECTED_TYPES, NodeLabel, RelType, check_property_name
from tellgraph.schema.migrations import LATEST_VERSION
from tellgraph.schema.model import Edge, Entity, Node, StoredEdge, utcnow

logger = logging.getLogger(__name__)

NodeKey = tuple[str, str]
_RECIPIENT_TYPES = frozenset({RelType.TO.value, RelType.CC.value, RelType.BCC.value})
FORMAT_VERSION = 1


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
            raise StoreError("save snapshot", f"{path.parent}: {exc}") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError("save snapshot", f"{path}: {exc}; the previous snapshot is intact") from exc
        logger.debug("saved %s nodes to %s", self._graph.number_of_nodes(), path)

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
                    props[name] = value
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
    ) -> list[GraphPath]:
        check_path_args(max_hops=max_hops, k=k)
        person = NodeLabel.PERSON.value
        source_set, target_set = set(sources), set(targets)
        wanted = {rel_type.value}
        paths: list[GraphPath] = []

        def walk(node: NodeKey, trail: list[NodeKey], hops: list[PathHop], score: float) -> None:
            for other, _src, _dst, _rel, props in self._adjacent(node, wanted):
                strength = float(props.get("strength") or 0.0)
                if strength < min_strength or other in trail:
                    continue
                hop = PathHop(
                    src_id=node[1],
                    dst_id=other[1],
                    strength=strength,
                    last_interaction=props.get("last_interaction"),
                    props=dict(props),
                )
                if other[1] in target_set:
                    ids = [n[1] for n in trail] + [other[1]]
                    paths.append(GraphPath(node_ids=ids, hops=[*hops, hop], score=score * strength))
                    continue
                if other[1] in source_set or len(hops) + 1 >= max_hops:
                    continue
                walk(other, [*trail, other], [*hops, hop], score * strength)

        for source in sorted(source_set):
            start = (person, source)
            if start in self._graph and source not in target_set:
                walk(start, [start], [], 1.0)
        paths.sort(key=path_sort_key)
        return paths[:k]

    def iter_interactions(self) -> Iterator[Interaction]:
        comm_label, person = NodeLabel.COMMUNICATION.value, NodeLabel.PERSON.value
        ids = sorted(node_id for label, node_id in self._graph.nodes if label == comm_label)
        for comm_id in ids:
            key = (comm_label, comm_id)
            props = self._graph.nodes[key]
            senders, participants = [], []
            for src, _, rel in self._graph.in_edges(key, keys=True):
                if src[0] != person:
                    continue
                if rel == RelType.SENT.value:
                    senders.append(src[1])
                elif rel == RelType.PARTICIPATED.value:
                    participants.append(src[1])
            recipients = [
                (dst[1], rel)
                for _, dst, rel in self._graph.out_edges(key, keys=True)
                if dst[0] == person and rel in _RECIPIENT_TYPES
            ]
            yield Interaction(
                id=comm_id,
                timestamp=props["timestamp"],
                channel=props.get("channel", ""),
                thread_key=props.get("thread_key"),
                sentiment=props.get("sentiment"),
                senders=sorted(senders),
                recipients=sorted(recipients),
                participants=sorted(participants),
            )

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
