"""Allow-lists for node labels, relationship types and property names.

Labels and relationship types cannot be Cypher parameters, so every one that is
interpolated into a query must pass through :func:`check_label` or
:func:`check_rel_type` first. User text never reaches a query any other way.
"""

from __future__ import annotations

import re
from enum import StrEnum

from tellgraph.errors import InvalidInput


class NodeLabel(StrEnum):
    """Every node label tellgraph writes."""

    PERSON = "Person"
    COMPANY = "Company"
    PROJECT = "Project"
    EVENT = "Event"
    COMMUNICATION = "Communication"
    GOAL = "Goal"
    TOPIC = "Topic"
    SOURCE = "Source"
    SIGNAL = "Signal"
    SUGGESTED_ACTION = "SuggestedAction"
    AUDIT_ENTRY = "AuditEntry"
    REVIEW_ITEM = "ReviewItem"
    IDENTITY = "Identity"
    SCHEMA_MIGRATION = "SchemaMigration"


class RelType(StrEnum):
    """Every relationship type tellgraph writes."""

    KNOWS = "KNOWS"
    INFERRED_KNOWS = "INFERRED_KNOWS"
    SENT = "SENT"
    TO = "TO"
    CC = "CC"
    BCC = "BCC"
    MENTIONS = "MENTIONS"
    ABOUT = "ABOUT"
    WORKS_AT = "WORKS_AT"
    WORKED_ON = "WORKED_ON"
    ATTENDED = "ATTENDED"
    ORGANIZED = "ORGANIZED"
    PARTICIPATED = "PARTICIPATED"
    TARGETS = "TARGETS"
    MEMBER_OF = "MEMBER_OF"
    OWNS = "OWNS"
    INTRODUCED = "INTRODUCED"
    CONCERNS = "CONCERNS"
    FROM_SOURCE = "FROM_SOURCE"
    IN_THREAD = "IN_THREAD"
    IDENTIFIES = "IDENTIFIES"


# Relationship types whose edges represent one unordered pair of people. They are
# stored once per pair, from the lower id to the higher id, and read undirected.
UNDIRECTED_TYPES: frozenset[RelType] = frozenset({RelType.KNOWS, RelType.INFERRED_KNOWS})

_PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_label(value: str) -> NodeLabel:
    """Return ``value`` as a :class:`NodeLabel` or raise :class:`InvalidInput`."""
    try:
        return NodeLabel(value)
    except ValueError:
        raise InvalidInput("label", f"{value!r} is not an allowed node label") from None


def check_rel_type(value: str) -> RelType:
    """Return ``value`` as a :class:`RelType` or raise :class:`InvalidInput`."""
    try:
        return RelType(value)
    except ValueError:
        raise InvalidInput("relationship type", f"{value!r} is not an allowed relationship type") from None


def check_property_name(value: str) -> str:
    """Property names may be interpolated (in ORDER BY, say): snake_case identifiers only."""
    if not _PROPERTY_NAME.fullmatch(value):
        raise InvalidInput("property", f"{value!r} is not an allowed property name")
    return value
