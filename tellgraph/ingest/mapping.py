"""Turn connector records into graph writes: entities and edges, no I/O.

People are found through identity keys (``email:...``, ``slack:...``,
``linkedin:...``); a key nobody has claimed yet creates a person whose id is
derived from that key, so concurrent or repeated runs agree on ids.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import (
    Activity,
    Channel,
    Communication,
    Company,
    Edge,
    Entity,
    Event,
    Identity,
    Participant,
    Person,
    Role,
    company_id_for,
    identity_key,
    person_id_for,
    stable_id,
)
from tellgraph.schema.records import AttendanceRecord, ContactRecord

PREVIEW_CHARS = 240

_ROLE_EDGES: dict[Role, RelType] = {
    Role.FROM: RelType.SENT,
    Role.AUTHOR: RelType.SENT,
    Role.ORGANIZER: RelType.SENT,
    Role.TO: RelType.TO,
    Role.CC: RelType.CC,
    Role.BCC: RelType.BCC,
    Role.MENTIONED: RelType.MENTIONS,
    Role.ATTENDEE: RelType.PARTICIPATED,
    Role.SPEAKER: RelType.PARTICIPATED,
}


def normalise_name(name: str) -> str:
    """Case- and accent-insensitive form of a name, for name-only identity keys."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def participant_keys(participant: Participant) -> list[str]:
    """Every identity key a participant carries, strongest first."""
    keys = []
    if participant.email:
        keys.append(identity_key("email", participant.email))
    if participant.handle:
        keys.append(participant.handle if ":" in participant.handle else identity_key("handle", participant.handle))
    if not keys and participant.name:
        # Name-only participants (transcript speakers) get a weak key that resolution may merge later.
        keys.append(identity_key("name", normalise_name(participant.name)))
    return keys


def contact_keys(contact: ContactRecord) -> list[str]:
    """Every identity key a contact record carries, strongest first."""
    keys = [identity_key("email", email) for email in contact.emails if email.strip()]
    if contact.linkedin_url:
        keys.append(identity_key("linkedin", contact.linkedin_url))
    keys += [h if ":" in h else identity_key("handle", h) for h in contact.handles]
    if not keys and contact.name:
        keys.append(identity_key("name", normalise_name(contact.name)))
    return list(dict.fromkeys(keys))


def _key_value(key: str) -> tuple[str, str]:
    kind, _, value = key.partition(":")
    return kind, value


def domain_of(email: str) -> str | None:
    """The domain part of an address."""
    _, _, domain = email.rpartition("@")
    return domain.lower() or None


@dataclass
class GraphWrite:
    """Entities and edges to write in one atomic batch."""

    entities: list[Entity] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def extend(self, other: GraphWrite) -> None:
        """Append another write."""
        self.entities.extend(other.entities)
        self.edges.extend(other.edges)


class IdentityMap:
    """Identity key → person id, seeded from the store and extended as people are created."""

    def __init__(self, known: Mapping[str, str]) -> None:
        self._ids = dict(known)

    def person_for(self, keys: list[str]) -> tuple[str, bool]:
        """The person any of ``keys`` already identifies, else a new id from the first key.

        Returns (person id, whether it is new in this map).
        """
        for key in keys:
            if key in self._ids:
                return self._ids[key], False
        return person_id_for(keys[0]), True

    def claim(self, keys: list[str], person_id: str) -> list[str]:
        """Point unclaimed keys at ``person_id``; returns the keys that were new."""
        new = [k for k in keys if k not in self._ids]
        for key in new:
            self._ids[key] = person_id
        return new


