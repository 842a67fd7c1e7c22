"""Merge and split people explicitly, reversibly and with an audit trail; queue uncertain pairs.

A merge moves every edge of the merged person onto the kept one (communications,
employers, identities, relationships, in both directions), unions the contact lists
(the merged name becomes an alias), deletes the merged node and records an
:class:`AuditEntry` whose ``undo`` holds a full snapshot of what the merge removed or
changed. :func:`split_person` replays that snapshot backwards.

Edge collisions: when both people already had the same edge (both were addressed on
one mail, both know a third person), the kept person's edge stays exactly as it was
and the merged person's copy lives on only in the snapshot. ``KNOWS`` strengths are
therefore stale after a merge until ``tellgraph score`` rebuilds them from the
communications, which the merge did move; :class:`ResolutionReport` says when a
rescore is due.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.resolution.matcher import MatchDecision, Matcher, PersonRecord, conflicting
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import AuditEntry, Edge, Node, Person, ReviewItem, stable_id, utcnow

if TYPE_CHECKING:
    from tellgraph.graph.store import GraphStore, Neighbour

logger = logging.getLogger(__name__)

UNDO_FORMAT = 1
REVIEW_KIND = "same-person"
REJECTED_STATUSES = frozenset({"rejected", "distinct", "dismissed"})
"""Review statuses meaning "not the same person": such a pair is never merged automatically."""
_ALL_TYPES: list[RelType] = list(RelType)
_PERSON_FIELDS = Person.field_names()
_LIST_FIELDS = [name for name in _PERSON_FIELDS if name in Person.LIST_FIELDS]
# Scalars a merge fills in on the kept person when it has none of its own.
_FILL_FIELDS = ("title", "company_domain", "linkedin_url", "is_team")


# --- JSON snapshot helpers ------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _dumps(data: Any) -> str:
    return json.dumps(_encode(data), ensure_ascii=False, sort_keys=True)


def _edge_record(edge: Edge, props: dict[str, Any] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": edge.type.value,
        "src_label": edge.src_label.value,
        "src_id": edge.src_id,
        "dst_label": edge.dst_label.value,
        "dst_id": edge.dst_id,
    }
    if props is not None:
        record["props"] = props
    return record


def _edge_from_record(record: dict[str, Any], *, with_props: bool) -> Edge:
    props = dict(record.get("props") or {}) if with_props else {}
    return Edge(
        type=RelType(record["type"]),
        src_label=NodeLabel(record["src_label"]),
        src_id=record["src_id"],
        dst_label=NodeLabel(record["dst_label"]),
        dst_id=record["dst_id"],
        props=props,
    )


# --- store helpers ------------------------------------------------------------------------------------


def _person(store: GraphStore, person_id: str) -> Node:
    nodes = store.get_nodes(label=NodeLabel.PERSON, ids=[person_id])
    if not nodes:
        raise NotFound("person", person_id)
    return nodes[0]


def _edges_of(store: GraphStore, person_id: str) -> list[Edge]:
    """Every edge touching a person, with its stored properties, each once."""
    degree = store.degree(label=NodeLabel.PERSON, node_id=person_id, rel_types=_ALL_TYPES)
    if degree == 0:
        return []
    found: dict[tuple[str, str, str], Edge] = {}
    neighbours: list[Neighbour] = store.neighbours(
        label=NodeLabel.PERSON, node_id=person_id, rel_types=_ALL_TYPES, limit=degree + 1
    )
    for neighbour in neighbours:
        edge = neighbour.edge
        other = neighbour.node.label
        src_label = NodeLabel.PERSON if edge.src_id == person_id else other
        dst_label = NodeLabel.PERSON if edge.dst_id == person_id else other
        if edge.src_id == edge.dst_id == person_id:
            src_label = dst_label = NodeLabel.PERSON
        record = Edge.model_construct(
            type=edge.type,
            src_label=src_label,
            src_id=edge.src_id,
            dst_label=dst_label,
            dst_id=edge.dst_id,
            props=dict(edge.props),
            provenance=[],
        )
        found.setdefault((edge.type.value, edge.src_id, edge.dst_id), record)
    return list(found.values())


def _repoint(edge: Edge, *, old: str, new: str, props: dict[str, Any]) -> Edge:
    """The same edge with ``old`` replaced by ``new`` at either end (undirected types re-normalised)."""
    return Edge(
        type=edge.type,
        src_label=edge.src_label,
        src_id=new if edge.src_id == old else edge.src_id,
        dst_label=edge.dst_label,
        dst_id=new if edge.dst_id == old else edge.dst_id,
        props=props,
    )


def _set_props_exact(store: GraphStore, *, person_id: str, current: dict[str, Any], wanted: dict[str, Any]) -> None:
    """Make a person's stored properties equal ``wanted`` (lists in order), writing only what differs.

    Upserts only grow lists and fill gaps, so this overwrites with ``set_node_props``;
    properties outside the model (``erased``) are kept like any other.
    """
    changed: dict[str, Any] = {}
    for name in sorted(set(current) | set(wanted)):
        value = wanted.get(name)
        value = None if value == [] else value
        if current.get(name) != value and not (current.get(name) == [] and value is None):
            changed[name] = value
    if changed:
        store.set_node_props(label=NodeLabel.PERSON, node_id=person_id, props=changed)


def _is_address(name: Any) -> bool:
    return not isinstance(name, str) or not name.strip() or "@" in name


# --- merge ---------------------------------------------------------------------------------------------


def merge_people(
    store: GraphStore,
    *,
    keep_id: str,
    merge_id: str,
    actor: str,
    evidence: Sequence[str] = (),
    now: datetime | None = None,
) -> AuditEntry:
    """Merge person ``merge_id`` into ``keep_id`` and audit it; :func:`split_person` undoes it.

    Args:
        store: the graph.
        keep_id: the person that stays.
        merge_id: the person that is folded in and deleted.
        actor: who decided (a user name, ``"resolver"``).
        evidence: why, as short sentences (kept in the audit entry).
        now: the time of the merge (defaults to now).

    Returns:
        The stored ``AuditEntry`` (action ``merge``).

    Raises:
        InvalidInput: both ids are the same.
        NotFound: either person does not exist.
    """
    if keep_id == merge_id:
        raise InvalidInput("merge", "a person cannot be merged into itself")
    at = now or utcnow()
    keep = _person(store, keep_id)
    merged = _person(store, merge_id)
    merged_edges = _edges_of(store, merge_id)

    moved: list[Edge] = []
    dropped: list[dict[str, Any]] = []
    for edge in merged_edges:
        if {edge.src_id, edge.dst_id} <= {keep_id, merge_id}:
            dropped.append(_edge_record(edge))  # between the two, or a loop: nothing to move
            continue
        props = dict(edge.props)
        target = _repoint(edge, old=merge_id, new=keep_id, props=props)
        existing = store.get_edge(
            rel_type=target.type,
            src_label=target.src_label,
            src_id=target.src_id,
            dst_label=target.dst_label,
            dst_id=target.dst_id,
        )
        if existing is None:
            moved.append(target)

    keep_props = dict(keep.props)
    wanted = _merged_props(keep_props, merged.props)
    added = {
        name: [item for item in wanted.get(name) or [] if item not in (keep_props.get(name) or [])]
        for name in _LIST_FIELDS
    }
    filled = {name: wanted[name] for name in (*_FILL_FIELDS, "name") if keep_props.get(name) != wanted.get(name)}
    undo = {
        "format": UNDO_FORMAT,
        "keep_id": keep_id,
        "merged": {"id": merge_id, "props": dict(merged.props)},
        "edges": [_edge_record(edge, dict(edge.props)) for edge in merged_edges],
        "moved": [_edge_record(edge) for edge in moved],
        "keep_added": {name: items for name, items in added.items() if items},
        "keep_filled": {name: {"before": keep_props.get(name), "after": value} for name, value in filled.items()},
    }
    details = {
        "keep_id": keep_id,
        "merge_id": merge_id,
        "evidence": list(evidence),
        "moved_edges": len(moved),
        "kept_existing_edges": len(merged_edges) - len(moved) - len(dropped),
        "dropped_edges": len(dropped),
    }
    audit = AuditEntry(
        id=stable_id("audit", "merge", keep_id, merge_id, at.isoformat()),
        action="merge",
        actor=actor,
        at=at,
        subject_ids=[keep_id, merge_id],
        details=_dumps(details),
        undo=_dumps(undo),
    )
    # Edges onto the kept person, its new fields and the audit entry go in one batch; the
    # merged node (and with it its old edges) is deleted last, so a crash in between
    # leaves a duplicate, never a loss.
    _set_props_exact(store, person_id=keep_id, current=keep_props, wanted={**keep_props, **wanted})
    store.write_batch(entities=[audit], edges=moved, now=at)
    store.delete_nodes(label=NodeLabel.PERSON, ids=[merge_id])
    logger.info("merged %s into %s (%s edges moved) by %s", merge_id, keep_id, len(moved), actor)
    return audit


def _merged_props(keep: dict[str, Any], merged: dict[str, Any]) -> dict[str, Any]:
    """The kept person's fields after the merge: lists unioned, the merged name an alias, gaps filled."""
    result = {name: keep.get(name) for name in _PERSON_FIELDS}
    for name in _LIST_FIELDS:
        items = list(keep.get(name) or [])
        extra = list(merged.get(name) or [])
        if name == "aliases":
            merged_name = merged.get("name")
            if isinstance(merged_name, str) and not _is_address(merged_name):
                extra.insert(0, merged_name)
        for item in extra:
            if item not in items and not (name == "aliases" and item == result.get("name")):
                items.append(item)
        result[name] = items
    for name in _FILL_FIELDS:
        if keep.get(name) is None and merged.get(name) is not None:
            result[name] = merged[name]
    if _is_address(keep.get("name")) and not _is_address(merged.get("name")):
        # An address standing in for a name gives way to a real name; it is kept as an alias.
        result["name"] = merged["name"]
        aliases = [a for a in result.get("aliases") or [] if a != merged["name"]]
        if isinstance(keep.get("name"), str) and keep["name"] not in aliases:
            aliases.append(keep["name"])
        result["aliases"] = aliases
    return result


