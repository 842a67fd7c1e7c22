"""Edits people make to people: corrections, new addresses, a new employer, and erasure.

Every edit writes an :class:`AuditEntry` naming the actor and the fields that
changed (not their values, which may be personal data).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.queries import ErasureReport
from tellgraph.graph.scrub import erasure_terms, scrub_value, term_pattern
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.crypto import BodyCipher
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import (
    MAX_NAME_LENGTH,
    AuditEntry,
    Company,
    Edge,
    Entity,
    Identity,
    Node,
    Person,
    PropValue,
    company_id_for,
    identity_key,
    utcnow,
)
from tellgraph.services import audit
from tellgraph.services.people import looks_like_domain, resolve_person
from tellgraph.settings import Settings

SOURCE = "manual"
MAX_NEW_EMAILS = 20


class PersonUpdate(BaseModel):
    """Fields to change; ``None`` leaves a field as it is."""

    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    title: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    add_emails: list[str] = Field(default_factory=list)
    phones: list[str] | None = None
    linkedin_url: str | None = Field(default=None, max_length=500)
    is_team: bool | None = None
    company_domain: str | None = Field(default=None, max_length=253)
    company_name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)


def _live_person(store: GraphStore, ref: str) -> Node:
    person = resolve_person(store, ref=ref)
    if person.props.get("erased"):
        raise InvalidInput("id", "this person was erased and cannot be edited")
    return person


def _clean_emails(emails: list[str]) -> list[str]:
    if len(emails) > MAX_NEW_EMAILS:
        raise InvalidInput("addEmails", f"at most {MAX_NEW_EMAILS} at a time")
    cleaned = []
    for raw in emails:
        email = raw.strip().lower()
        local, _, domain = email.partition("@")
        if not local or not looks_like_domain(domain) or len(email) > 320:
            raise InvalidInput("addEmails", f"{raw!r} is not an email address")
        cleaned.append(email)
    return sorted(set(cleaned))


def update_person(
    store: GraphStore, *, ref: str, update: PersonUpdate, actor: str, now: datetime | None = None
) -> tuple[Node, AuditEntry]:
    """Apply an edit to a person and audit it.

    Raises:
        NotFound: no such person.
        InvalidInput: an erased person, a bad address, an address that belongs to someone
            else (merge the two people instead), or nothing to change.
    """
    now = now or utcnow()
    person = _live_person(store, ref)
    changed: list[str] = []
    props: dict[str, PropValue] = {}
    if update.name is not None:
        cleaned = Person(id=person.id, name=update.name).name
        if not cleaned:
            raise InvalidInput("name", "must not be empty")
        props["name"] = cleaned
    if update.title is not None:
        props["title"] = Person(id=person.id, title=update.title).title
    if update.phones is not None:
        props["phones"] = [p.strip() for p in update.phones if p.strip()]
    if update.linkedin_url is not None:
        props["linkedin_url"] = update.linkedin_url.strip() or None
    if update.is_team is not None:
        props["is_team"] = update.is_team
    entities: list[Entity] = []
    edges: list[Edge] = []
    emails = _clean_emails(update.add_emails)
    if emails:
        keys = [identity_key("email", e) for e in emails]
        owners = store.resolve_identities(keys=keys)
        taken = {k: pid for k, pid in owners.items() if pid != person.id}
        if taken:
            key, other = sorted(taken.items())[0]
            raise InvalidInput(
                "addEmails", f"{key.removeprefix('email:')} belongs to person {other}; merge the two people instead"
            )
        entities.append(Person(id=person.id, emails=emails))
        for key, email in zip(keys, emails, strict=True):
            if key in owners:
                continue
            entities.append(Identity(id=key, kind="email", value=email))
            edges.append(
                Edge(
                    type=RelType.IDENTIFIES,
                    src_label=NodeLabel.IDENTITY,
                    src_id=key,
                    dst_label=NodeLabel.PERSON,
                    dst_id=person.id,
                    props={"first_seen": now},
                    provenance=[SOURCE],
                )
            )
        changed.append("emails")
    if update.company_domain is not None or update.company_name is not None:
        entities_, edges_ = _employment(store, person=person, update=update, now=now)
        entities += entities_
        edges += edges_
        props["company_domain"] = (update.company_domain or "").strip().lower() or None
        changed.append("company")
    changed += sorted(props)
    if not changed:
        raise InvalidInput("input", "nothing to change")
    if props:
        store.set_node_props(label=NodeLabel.PERSON, node_id=person.id, props=props)
    if entities or edges:
        store.write_batch(entities=entities, edges=edges, now=now)
    entry = audit.record(
        store,
        entry=audit.audit_entry(
            action="update_person",
            actor=actor,
            subject_ids=[person.id],
            details={"fields": sorted(set(changed))},
            now=now,
        ),
    )
    store.flush()
    [node] = store.get_nodes(label=NodeLabel.PERSON, ids=[person.id])
    return node, entry


def _employment(
    store: GraphStore, *, person: Node, update: PersonUpdate, now: datetime
) -> tuple[list[Entity], list[Edge]]:
    """The company and a current WORKS_AT edge; earlier current employers get an end date."""
    domain = (update.company_domain or "").strip().lower() or None
    if domain is not None and not looks_like_domain(domain):
        raise InvalidInput("companyDomain", f"{update.company_domain!r} is not a domain")
    name = (update.company_name or "").strip() or None
    if domain is None and name is None:
        raise InvalidInput("companyDomain", "give a company domain or name")
    existing = store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain", values=[domain], limit=1) if domain else []
    company_id = existing[0].id if existing else company_id_for(domain or name or "")
    entities: list[Entity] = [Company(id=company_id, name=name or domain, domain=domain, sources=[SOURCE])]
    edges: list[Edge] = []
    for tie in store.neighbours(label=NodeLabel.PERSON, node_id=person.id, rel_types=[RelType.WORKS_AT], limit=100):
        if tie.node.id != company_id and tie.edge.props.get("valid_to") is None:
            edges.append(
                Edge(
                    type=RelType.WORKS_AT,
                    src_label=NodeLabel.PERSON,
                    src_id=person.id,
                    dst_label=NodeLabel.COMPANY,
                    dst_id=tie.node.id,
                    props={"valid_to": now},
                    provenance=[SOURCE],
                )
            )
    title = update.title or person.props.get("title")
    props: dict[str, PropValue] = {"source": SOURCE, "valid_from": now}
    if title:
        props["title"] = title
    edges.append(
        Edge(
            type=RelType.WORKS_AT,
            src_label=NodeLabel.PERSON,
            src_id=person.id,
            dst_label=NodeLabel.COMPANY,
            dst_id=company_id,
            props=props,
            provenance=[SOURCE],
        )
    )
    return entities, edges


def forget_person(
    store: GraphStore, *, ref: str, actor: str, now: datetime | None = None, cipher: BodyCipher | None = None
) -> tuple[ErasureReport, AuditEntry]:
    """Erase a person's personal data and audit it without that data.

    :meth:`GraphStore.erase_person` removes what the person's own records hold; then their
    name and addresses are replaced with ``[erased]`` wherever text still names them
    (:meth:`GraphStore.scrub_text`: group messages, events, drafts, goals, audit details,
    edge snippets) and, given the ``cipher``, inside the encrypted bodies of their messages.

    Raises:
        NotFound: no such person.
    """
    now = now or utcnow()
    person = resolve_person(store, ref=ref)
    terms = erasure_terms(person.props)  # before the erasure removes them
    report = store.erase_person(person_id=person.id, now=now)
    if not report.found:
        raise NotFound("person", person.id)
    scrubbed = store.scrub_text(person_id=person.id, terms=terms)
    bodies = 0
    if cipher is not None:
        bodies = _scrub_bodies(
            store, person_id=person.id, terms=terms, cipher=cipher, named_in=scrubbed.communication_ids
        )
    entry = audit.record(
        store,
        entry=audit.audit_entry(
            action="forget_person",
            actor=actor,
            subject_ids=[person.id],
            details={
                "identities_removed": report.identities_removed,
                "communications_redacted": report.communications_redacted,
                "texts_scrubbed": scrubbed.nodes + scrubbed.edges,
                "bodies_scrubbed": bodies,
            },
            now=now,
        ),
    )
    store.flush()
    return report, entry


def body_cipher(settings: Settings) -> BodyCipher | None:
    """The cipher of stored bodies, when bodies are stored (erasure then scrubs inside them too)."""
    if settings.body_key is None:
        return None
    return BodyCipher(key=settings.body_key.get_secret_value())


def _scrub_bodies(
    store: GraphStore, *, person_id: str, terms: list[str], cipher: BodyCipher, named_in: list[str]
) -> int:
    """Replace the terms inside encrypted bodies; returns how many changed.

    Looked at: the person's communications, those that mention them, and those whose other
    text named them (``named_in``). A body that names them where nothing else about the
    message does is out of reach without decrypting every body.
    """
    pattern = term_pattern(terms)
    if pattern is None:
        return 0
    ids: set[str] = set(named_in)
    before = None
    while True:
        page = store.communications_of(person_id=person_id, before=before, limit=500)
        ids.update(comm.id for comm in page.nodes)
        if len(page.nodes) < 500:
            break
        last = page.nodes[-1]
        before = (last.props["timestamp"], last.id)
    mentions = store.neighbours(label=NodeLabel.PERSON, node_id=person_id, rel_types=[RelType.MENTIONS], limit=100_000)
    ids.update(n.node.id for n in mentions if n.node.label is NodeLabel.COMMUNICATION)
    changed = 0
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        for comm in store.get_nodes(label=NodeLabel.COMMUNICATION, ids=ordered[start : start + 500]):
            token = comm.props.get("body_encrypted")
            if not isinstance(token, str):
                continue
            body = cipher.decrypt(token)
            scrubbed = scrub_value(body, pattern)
            if scrubbed != body:
                store.set_node_props(
                    label=NodeLabel.COMMUNICATION, node_id=comm.id, props={"body_encrypted": cipher.encrypt(scrubbed)}
                )
                changed += 1
    return changed
