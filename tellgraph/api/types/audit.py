"""Audit entries: who changed what, when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Self, cast

import strawberry
from strawberry.scalars import JSON

from tellgraph.api.types.node import Node
from tellgraph.schema.model import AuditEntry as AuditEntryModel
from tellgraph.schema.model import Node as NodeModel


@strawberry.type(description="One audited change: a merge, a split, an edit, an erasure.")
class AuditEntry(Node):
    id: strawberry.ID
    action: str
    actor: str
    at: datetime | None
    subject_ids: list[strawberry.ID]
    details: JSON | None
    undone_at: datetime | None

    @classmethod
    def from_domain(cls, entry: AuditEntryModel) -> Self:
        details: object = None
        if entry.details:
            try:
                details = json.loads(entry.details)
            except ValueError:
                details = entry.details
        return cls(
            id=strawberry.ID(entry.id),
            action=entry.action,
            actor=entry.actor,
            at=entry.at,
            subject_ids=[strawberry.ID(i) for i in entry.subject_ids],
            details=cast("JSON", details),
            undone_at=entry.undone_at,
        )

    @classmethod
    def from_node(cls, node: NodeModel) -> Self:
        entry = node.as_entity()
        assert isinstance(entry, AuditEntryModel)
        return cls.from_domain(entry)
