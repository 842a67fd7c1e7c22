"""The domain model: entities, edges and activities, free of any I/O.

Stores take and return these models. Every entity maps to one Neo4j label and
has a stable string ``id``; an entity class also declares how concurrent writes
combine (``LIST_FIELDS`` are unioned, ``KEEP_FIRST`` fields are set only while
missing, every other field is overwritten when the new value is not ``None``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tellgraph.errors import InvalidInput
from tellgraph.schema.labels import UNDIRECTED_TYPES, NodeLabel, RelType, check_property_name

PropValue = str | int | float | bool | datetime | list[str] | list[float] | list[int] | None
"""What a node or edge property may hold: Neo4j properties are scalars or homogeneous lists."""

MAX_NAME_LENGTH = 300
MAX_TEXT_LENGTH = 20_000


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def stable_id(prefix: str, *parts: str) -> str:
    """A short deterministic id: the same parts always give the same id.

    Ids are opaque (hashes) so that erasing a person leaves no personal data in ids.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{prefix}_{digest}"


def clean_text(value: str, *, limit: int) -> str:
    """Strip control characters (keep newlines and tabs) and cap the length."""
    cleaned = "".join(ch for ch in value if ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127))
    return cleaned[:limit]


class Entity(BaseModel):
    """Base of every node model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    LABEL: ClassVar[NodeLabel]
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset()
    KEEP_FIRST: ClassVar[frozenset[str]] = frozenset()

    id: str = Field(min_length=1, max_length=200)

    def to_props(self) -> dict[str, PropValue]:
        """The properties written to the store (everything but ``id``)."""
        data = self.model_dump(exclude={"id"})
        return {key: _store_value(value) for key, value in data.items()}

    @classmethod
    def from_props(cls, node_id: str, props: Mapping[str, Any]) -> Self:
        """Build the model from stored properties, ignoring bookkeeping ones."""
        known = {name: props[name] for name in cls.model_fields if name in props and name != "id"}
        return cls(id=node_id, **known)

    @classmethod
    def field_names(cls) -> list[str]:
        """The stored property names, in declaration order."""
        return [name for name in cls.model_fields if name != "id"]


def _store_value(value: Any) -> PropValue:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, tuple):
        return list(value)
    return value  # type: ignore[no-any-return]


class Person(Entity):
    """A person; identity keys (emails, handles) live on :class:`Identity` nodes too."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.PERSON
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset({"emails", "handles", "aliases", "phones", "sources"})
    KEEP_FIRST: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    emails: list[str] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    title: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    company_domain: str | None = None
    linkedin_url: str | None = None
    sources: list[str] = Field(default_factory=list)
    is_team: bool | None = None
    embedding: list[float] | None = None

    @field_validator("emails")
    @classmethod
    def _lower_emails(cls, value: list[str]) -> list[str]:
        return sorted({email.strip().lower() for email in value if email.strip()})

    @field_validator("name", "title")
    @classmethod
    def _clean_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = " ".join(clean_text(value, limit=MAX_NAME_LENGTH).split())
        return cleaned or None


class Company(Entity):
    """An organisation, keyed by its web/email domain where one is known."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.COMPANY
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset({"aliases", "sources"})
    KEEP_FIRST: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    domain: str | None = None
    aliases: list[str] = Field(default_factory=list)
    industry: str | None = None
    sources: list[str] = Field(default_factory=list)
    fiscal_year_start_month: int | None = Field(default=None, ge=1, le=12)
    embedding: list[float] | None = None

    @field_validator("domain")
    @classmethod
    def _lower_domain(cls, value: str | None) -> str | None:
        return value.strip().lower() if value else None


class Project(Entity):
    """A project or deal, optionally with deal fields."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.PROJECT
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset({"aliases", "sources"})
    KEEP_FIRST: ClassVar[frozenset[str]] = frozenset({"name"})

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    description: str | None = None
    aliases: list[str] = Field(default_factory=list)
    stage: str | None = None
    value: float | None = None
    currency: str | None = None
    outcome: str | None = None
    started_at: datetime | None = None
    closed_at: datetime | None = None
    sources: list[str] = Field(default_factory=list)
    embedding: list[float] | None = None