# --- split ---------------------------------------------------------------------------------------------


def split_person(store: GraphStore, *, audit_id: str, actor: str, now: datetime | None = None) -> AuditEntry:
    """Undo the merge recorded in ``audit_id``: recreate the person, give back its identities and edges.

    Edges that reached the kept person through the merge are removed from it; the
    kept person's fields lose what the merge added. Changes made to the kept person
    after the merge (new communications, new addresses) stay with it.

    Returns:
        The ``AuditEntry`` of the split (action ``split``); the merge entry gets ``undone_at``.

    Raises:
        NotFound: no such audit entry, or the kept person no longer exists (split a later merge first).
        InvalidInput: the entry is not a merge, is already undone, or its person exists again.
    """
    at = now or utcnow()
    entries = store.get_nodes(label=NodeLabel.AUDIT_ENTRY, ids=[audit_id])
    if not entries:
        raise NotFound("audit entry", audit_id)
    entry = AuditEntry.from_props(entries[0].id, entries[0].props)
    if entry.action != "merge" or not entry.undo:
        raise InvalidInput("audit entry", f"{audit_id} is not a merge")
    if entry.undone_at is not None:
        raise InvalidInput("audit entry", f"{audit_id} was already undone at {entry.undone_at.isoformat()}")
    undo = _decode(json.loads(entry.undo))
    if undo.get("format") != UNDO_FORMAT:
        raise InvalidInput("audit entry", f"unknown undo format {undo.get('format')!r}")
    keep_id: str = undo["keep_id"]
    merged_id: str = undo["merged"]["id"]
    try:
        keep = _person(store, keep_id)
    except NotFound:
        raise NotFound("person", f"{keep_id} (merged away later; split that merge first)") from None
    if store.existing_ids(label=NodeLabel.PERSON, ids=[merged_id]):
        raise InvalidInput("split", f"person {merged_id} exists again")

    moved_keys = {_edge_from_record(record, with_props=False).key for record in undo["moved"]}
    keep_props = dict(keep.props)
    restored_keep = {**keep_props, **_unmerged_props(keep_props, undo)}
    keep_edges = [_as_plain(edge) for edge in _edges_of(store, keep_id) if edge.key not in moved_keys]
    merged_edges = [_edge_from_record(record, with_props=True) for record in undo["edges"]]
    split = AuditEntry(
        id=stable_id("audit", "split", audit_id, at.isoformat()),
        action="split",
        actor=actor,
        at=at,
        subject_ids=[keep_id, merged_id],
        details=_dumps({"undoes": audit_id, "restored_edges": len(merged_edges), "removed_edges": len(moved_keys)}),
        # The kept person as it was before the split: the rebuild below deletes and recreates it.
        undo=_dumps(
            {
                "format": UNDO_FORMAT,
                "person": {"id": keep_id, "props": keep_props},
                "edges": [_edge_record(edge, dict(edge.props)) for edge in keep_edges],
            }
        ),
    )
    store.upsert_entities(entities=[split])
    # The protocol can delete edges only between people, and the moved edges also join
    # communications, identities and companies, so the kept person is rebuilt without
    # them. With labelled edge deletes this becomes one delete_edges call per edge kind.
    store.delete_nodes(label=NodeLabel.PERSON, ids=[keep_id])
    store.write_batch(
        entities=[Person.model_construct(id=keep_id), Person.model_construct(id=merged_id)],
        edges=keep_edges + merged_edges,
        now=at,
    )
    _set_props_exact(store, person_id=keep_id, current={}, wanted=restored_keep)
    _set_props_exact(store, person_id=merged_id, current={}, wanted=dict(undo["merged"]["props"]))

    store.upsert_entities(entities=[entry.model_copy(update={"undone_at": at})])
    logger.info("split %s from %s (undoing %s) by %s", merged_id, keep_id, audit_id, actor)
    return split


