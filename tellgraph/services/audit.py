"""Audit entries for changes made through the API and by agents (who, what, when; never personal data)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from tellgraph.graph.store import GraphStore
from tellgraph.schema.model import AuditEntry


def audit_entry(
    *, action: str, actor: str, subject_ids: Sequence[str], details: Mapping[str, object], now: datetime
) -> AuditEntry:
    """A new audit entry with a random id (two identical edits are two entries)."""
    return AuditEntry(
        id=f"a_{uuid.uuid4().hex[:20]}",
        action=action,
        actor=actor,
        at=now,
        subject_ids=list(subject_ids),
        details=json.dumps(dict(details), sort_keys=True, default=str),
    )


def record(store: GraphStore, *, entry: AuditEntry) -> AuditEntry:
    """Store an audit entry."""
    store.upsert_entities(entities=[entry])
    return entry


def record_many(store: GraphStore, *, entries: Sequence[AuditEntry]) -> None:
    """Store several audit entries in one write."""
    if entries:
        store.upsert_entities(entities=list(entries))