def _person_write(
    *,
    identities: IdentityMap,
    keys: list[str],
    name: str | None,
    emails: Iterable[str],
    handles: Iterable[str],
    source: str,
    now: datetime,
    extra: Mapping[str, object] | None = None,
) -> tuple[str, GraphWrite]:
    person_id, _ = identities.person_for(keys)
    write = GraphWrite()
    fields: dict[str, object] = {
        "name": name,
        "emails": list(emails),
        "handles": [h for h in handles if h],
        "sources": [source],
    }
    if extra:
        fields.update({k: v for k, v in extra.items() if v is not None})
    if not fields["name"]:
        # A person with only an address still needs a caption in Neo4j Browser.
        emails_list = fields["emails"]
        fields["name"] = emails_list[0] if isinstance(emails_list, list) and emails_list else None
    write.entities.append(Person(id=person_id, **fields))  # type: ignore[arg-type]
    for key in identities.claim(keys, person_id):
        kind, value = _key_value(key)
        write.entities.append(Identity(id=key, kind=kind, value=value))
        write.edges.append(
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id=key,
                dst_label=NodeLabel.PERSON,
                dst_id=person_id,
                props={"first_seen": now},
                provenance=[source],
            )
        )
    return person_id, write


def activity_write(
    activity: Activity,
    *,
    identities: IdentityMap,
    now: datetime,
    store_previews: bool,
    encrypted_body: str | None,
) -> GraphWrite:
    """The communication, its participants and their role edges."""
    write = GraphWrite()
    comm_id = activity.key
    seen: set[tuple[str, RelType]] = set()
    participant_total = 0
    event_id = None
    if activity.channel is Channel.MEETING:
        event_id = stable_id("e", activity.key)
        write.entities.append(
            Event(
                id=event_id,
                name=activity.event_name or activity.subject or "Meeting",
                starts_at=activity.timestamp,
                location=activity.metadata.get("location"),
                sources=[activity.source],
            )
        )
    for participant in activity.participants:
        keys = participant_keys(participant)
        if not keys:
            continue
        person_id, person_write = _person_write(
            identities=identities,
            keys=keys,
            name=participant.name,
            emails=[participant.email] if participant.email else [],
            handles=[participant.handle] if participant.handle else [],
            source=activity.source,
            now=now,
        )
        write.extend(person_write)
        rel = _ROLE_EDGES.get(participant.role)
        if rel is None or (person_id, rel) in seen:
            continue
        seen.add((person_id, rel))
        participant_total += 1
        props: dict[str, object] = {}
        if rel is RelType.PARTICIPATED:
            props["role"] = participant.role.value
        if participant.response:
            props["response"] = participant.response
        if rel is RelType.SENT or rel is RelType.PARTICIPATED:
            edge = Edge(
                type=rel,
                src_label=NodeLabel.PERSON,
                src_id=person_id,
                dst_label=NodeLabel.COMMUNICATION,
                dst_id=comm_id,
                props=props,  # type: ignore[arg-type]
                provenance=[activity.source],
            )
        else:
            edge = Edge(
                type=rel,
                src_label=NodeLabel.COMMUNICATION,
                src_id=comm_id,
                dst_label=NodeLabel.PERSON,
                dst_id=person_id,
                props=props,  # type: ignore[arg-type]
                provenance=[activity.source],
            )
        write.edges.append(edge)
        if event_id and participant.role in (Role.ATTENDEE, Role.ORGANIZER):
            write.edges.append(
                Edge(
                    type=RelType.ORGANIZED if participant.role is Role.ORGANIZER else RelType.ATTENDED,
                    src_label=NodeLabel.PERSON,
                    src_id=person_id,
                    dst_label=NodeLabel.EVENT,
                    dst_id=event_id,
                    props={"response": participant.response} if participant.response else {},
                    provenance=[activity.source],
                )
            )
    preview = " ".join(activity.text.split())[:PREVIEW_CHARS] if store_previews and activity.text else None
    # The communication goes first so that its edges find it inside the same batch.
    write.entities.insert(
        0,
        Communication(
            id=comm_id,
            channel=activity.channel,
            source=activity.source,
            source_keys=[activity.source_key],
            timestamp=activity.timestamp,
            subject=activity.subject,
            thread_key=activity.thread_key,
            preview=preview or None,
            body_encrypted=encrypted_body,
            body_chars=len(activity.text),
            raw_hash=activity.raw_hash,
            participant_count=participant_total,
            attachments=list(activity.attachments),
            ingested_at=now,
        ),
    )
    return write