def _as_plain(edge: Edge) -> Edge:
    """A validated copy of an edge read back from the store, its properties written as they are."""
    return Edge(
        type=edge.type,
        src_label=edge.src_label,
        src_id=edge.src_id,
        dst_label=edge.dst_label,
        dst_id=edge.dst_id,
        props=dict(edge.props),
    )


def _unmerged_props(current: dict[str, Any], undo: dict[str, Any]) -> dict[str, Any]:
    """The kept person's fields with what the merge added taken out again."""
    result = {name: current.get(name) for name in _PERSON_FIELDS}
    for name, items in (undo.get("keep_added") or {}).items():
        result[name] = [item for item in result.get(name) or [] if item not in items]
    for name, change in (undo.get("keep_filled") or {}).items():
        if result.get(name) == change.get("after"):
            result[name] = change.get("before")
    if undo.get("keep_filled", {}).get("name"):
        # The merge swapped an address-name for a real one and kept the address as an alias.
        before = undo["keep_filled"]["name"].get("before")
        result["aliases"] = [a for a in result.get("aliases") or [] if a != before]
    return result


# --- review queue ---------------------------------------------------------------------------------------


def review_id(a: str, b: str) -> str:
    """The id of the review item for a pair (order does not matter)."""
    first, second = sorted((a, b))
    return stable_id("review", first, second)