class Topic(Entity):
    """A subject that communications are about."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.TOPIC
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset({"sources"})

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    sources: list[str] = Field(default_factory=list)
    embedding: list[float] | None = None


class Event(Entity):
    """A meeting, conference or other gathering."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.EVENT
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset({"sources"})

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    description: str | None = None
    sources: list[str] = Field(default_factory=list)


class Goal(Entity):
    """Something the team wants to win, with a deadline and an owner."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.GOAL

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    description: str | None = None
    deadline: datetime | None = None
    owner_id: str | None = None
    status: str = "active"
    embedding: list[float] | None = None


class Channel(StrEnum):
    """How a communication happened."""

    EMAIL = "email"
    CHAT = "chat"
    MEETING = "meeting"
    CALL = "call"
    SOCIAL = "social"
    CRM = "crm"
    EVENT = "event"


class Communication(Entity):
    """One distinct communication (an email, a chat message, a meeting, a call).

    ``id`` is the content identity, so the same email filed in three folders is one node.
    """

    LABEL: ClassVar[NodeLabel] = NodeLabel.COMMUNICATION
    LIST_FIELDS: ClassVar[frozenset[str]] = frozenset({"source_keys", "attachments"})
    KEEP_FIRST: ClassVar[frozenset[str]] = frozenset({"ingested_at"})

    channel: Channel
    source: str
    source_keys: list[str] = Field(default_factory=list)
    timestamp: datetime
    subject: str | None = None
    thread_key: str | None = None
    preview: str | None = None
    body_encrypted: str | None = None
    body_chars: int | None = None
    raw_hash: str | None = None
    participant_count: int = 0
    attachments: list[str] = Field(default_factory=list)
    sentiment: float | None = Field(default=None, ge=-1.0, le=1.0)
    action_items: list[str] = Field(default_factory=list)
    language: str | None = None
    nlp_truncated: bool | None = None
    ingested_at: datetime | None = None
    embedding: list[float] | None = None


class AuditEntry(Entity):
    """One audited change (a merge, a split, an erasure, an approved action): who, what, evidence, undo data.

    ``details`` and ``undo`` are JSON strings: Neo4j properties cannot hold maps.
    """

    LABEL: ClassVar[NodeLabel] = NodeLabel.AUDIT_ENTRY

    action: str
    actor: str
    at: datetime
    subject_ids: list[str] = Field(default_factory=list)
    details: str | None = None
    undo: str | None = None
    undone_at: datetime | None = None


class ReviewItem(Entity):
    """A decision a person must take, such as whether two people are the same."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.REVIEW_ITEM

    kind: str
    subject_ids: list[str] = Field(default_factory=list)
    score: float | None = None
    evidence: str | None = None
    status: str = "open"
    created: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


class Identity(Entity):
    """An identity key (``email:...``, ``slack:...``, ``linkedin:...``) that points at one person."""

    LABEL: ClassVar[NodeLabel] = NodeLabel.IDENTITY

    kind: str
    value: str


class Source(Entity):
    """A source tellgraph reads (a maildir, a Slack workspace), with its resume cursors.

    ``cursors`` holds ``stream<TAB>cursor`` strings: Neo4j properties cannot be maps.
    """

    LABEL: ClassVar[NodeLabel] = NodeLabel.SOURCE

    kind: str
    location: str
    cursors: list[str] = Field(default_factory=list)
    last_run_at: datetime | None = None
    last_summary: str | None = None

    def cursor_map(self) -> dict[str, str]:
        """The cursors as a ``stream -> cursor`` mapping."""
        pairs = (item.split("\t", 1) for item in self.cursors if "\t" in item)
        return {stream: cursor for stream, cursor in pairs}

    @staticmethod
    def encode_cursors(cursors: Mapping[str, str]) -> list[str]:
        """The inverse of :meth:`cursor_map`, sorted for stable storage."""
        return [f"{stream}\t{cursor}" for stream, cursor in sorted(cursors.items())]


ENTITY_TYPES: dict[NodeLabel, type[Entity]] = {
    cls.LABEL: cls
    for cls in (Person, Company, Project, Topic, Event, Goal, Communication, Identity, Source, AuditEntry, ReviewItem)
}


