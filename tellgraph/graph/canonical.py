"""Store-independent helpers: property merging, canonical values and checksums.

Both stores use these so that they agree on what an upsert does and on what
"the same graph" means.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tellgraph.schema.model import Entity, PropValue

BOOKKEEPING_PROPS = frozenset(
    {"created_at", "updated_at", "ingested_at", "first_seen", "last_run_at", "last_summary", "scored_at"}
)
"""Properties that record when something was written, not what: left out of checksums."""


def merge_entity_props(
    entity_type: type[Entity], existing: Mapping[str, Any] | None, new: Mapping[str, PropValue]
) -> dict[str, Any]:
    """What an upsert of ``new`` onto ``existing`` leaves, following the entity's merge rules."""
    merged: dict[str, Any] = dict(existing or {})
    for name, value in new.items():
        if name in entity_type.LIST_FIELDS:
            current = list(merged.get(name) or [])
            for item in value or []:  # type: ignore[union-attr]
                if item not in current:
                    current.append(item)
            merged[name] = current
        elif name in entity_type.KEEP_FIRST:
            current_value = merged.get(name)
            if value is not None and (
                current_value is None
                or _is_upgrade(name, current_value, value, person=entity_type.LABEL.value == "Person")
            ):
                merged[name] = value
        elif value is not None:
            merged[name] = value
    # Neo4j never stores null properties; drop them here too so both stores hold the same thing.
    return {k: v for k, v in merged.items() if v is not None}


def _is_upgrade(name: str, current: Any, new: Any, *, person: bool = False) -> bool:
    """A display name that is only an address gives way to a real name; a person's "Last, First" to "First Last".

    Both rules make the kept name depend less on the order records arrive in: an ingest
    split between parallel workers, or resumed after a crash, keeps the same name.
    """
    return name == "name" and _name_rank(str(new), person=person) > _name_rank(str(current), person=person)


def _name_rank(value: str, *, person: bool) -> int:
    if "@" in value:
        return 0
    if person and "," in value:
        return 1
    return 2


def canonical_value(value: Any) -> Any:
    """A JSON-safe, store-independent form of a property value."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return "dt:" + aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    return value


def canonical_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """Properties in canonical form, without bookkeeping ones and empty lists."""
    return {
        key: canonical_value(value)
        for key, value in sorted(props.items())
        if key not in BOOKKEEPING_PROPS and value is not None and value != []
    }


def graph_checksum(
    nodes: Iterable[tuple[str, str, Mapping[str, Any]]], edges: Iterable[tuple[str, str, str, Mapping[str, Any]]]
) -> str:
    """SHA-256 over sorted canonical node and edge records."""
    lines = sorted(
        json.dumps(["n", label, node_id, canonical_props(props)], sort_keys=True, ensure_ascii=False)
        for label, node_id, props in nodes
    )
    lines += sorted(
        json.dumps(["e", rel, src, dst, canonical_props(props)], sort_keys=True, ensure_ascii=False)
        for rel, src, dst, props in edges
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