def queue_review(store: GraphStore, *, decisions: Iterable[MatchDecision], now: datetime | None = None) -> int:
    """Store a ``ReviewItem`` per uncertain pair; pairs already queued (open or decided) are left alone.

    Returns:
        How many new items were written.
    """
    at = now or utcnow()
    wanted: dict[str, MatchDecision] = {}
    for decision in decisions:
        if decision.decision == "review" and decision.a != decision.b:
            wanted.setdefault(review_id(decision.a, decision.b), decision)
    if not wanted:
        return 0
    existing = store.existing_ids(label=NodeLabel.REVIEW_ITEM, ids=list(wanted))
    items = [
        ReviewItem(
            id=item_id,
            kind=REVIEW_KIND,
            subject_ids=sorted((decision.a, decision.b)),
            score=decision.score,
            evidence=json.dumps(decision.evidence, ensure_ascii=False),
            status="open",
            created=at,
        )
        for item_id, decision in sorted(wanted.items())
        if item_id not in existing
    ]
    if items:
        store.upsert_entities(entities=items)
    return len(items)


# --- whole-store resolution -----------------------------------------------------------------------------


class ResolutionReport(BaseModel):
    """What :func:`resolve_store` did."""

    people: int
    candidate_pairs: int
    merges: int
    audit_ids: list[str] = Field(default_factory=list)
    reviews_queued: int = 0
    reviews_pending: int = 0
    blocked_merges: int = 0
    skipped_blocks: int = 0
    rescore_needed: bool = False
    seconds: float = 0.0


def _all_people(store: GraphStore, page: int = 1000) -> list[Node]:
    people: list[Node] = []
    after: str | None = None
    while True:
        nodes = store.list_nodes(label=NodeLabel.PERSON, after=after, limit=page)
        people.extend(nodes)
        if len(nodes) < page:
            return people
        after = nodes[-1].id


class _Clusters:
    """Union-find over person ids that refuses to join clusters holding a "distinct" pair."""

    def __init__(self, distinct: set[tuple[str, str]]) -> None:
        self._parent: dict[str, str] = {}
        self._members: dict[str, set[str]] = defaultdict(set)
        self._distinct = distinct

    def find(self, node: str) -> str:
        parent = self._parent.setdefault(node, node)
        if parent != node:
            parent = self._parent[node] = self.find(parent)
        return parent

    def members(self, node: str) -> set[str]:
        root = self.find(node)
        return self._members[root] or {root}

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        left, right = self.members(ra), self.members(rb)
        if any((min(x, y), max(x, y)) in self._distinct for x in left for y in right):
            return False
        self._parent[rb] = ra
        self._members[ra] = left | right
        self._members.pop(rb, None)
        return True