def contact_write(contact: ContactRecord, *, identities: IdentityMap, now: datetime) -> GraphWrite:
    """The person, their identities, employer and, when known, their tie to the list's owner."""
    write = GraphWrite()
    keys = contact_keys(contact)
    if not keys:
        return write
    domain = contact.company_domain or None
    person_id, person_write = _person_write(
        identities=identities,
        keys=keys,
        name=contact.name,
        emails=contact.emails,
        handles=[k for k in keys if not k.startswith(("email:", "name:"))],
        source=contact.source,
        now=now,
        extra={
            "title": contact.title,
            "linkedin_url": contact.linkedin_url,
            "phones": list(contact.phones),
            "company_domain": domain,
        },
    )
    write.extend(person_write)
    if contact.company_name or domain:
        company_id = company_id_for(domain or contact.company_name or "")
        write.entities.append(
            Company(id=company_id, name=contact.company_name or domain, domain=domain, sources=[contact.source])
        )
        props: dict[str, object] = {"title": contact.title, "source": contact.source}
        if contact.connected_on:
            props["observed_at"] = contact.connected_on
        write.edges.append(
            Edge(
                type=RelType.WORKS_AT,
                src_label=NodeLabel.PERSON,
                src_id=person_id,
                dst_label=NodeLabel.COMPANY,
                dst_id=company_id,
                props={k: v for k, v in props.items() if v is not None},  # type: ignore[misc]
                provenance=[contact.source],
            )
        )
    if contact.connected_to is not None:
        owner_keys = participant_keys(contact.connected_to)
        if owner_keys:
            owner_id, owner_write = _person_write(
                identities=identities,
                keys=owner_keys,
                name=contact.connected_to.name,
                emails=[contact.connected_to.email] if contact.connected_to.email else [],
                handles=[],
                source=contact.source,
                now=now,
                extra={"is_team": True},
            )
            write.extend(owner_write)
            if owner_id != person_id:
                props = {"connected_on": contact.connected_on, "declared_by": contact.source}
                write.edges.append(
                    Edge(
                        type=RelType.KNOWS,
                        src_label=NodeLabel.PERSON,
                        src_id=owner_id,
                        dst_label=NodeLabel.PERSON,
                        dst_id=person_id,
                        props={k: v for k, v in props.items() if v is not None},  # type: ignore[misc]
                        provenance=[contact.source],
                    )
                )
    return write


def attendance_write(record: AttendanceRecord, *, identities: IdentityMap, now: datetime) -> GraphWrite:
    """The event and an ATTENDED edge per attendee."""
    write = GraphWrite()
    write.entities.append(
        Event(
            id=record.event_key,
            name=record.event_name,
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            location=record.location,
            sources=[record.source],
        )
    )
    for attendee in record.attendees:
        keys = participant_keys(attendee)
        if not keys:
            continue
        person_id, person_write = _person_write(
            identities=identities,
            keys=keys,
            name=attendee.name,
            emails=[attendee.email] if attendee.email else [],
            handles=[attendee.handle] if attendee.handle else [],
            source=record.source,
            now=now,
        )
        write.extend(person_write)
        rel = RelType.ORGANIZED if attendee.role is Role.ORGANIZER else RelType.ATTENDED
        write.edges.append(
            Edge(
                type=rel,
                src_label=NodeLabel.PERSON,
                src_id=person_id,
                dst_label=NodeLabel.EVENT,
                dst_id=record.event_key,
                props={"response": attendee.response} if attendee.response else {},
                provenance=[record.source],
            )
        )
    return write


def record_keys(records: Iterable[Activity | ContactRecord | AttendanceRecord]) -> list[str]:
    """Every identity key a batch of records mentions (to resolve them in one query)."""
    keys: list[str] = []
    for record in records:
        if isinstance(record, Activity):
            for participant in record.participants:
                keys += participant_keys(participant)
        elif isinstance(record, ContactRecord):
            keys += contact_keys(record)
            if record.connected_to is not None:
                keys += participant_keys(record.connected_to)
        else:
            for attendee in record.attendees:
                keys += participant_keys(attendee)
    return list(dict.fromkeys(keys))