def identity_key(kind: str, value: str) -> str:
    """The canonical identity key: kind and normalised value (emails are case-insensitive)."""
    normalised = value.strip().lower() if kind in {"email", "domain", "linkedin"} else value.strip()
    return f"{kind}:{normalised}"


def person_id_for(key: str) -> str:
    """The id a person gets when it is first created from identity ``key``."""
    return stable_id("p", key)


def company_id_for(domain_or_name: str) -> str:
    """The id of the company with that domain (or, without a domain, that normalised name)."""
    return stable_id("c", domain_or_name.strip().lower())


class Edge(BaseModel):
    """A relationship between two nodes with flat, store-ready properties.

    Edges are unique per (type, source, target). Types in ``UNDIRECTED_TYPES`` are
    normalised so that the lower id is the source: one edge per unordered pair.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: RelType
    src_label: NodeLabel
    src_id: str
    dst_label: NodeLabel
    dst_id: str
    props: dict[str, PropValue] = Field(default_factory=dict)
    provenance: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _normalise(self) -> Self:
        for key, value in self.props.items():
            check_property_name(key)
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidInput(f"edge property {key}", "must be a finite number")
            if isinstance(value, dict):
                raise InvalidInput(f"edge property {key}", "maps cannot be stored; flatten them")
        if self.type in UNDIRECTED_TYPES and self.src_id > self.dst_id:
            # One edge per unordered pair: the lower id is always the source.
            src, dst = self.dst_id, self.src_id
            object.__setattr__(self, "src_id", src)
            object.__setattr__(self, "dst_id", dst)
        return self

    @property
    def key(self) -> tuple[str, str, str]:
        """The edge's identity."""
        return (self.type.value, self.src_id, self.dst_id)


class Node(BaseModel):
    """A node as read back from a store: label, id and raw properties."""

    model_config = ConfigDict(frozen=True)

    label: NodeLabel
    id: str
    props: dict[str, Any]

    def as_entity(self) -> Entity:
        """The typed model for this node."""
        return ENTITY_TYPES[self.label].from_props(self.id, self.props)

    @property
    def name(self) -> str | None:
        """The display name, if the node has one."""
        value = self.props.get("name")
        return value if isinstance(value, str) else None


class StoredEdge(BaseModel):
    """An edge as read back from a store."""

    model_config = ConfigDict(frozen=True)

    type: RelType
    src_id: str
    dst_id: str
    props: dict[str, Any]


class Role(StrEnum):
    """How a participant took part in an activity."""

    FROM = "from"
    TO = "to"
    CC = "cc"
    BCC = "bcc"
    ORGANIZER = "organizer"
    ATTENDEE = "attendee"
    SPEAKER = "speaker"
    AUTHOR = "author"
    MENTIONED = "mentioned"
    CONNECTION = "connection"


class Participant(BaseModel):
    """Someone who took part in an activity, as the source named them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    email: str | None = None
    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    handle: str | None = None
    response: str | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.strip().lower() if value and value.strip() else None

    @property
    def identity(self) -> str | None:
        """The strongest identity key this participant carries."""
        if self.email:
            return identity_key("email", self.email)
        if self.handle:
            return self.handle if ":" in self.handle else identity_key("handle", self.handle)
        return None


class Activity(BaseModel):
    """The canonical record every connector yields: one communication from one source.

    ``key`` is the content identity (not the source's own id), so the same message
    seen in several places collapses to one ``Communication``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    source: str
    source_key: str
    key: str
    timestamp: datetime
    participants: list[Participant]
    subject: str | None = None
    text: str = ""
    thread_key: str | None = None
    raw_hash: str | None = None
    attachments: list[str] = Field(default_factory=list)
    event_name: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    def senders(self) -> list[Participant]:
        """Participants who authored the activity."""
        return [p for p in self.participants if p.role in (Role.FROM, Role.AUTHOR, Role.ORGANIZER, Role.SPEAKER)]


def sequence_hash(values: Sequence[str]) -> str:
    """A stable hash of a sequence of strings."""
    return hashlib.sha256("\x1f".join(values).encode("utf-8")).hexdigest()