def resolve_store(
    store: GraphStore,
    *,
    actor: str = "resolver",
    matcher: Matcher | None = None,
    now: datetime | None = None,
) -> ResolutionReport:
    """Match every person in the store, merge the certain pairs and queue the uncertain ones.

    Merges chain (A=B and B=C merge all three) unless two members were judged
    distinct, in which case the link goes to review instead. The person kept in each
    group is the one with a real name and the most edges (ties: the lowest id).

    Args:
        store: the graph to resolve.
        actor: recorded on every audit entry.
        matcher: the matcher (defaults to :class:`Matcher` with its default thresholds).
        now: the time recorded on audit entries and review items.
    """
    started = time.perf_counter()
    at = now or utcnow()
    matcher = matcher or Matcher()
    nodes = _all_people(store)
    by_id = {node.id: node for node in nodes}
    run = matcher.run([PersonRecord.from_node(node) for node in nodes], include_distinct=True)
    # Pairs that must never end up in one group: the matcher found conflicting names or
    # profiles, or a person already answered a review with "not the same".
    distinct = {(d.a, d.b) for d in run.decisions if conflicting(d)}
    merges = [d for d in run.decisions if d.decision == "merge"]
    answered = store.get_nodes(label=NodeLabel.REVIEW_ITEM, ids=[review_id(d.a, d.b) for d in merges])
    for item in answered:
        subjects = sorted(item.props.get("subject_ids") or [])
        if item.props.get("status") in REJECTED_STATUSES and len(subjects) == 2:
            distinct.add((subjects[0], subjects[1]))
    clusters = _Clusters(distinct)
    evidence: dict[str, list[str]] = defaultdict(list)
    blocked: list[MatchDecision] = []
    for decision in run.decisions:
        if decision.decision != "merge":
            continue
        if clusters.union(decision.a, decision.b):
            evidence[decision.a].extend(decision.evidence)
            evidence[decision.b].extend(decision.evidence)
        else:
            blocked.append(
                MatchDecision(
                    decision.a,
                    decision.b,
                    decision.score,
                    "review",
                    [*decision.evidence, "merging would join people judged distinct"],
                )
            )

    groups: dict[str, set[str]] = defaultdict(set)
    for decision in run.decisions:
        if decision.decision == "merge":
            for person_id in (decision.a, decision.b):
                groups[clusters.find(person_id)].add(person_id)

    keep_of: dict[str, str] = {}
    audit_ids: list[str] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        keep_id = min(members, key=lambda pid: _keep_rank(store, by_id[pid]))
        for member in sorted(members - {keep_id}):
            audit = merge_people(
                store,
                keep_id=keep_id,
                merge_id=member,
                actor=actor,
                evidence=list(dict.fromkeys(evidence[member]))[:12],
                now=at,
            )
            audit_ids.append(audit.id)
            keep_of[member] = keep_id

    reviews: list[MatchDecision] = []
    for decision in [*run.decisions, *blocked]:
        if decision.decision != "review":
            continue
        a, b = keep_of.get(decision.a, decision.a), keep_of.get(decision.b, decision.b)
        if a != b:
            first, second = sorted((a, b))
            reviews.append(MatchDecision(first, second, decision.score, "review", decision.evidence))
    queued = queue_review(store, decisions=reviews, now=at)
    store.flush()
    return ResolutionReport(
        people=len(nodes),
        candidate_pairs=run.candidate_pairs,
        merges=len(audit_ids),
        audit_ids=audit_ids,
        reviews_queued=queued,
        reviews_pending=len({review_id(d.a, d.b) for d in reviews}),
        blocked_merges=len(blocked),
        skipped_blocks=run.skipped_blocks,
        rescore_needed=bool(audit_ids),
        seconds=round(time.perf_counter() - started, 3),
    )


def _keep_rank(store: GraphStore, node: Node) -> tuple[int, int, int, str]:
    """Sort key of the person to keep: a real name, then most edges, then most identities, then lowest id."""
    props = node.props
    degree = store.degree(label=NodeLabel.PERSON, node_id=node.id, rel_types=_ALL_TYPES)
    identities = len(props.get("emails") or []) + len(props.get("handles") or [])
    return (1 if _is_address(props.get("name")) else 0, -degree, -identities, node.id)


__all__ = [
    "REVIEW_KIND",
    "ResolutionReport",
    "merge_people",
    "queue_review",
    "resolve_store",
    "review_id",
    "split_person",
]
