"""Manual interactions: a call, a lunch or a message logged by hand becomes a Communication.

It goes through the same ingest mapping as every connector, keyed by content
(or by the caller's ``external_id``), so logging the same interaction twice
stores it once. The ties it touches are then re-scored from every communication
of those pairs by :func:`tellgraph.scoring.incremental.rescore_communications`,
the formula ``tellgraph score`` uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.mapping import IdentityMap, activity_write, record_keys
from tellgraph.ingest.service import compact
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    Activity,
    Channel,
    Node,
    Participant,
    Person,
    Role,
    stable_id,
    utcnow,
)
from tellgraph.scoring.incremental import rescore_communications
from tellgraph.services import audit
from tellgraph.settings import Settings

SOURCE = "manual"
MAX_PARTICIPANTS = 100
SENDER_ROLES = frozenset({Role.FROM, Role.AUTHOR, Role.ORGANIZER, Role.SPEAKER})
ID_KEY_PREFIX = "tellgraph-id:"


class ParticipantSpec(BaseModel):
    """Who took part: an email address, or an existing person's id; and how."""

    email: str | None = Field(default=None, max_length=320)
    person_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    role: Role = Role.ATTENDEE


class InteractionSpec(BaseModel):
    """A manually logged interaction."""

    channel: Channel
    timestamp: datetime
    participants: list[ParticipantSpec]
    subject: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    text: str = Field(default="", max_length=MAX_TEXT_LENGTH)
    external_id: str | None = Field(default=None, max_length=200)


class LoggedInteraction(BaseModel):
    """The communication, whether this call created it, and how many ties were re-scored."""

    communication: Node
    created: bool
    relationships_updated: int


def _participants(store: GraphStore, spec: InteractionSpec) -> tuple[list[Participant], dict[str, str]]:
    """Activity participants, and the request-only keys that stand for existing people named by id."""
    if not 2 <= len(spec.participants) <= MAX_PARTICIPANTS:
        raise InvalidInput("participants", f"give between 2 and {MAX_PARTICIPANTS} participants")
    participants = []
    by_id: dict[str, str] = {}
    wanted = [item.person_id for item in spec.participants if item.person_id]
    known = store.existing_ids(label=NodeLabel.PERSON, ids=wanted) if wanted else set()
    for item in spec.participants:
        if bool(item.email) == bool(item.person_id):
            raise InvalidInput("participants", "give each participant either an email or a personId")
        if item.role in (Role.CONNECTION,):
            raise InvalidInput("participants", f"role {item.role.value} cannot be logged")
        if item.email:
            email = item.email.strip().lower()
            local, _, domain = email.partition("@")
            if not local or "." not in domain or " " in email:
                raise InvalidInput("participants", f"{item.email!r} is not an email address")
            participants.append(Participant(role=item.role, email=email, name=item.name))
        else:
            assert item.person_id is not None
            if item.person_id not in known:
                raise NotFound("person", item.person_id)
            # A key that only this request knows: it locates the person and is never stored.
            key = f"{ID_KEY_PREFIX}{item.person_id}"
            by_id[key] = item.person_id
            participants.append(Participant(role=item.role, handle=key, name=item.name))
    if spec.channel in (Channel.EMAIL, Channel.CHAT) and not any(p.role in SENDER_ROLES for p in participants):
        raise InvalidInput("participants", f"a {spec.channel.value} needs a sender (role FROM)")
    return participants, by_id


def interaction_key(spec: InteractionSpec, participants: list[Participant]) -> str:
    """The content identity of a manual interaction (or of the caller's external id)."""
    if spec.external_id:
        return stable_id("m", SOURCE, "external", spec.external_id.strip())
    people = sorted(f"{p.role.value}:{p.identity}" for p in participants)
    return stable_id(
        "m", SOURCE, spec.channel.value, spec.timestamp.isoformat(), spec.subject or "", spec.text, *people
    )


def log_interaction(
    store: GraphStore,
    *,
    spec: InteractionSpec,
    settings: Settings,
    now: datetime | None = None,
    actor: str | None = None,
) -> LoggedInteraction:
    """Store a manual interaction (idempotently) and re-score the ties among its participants.

    With an ``actor`` (the API's caller) every call is audited, a repeated one too, without
    the interaction's text or addresses.

    Raises:
        InvalidInput: too few participants, a bad address, a future date, a missing sender.
        NotFound: a ``person_id`` that does not exist.
    """
    now = now or utcnow()
    if spec.timestamp.tzinfo is None:
        raise InvalidInput("timestamp", "give a time zone (ISO 8601 with an offset or Z)")
    if spec.timestamp > now + timedelta(days=1):
        raise InvalidInput("timestamp", "must not be in the future")
    participants, by_id = _participants(store, spec)
    key = interaction_key(spec, participants)
    activity = Activity(
        channel=spec.channel,
        source=SOURCE,
        source_key=f"{SOURCE}/{key}",
        key=key,
        timestamp=spec.timestamp,
        participants=participants,
        subject=spec.subject,
        text=spec.text,
    )
    if store.existing_ids(label=NodeLabel.COMMUNICATION, ids=[key]):
        # Logged before. Rescore anyway: a request cut off (process killed, connection lost) after the
        # write and before the rescore left its ties stale, and the client's retry must heal that.
        # Rescoring is deterministic (as of the pair's newest communication), so this changes nothing otherwise.
        report = rescore_communications(store, communication_ids=[key], settings=settings, now=now)
        [node] = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[key])
        _audit(store, actor=actor, node=node, created=False, participants=len(participants), now=now)
        return LoggedInteraction(communication=node, created=False, relationships_updated=report.pairs)
    keys = record_keys([activity])
    stored_keys = [k for k in keys if k not in by_id]
    identities = IdentityMap({**(store.resolve_identities(keys=stored_keys) if stored_keys else {}), **by_id})
    write = activity_write(
        activity, identities=identities, now=now, store_previews=settings.store_previews, encrypted_body=None
    )
    # People named by id keep their handles: the key only located them.
    entities = [
        e.model_copy(update={"handles": [h for h in e.handles if h not in by_id]}) if isinstance(e, Person) else e
        for e in write.entities
    ]
    store.write_batch(entities=compact(entities), edges=write.edges, now=now)
    store.flush()
    # The same formula as `tellgraph score`, for just the ties this interaction touches.
    report = rescore_communications(store, communication_ids=[key], settings=settings, now=now)
    [node] = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[key])
    _audit(store, actor=actor, node=node, created=True, participants=len(participants), now=now)
    return LoggedInteraction(communication=node, created=True, relationships_updated=report.pairs)


def _audit(
    store: GraphStore, *, actor: str | None, node: Node, created: bool, participants: int, now: datetime
) -> None:
    if actor is None:
        return
    audit.record(
        store,
        entry=audit.audit_entry(
            action="log_interaction",
            actor=actor,
            subject_ids=[node.id],
            details={"channel": node.props.get("channel"), "created": created, "participants": participants},
            now=now,
        ),
    )
    store.flush()
