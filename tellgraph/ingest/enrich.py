"""``NlpEnricher``: text analysis of new communications, as graph writes.

Implements the ingest service's ``Enricher`` protocol. For each batch of new
activities it runs :class:`~tellgraph.extractors.nlp.NlpPipeline` once and returns:

* the ``Communication`` again (same id) with ``sentiment``, ``action_items``,
  ``language`` and ``nlp_truncated`` set (only those fields: see :class:`AnalysedCommunication`);
* ``MENTIONS`` edges from the communication to the people and companies its text
  names. People are resolved by exact (case- and accent-folded) full name only:
  against the message's participants, the batch's participants and the people
  already in the store; a first name alone resolves only to a participant of the
  same message. People who took part in the message are not "mentioned" (they have
  ``SENT``/``TO``/``CC`` edges); a person known only by an address ("lucy.park@...")
  gets the name the text gives them. Unresolved names make no node: NER is not evidence
  enough to create a person. Organisations resolve to a company of that name (or a
  participant's e-mail domain, or a sender's signature) or create a ``Company`` keyed
  by ``company_id_for(name)``;
* ``Topic`` and ``Project`` nodes with ``ABOUT`` edges;
* ``INTRODUCED`` (introducer → each of the two people introduced, with the other in
  ``introduced_to``) and ``WORKS_AT`` (person → company, with ``title`` and, for
  "X joined Y", ``valid_from`` = the message date) edges, each with ``evidence``
  (the sentence), ``source_communication`` and ``confidence``;
* the sender's title and phones from their signature (a ``Person`` upsert with the
  same id) and a ``WORKS_AT`` edge to the signature's company.

Broadcast mail (:func:`is_bulk`: list headers, more than 25 recipients, automated
senders) keeps its sentiment, mentions, topics and relations but gets no action items
and no signature facts: its footer is not a person's signature.

People and company names are resolved against an in-memory index of the store's
names, loaded once per enricher (``list_nodes`` paging) and kept up to date with
every batch, because ``find_nodes`` per mention would scan the embedded store once
per name; beyond :data:`INDEX_LIMIT` nodes the index is partial and unknown names
fall back to ``find_nodes`` (cached).

Everything is derived from the activities and the store's state only (``now`` goes
into no property), so the same activities against the same store give the same writes.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tellgraph.extractors.nlp import (
    MAX_NLP_CHARS,
    RECIPIENT,
    SENDER,
    SENDER_COMPANY,
    NlpPipeline,
    Phrase,
    PhraseVocabulary,
    TextAnalysis,
    TextInput,
)
from tellgraph.extractors.nlp.entities import EntityMention
from tellgraph.extractors.nlp.signatures import Signature, names_match
from tellgraph.extractors.nlp.topics import DEAL_WORDS, KIND_WORDS
from tellgraph.ingest.mapping import GraphWrite, IdentityMap, normalise_name, participant_keys
from tellgraph.resolution.companies import company_domain, company_name_from_domain
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import (
    Activity,
    Communication,
    Company,
    Edge,
    Participant,
    Person,
    Project,
    PropValue,
    Role,
    Topic,
    company_id_for,
)

if TYPE_CHECKING:
    from tellgraph.graph.store import GraphStore
    from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

SOURCE = "nlp"
"""Provenance of every edge and ``sources`` entry this enricher writes."""

INDEX_LIMIT = 200_000
"""Names of at most this many people (and companies, topics, projects) are held in memory;
beyond that, unknown names are looked up in the store one by one."""

BULK_RECIPIENTS = 25
"""More direct recipients than this makes a message broadcast mail."""

_AUTOMATED_SENDER = re.compile(
    r"^(?:no-?reply|do-?not-?reply|newsletters?|news|info|notifications?|alerts?|updates?|mailer(?:-daemon)?|"
    r"postmaster|webmaster|listserv|majordomo|owner-.*|.*-request|.*-owner|bounces?.*|marketing|promo.*|editor|"
    r"announce.*|digest)$",
    re.IGNORECASE,
)
_PAGE = 1_000
_MAX_EVIDENCE = 300
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_SIGNATURE_CONFIDENCE = 0.9
_SIGNATURE_FREE_MAIL_CONFIDENCE = 0.7
_RECIPIENT_ROLES = (Role.TO,)
_NOT_COMPANY_TEXT = re.compile(r"[:<>@_|\\#=*\[\]{}]|\bcopyright\b|\.(?:doc|xls|pdf|ppt)\b", re.IGNORECASE)
_NOT_COMPANY_NAMES = frozenset({"thank you", "thanks", "regards", "best regards", "kind regards", "sincerely", "state"})
_NOT_COMPANY_WORDS = DEAL_WORDS | KIND_WORDS | {"department", "team", "group", "office", "division", "desk", "unit"}


class AnalysedCommunication(Communication):
    """A ``Communication`` whose unset fields are written as ``None``, which never overwrites.

    The enricher re-sends the communication to add analysis results; writing the
    defaults of the fields it does not know would reset them (``participant_count``
    would become 0). Every field is still present, as the stores expect, and after
    ``compact`` merges it with the full communication of the same batch all are set.
    """

    def to_props(self) -> dict[str, PropValue]:
        props = super().to_props()
        return {name: value if name in self.model_fields_set else None for name, value in props.items()}


@dataclass
class _Index:
    """Names and phrases already in the graph, loaded once and kept up to date with what the enricher writes."""

    people: dict[str, set[str]] = field(default_factory=dict)
    first_names: set[str] = field(default_factory=set)
    companies: dict[str, str] = field(default_factory=dict)
    company_first_words: dict[str, set[str]] = field(default_factory=dict)
    vocabulary: PhraseVocabulary = field(default_factory=PhraseVocabulary)
    people_complete: bool = True
    companies_complete: bool = True

    def add_person(self, name: str | None, person_id: str) -> None:
        key = normalise_name(name) if name else ""
        if not key or "@" in key:
            return
        self.people.setdefault(key, set()).add(person_id)
        self.first_names.add(key.split()[0])

    def add_company(self, name: str | None, company_id: str) -> None:
        key = _company_key(name or "")
        if key:
            self.companies.setdefault(key, company_id)
            self.company_first_words.setdefault(key.split()[0], set()).add(company_id)


@dataclass
class _Message:
    """One activity's people, for resolving what its text says."""

    sender_id: str | None = None
    sender_email: str | None = None
    sender_name: str | None = None
    sender_company_name: str | None = None
    """The company the sender's signature names."""
    recipient_id: str | None = None
    participant_ids: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)
    first_or_last: dict[str, set[str]] = field(default_factory=dict)
    email_names: set[str] = field(default_factory=set)
    """Name keys read from addresses of participants who gave no display name."""


class NlpEnricher:
    """The NLP ``Enricher`` for :class:`~tellgraph.ingest.service.IngestRun`.

    Args:
        store: the graph being written (read for known people, companies, topics and projects).
        batch_size: texts per ``nlp.pipe`` batch.
        n_process: processes for ``nlp.pipe`` on big batches.
        max_chars: cleaned characters analysed per message.
        index_limit: people (and companies, topics, projects) whose names are held in memory.
    """

    def __init__(
        self,
        *,
        store: GraphStore,
        batch_size: int = 256,
        n_process: int = 1,
        max_chars: int = MAX_NLP_CHARS,
        index_limit: int = INDEX_LIMIT,
    ) -> None:
        self._store = store
        self._pipeline = NlpPipeline(batch_size=batch_size, n_process=n_process, max_chars=max_chars)
        self._index_limit = index_limit
        self._index: _Index | None = None
        self._store_people: dict[str, str | None] = {}
        self._store_companies: dict[str, str | None] = {}

    @property
    def pipeline(self) -> NlpPipeline:
        """The text pipeline (its ``stats`` say where the time went)."""
        return self._pipeline

    def enrich(self, activities: Sequence[Activity], *, identities: IdentityMap, now: datetime) -> GraphWrite:
        """Analyse the batch's new activities and return what to write (see the module docstring)."""
        write = GraphWrite()
        if not activities:
            return write
        index = self._ensure_index()
        messages = [_message(activity, identities) for activity in activities]
        inputs = [
            TextInput(
                key=activity.key,
                text=activity.text,
                subject=activity.subject,
                timestamp=activity.timestamp,
                sender_name=message.sender_name,
            )
            for activity, message in zip(activities, messages, strict=True)
        ]
        analyses = self._pipeline.analyse(inputs, vocabulary=index.vocabulary)
        for message, analysis in zip(messages, analyses, strict=True):
            if analysis.signature is not None and _own_signature(analysis.signature, message):
                message.sender_company_name = analysis.signature.company
        batch = _Batch.build(activities, messages)
        for activity, message, analysis in zip(activities, messages, analyses, strict=True):
            resolver = _Resolver(enricher=self, index=index, message=message, batch=batch)
            write.extend(_message_write(activity=activity, analysis=analysis, message=message, resolver=resolver))
        write.edges[:] = _strongest_edges(write.edges)
        for key, ids in batch.people.items():
            for person_id in ids:
                index.add_person(key, person_id)
        for entity in write.entities:
            if isinstance(entity, Company):
                index.add_company(entity.name, entity.id)
                for alias in entity.aliases:
                    index.add_company(alias, entity.id)
        return write

    # -- store lookups ------------------------------------------------------------

    def _ensure_index(self) -> _Index:
        if self._index is not None:
            return self._index
        index = _Index()
        count = 0
        for props, node_id in self._iter_nodes(NodeLabel.PERSON):
            count += 1
            index.add_person(props.get("name"), node_id)
            for alias in props.get("aliases") or []:
                index.add_person(alias, node_id)
        index.people_complete = count < self._index_limit
        count = 0
        for props, node_id in self._iter_nodes(NodeLabel.COMPANY):
            count += 1
            index.add_company(props.get("name"), node_id)
            for alias in props.get("aliases") or []:
                index.add_company(alias, node_id)
        index.companies_complete = count < self._index_limit
        for label, kind in ((NodeLabel.PROJECT, "project"), (NodeLabel.TOPIC, "topic")):
            for props, node_id in self._iter_nodes(label):
                name = props.get("name")
                if isinstance(name, str) and name.strip():
                    words = self._pipeline.phrase_words(name)
                    index.vocabulary.add(
                        Phrase(kind=kind, name=name, key=normalise_name(name), node_id=node_id, words=words)
                    )
        self._index = index
        return index

    def _iter_nodes(self, label: NodeLabel) -> Iterable[tuple[dict[str, Any], str]]:
        after: str | None = None
        seen = 0
        while seen < self._index_limit:
            nodes = self._store.list_nodes(label=label, after=after, limit=_PAGE)
            for node in nodes:
                yield node.props, node.id
            seen += len(nodes)
            if len(nodes) < _PAGE:
                return
            after = nodes[-1].id

    def lookup_person(self, name: str) -> str | None:
        """A person with exactly this (folded) name in the store, when the in-memory index is partial."""
        key = normalise_name(name)
        if key not in self._store_people:
            ids = {
                node.id
                for node in self._store.find_nodes(label=NodeLabel.PERSON, prop="name", value=name, limit=3)
                if normalise_name(str(node.props.get("name", ""))) == key
            }
            self._store_people[key] = next(iter(ids)) if len(ids) == 1 else None
        return self._store_people[key]

    def lookup_company(self, name: str) -> str | None:
        """A company with this name in the store, when the in-memory index is partial."""
        key = _company_key(name)
        if key not in self._store_companies:
            nodes = self._store.find_nodes(label=NodeLabel.COMPANY, prop="name", value=name, limit=1)
            self._store_companies[key] = nodes[0].id if nodes else None
        return self._store_companies[key]


@dataclass
class _Batch:
    """Names the whole batch vouches for: its participants, their e-mail domains, senders' signatures."""

    people: dict[str, set[str]] = field(default_factory=dict)
    first_names: set[str] = field(default_factory=set)
    email_names: set[str] = field(default_factory=set)
    companies: dict[str, str] = field(default_factory=dict)
    company_first_words: dict[str, set[str]] = field(default_factory=dict)
    domain_stems: dict[str, set[str]] = field(default_factory=dict)
    """Single-word names read from participants' domains ("northlight" for northlight.tv)."""
    entities: dict[str, Company] = field(default_factory=dict)
    """The domain companies above, written whenever a mention resolves to one (they may not exist yet)."""

    @classmethod
    def build(cls, activities: Sequence[Activity], messages: Sequence[_Message]) -> _Batch:
        batch = cls()
        for message in messages:
            for key, ids in message.names.items():
                words = key.split()
                batch.first_names.add(words[0])
                if len(words) > 1:
                    batch.people.setdefault(key, set()).update(ids)
            batch.email_names |= message.email_names
        for activity in activities:
            for participant in activity.participants:
                domain = company_domain(participant.email) if participant.email else None
                if domain:
                    name = company_name_from_domain(domain)
                    batch.add_company(name, company_id_for(domain))
                    batch.entities.setdefault(
                        company_id_for(domain),
                        Company(id=company_id_for(domain), name=name, domain=domain, sources=[SOURCE]),
                    )
                    stem = _company_key(name)
                    if stem and " " not in stem:
                        batch.domain_stems.setdefault(stem, set()).add(company_id_for(domain))
        for message in messages:
            domain = company_domain(message.sender_email) if message.sender_email else None
            if domain and message.sender_company_name:
                name = message.sender_company_name
                batch.add_company(name, company_id_for(domain))
                # The signature's name is better than one read from the domain ("Northlight Productions").
                batch.entities[company_id_for(domain)] = Company(
                    id=company_id_for(domain), name=name, domain=domain, aliases=[name], sources=[SOURCE]
                )
        return batch

    def add_company(self, name: str, company_id: str) -> None:
        key = _company_key(name)
        if key:
            self.companies.setdefault(key, company_id)
            self.company_first_words.setdefault(key.split()[0], set()).add(company_id)


class _Resolver:
    """Resolves the names one message's text uses to node ids."""

    def __init__(self, *, enricher: NlpEnricher, index: _Index, message: _Message, batch: _Batch) -> None:
        self._enricher = enricher
        self._index = index
        self.message = message
        self._batch = batch

    def person(self, text: str) -> str | None:
        """The id of the person ``text`` names (or a placeholder stands for), else ``None``."""
        if text == SENDER:
            return self.message.sender_id
        if text == RECIPIENT:
            return self.message.recipient_id
        key = normalise_name(text)
        if not key:
            return None
        own = self.message.names.get(key) or (self.message.first_or_last.get(key) if len(key.split()) == 1 else None)
        if own:
            return _unique(own)
        if len(key.split()) < 2:
            return None  # a first name alone is only trusted among the message's own people
        found = self._batch.people.get(key) or self._index.people.get(key)
        if found:
            return _unique(found)
        if not self._index.people_complete:
            return self._enricher.lookup_person(text)
        return None

    def from_address_only(self, text: str) -> bool:
        """Whether ``text`` resolved through an address ("lucy.park@") rather than a display name."""
        key = normalise_name(text)
        return key in self.message.email_names or key in self._batch.email_names

    def is_person_name(self, text: str) -> bool:
        """Whether ``text`` is a known person's full or first name (NER tags people as ORG too)."""
        key = normalise_name(text)
        single = len(key.split()) == 1
        return (
            key in self.message.names
            or key in self.message.first_or_last
            or key in self._batch.people
            or key in self._index.people
            or (single and (key in self._batch.first_names or key in self._index.first_names))
        )

    def is_company_name(self, text: str) -> bool:
        """Whether ``text`` names a company this batch or the graph knows."""
        key = _company_key(text)
        return key in self._batch.companies or key in self._index.companies

    def company(self, text: str, *, create: bool = True) -> tuple[str, Company | None] | None:
        """``(company id, entity to write or None)`` for an organisation name, or ``None`` when it is not one.

        Args:
            text: the name as written, or :data:`SENDER_COMPANY`.
            create: whether an unknown name may become a new ``Company``.
        """
        if text == SENDER_COMPANY:
            return self.sender_company(self.message.sender_company_name)
        key = _company_key(text)
        if not key:
            return None
        batch_known = self._batch.companies.get(key)
        if batch_known is not None:
            return batch_known, self._batch.entities.get(batch_known)
        known = self._index.companies.get(key)
        if known is None and len(key.split()) == 1:
            # "Brightfield" for "Brightfield Outside Broadcast", when only one company starts so.
            known = _unique(self._batch.company_first_words.get(key, set())) or _unique(
                self._index.company_first_words.get(key, set())
            )
        if known is None and len(key.split()) > 1:
            # "Northlight Productions" is the company at northlight.tv when a participant writes from there.
            stem = _unique(self._batch.domain_stems.get(key.split()[0], set()))
            if stem is not None:
                return stem, self._batch.entities.get(stem)
        if known is None and not self._index.companies_complete:
            known = self._enricher.lookup_company(text)
        if known is not None:
            return known, None
        if not create or self.is_person_name(text) or not _company_worthy(text):
            return None
        company_id = company_id_for(text)
        return company_id, Company(id=company_id, name=text, sources=[SOURCE])

    def sender_company(self, name: str | None = None) -> tuple[str, Company | None] | None:
        """The sender's company: their e-mail domain's (named ``name`` when known), else ``name``'s."""
        email = self.message.sender_email
        domain = company_domain(email) if email else None
        if domain:
            company_id = company_id_for(domain)
            display = name or company_name_from_domain(domain)
            aliases = [name] if name else []
            return company_id, Company(id=company_id, name=display, domain=domain, aliases=aliases, sources=[SOURCE])
        if name:
            return self.company(name)
        return None


def _message(activity: Activity, identities: IdentityMap) -> _Message:
    message = _Message()
    recipients: list[str] = []
    for participant in activity.participants:
        keys = participant_keys(participant)
        if not keys:
            continue
        person_id, _ = identities.person_for(keys)
        message.participant_ids.add(person_id)
        if participant.role in (Role.FROM, Role.AUTHOR, Role.ORGANIZER, Role.SPEAKER) and message.sender_id is None:
            message.sender_id = person_id
            message.sender_email = participant.email
            message.sender_name = participant.name if participant.name and "@" not in participant.name else None
        if participant.role in _RECIPIENT_ROLES and person_id not in recipients:
            recipients.append(person_id)
        for name, from_address in _participant_names(participant):
            key = normalise_name(name)
            message.names.setdefault(key, set()).add(person_id)
            if from_address:
                message.email_names.add(key)
            words = key.split()
            if len(words) > 1:
                message.first_or_last.setdefault(words[0], set()).add(person_id)
                message.first_or_last.setdefault(words[-1], set()).add(person_id)
    if len(recipients) == 1:
        message.recipient_id = recipients[0]
    return message


def _participant_names(participant: Participant) -> list[tuple[str, bool]]:
    """The names a participant goes by, each with whether it was read from their address."""
    names: list[tuple[str, bool]] = []
    has_display_name = bool(participant.name and "@" not in participant.name)
    if participant.name and has_display_name:
        names.append((participant.name, False))
        if "," in participant.name:
            last, _, first = participant.name.partition(",")
            names.append((f"{first.strip()} {last.strip()}", False))  # "Skilling, Jeff"
    if participant.email:
        local = participant.email.split("@", 1)[0]
        parts = [p for p in re.split(r"[._-]+", local) if p.isalpha() and len(p) > 1]
        if len(parts) >= 2:
            names.append((" ".join(parts), not has_display_name))  # jeff.skilling@ -> "jeff skilling"
    return names


def _own_signature(signature: Signature, message: _Message) -> bool:
    """A signature whose name line (if any) is the sender's."""
    return not (signature.name and message.sender_name and not names_match(signature.name, message.sender_name))


def _message_write(*, activity: Activity, analysis: TextAnalysis, message: _Message, resolver: _Resolver) -> GraphWrite:
    write = GraphWrite()
    comm_id = activity.key
    bulk = is_bulk(activity)
    write.entities.append(
        AnalysedCommunication(
            id=comm_id,
            channel=activity.channel,
            source=activity.source,
            timestamp=activity.timestamp,
            sentiment=analysis.sentiment,
            # A newsletter's "click here" and "reply UNSUBSCRIBE" are nobody's to-do.
            action_items=[] if bulk else [item.render() for item in analysis.actions],
            language=analysis.language,
            nlp_truncated=analysis.truncated,
        )
    )
    _mentions(write, comm_id=comm_id, analysis=analysis, resolver=resolver)
    _about(write, comm_id=comm_id, analysis=analysis, resolver=resolver)
    _relations(write, activity=activity, analysis=analysis, resolver=resolver)
    if analysis.signature is not None and not bulk:
        _signature(write, activity=activity, signature=analysis.signature, resolver=resolver)
    return write


def is_bulk(activity: Activity) -> bool:
    """Whether an activity is broadcast mail (a list, a newsletter, an automated sender) rather than personal.

    Its footer is not a personal signature and its imperatives are not requests to anyone.
    """
    metadata = activity.metadata
    if "list_id" in metadata or "list_unsubscribe" in metadata:
        return True
    if metadata.get("precedence", "").lower() in ("bulk", "list", "junk"):
        return True
    recipients = sum(1 for p in activity.participants if p.role in (Role.TO, Role.CC, Role.BCC))
    if recipients > BULK_RECIPIENTS:
        return True
    return any(
        _AUTOMATED_SENDER.match(p.email.split("@", 1)[0]) for p in activity.senders() if p.email and "@" in p.email
    )


def _mentions(write: GraphWrite, *, comm_id: str, analysis: TextAnalysis, resolver: _Resolver) -> None:
    people: dict[str, tuple[int, str]] = {}
    companies: dict[str, tuple[int, str]] = {}
    for mention in analysis.entities:
        if mention.label == "PERSON" or (mention.label == "ORG" and resolver.is_person_name(mention.text)):
            person_id = resolver.person(mention.text)
            if person_id is None:
                continue
            if len(mention.text.split()) > 1 and resolver.from_address_only(mention.text):
                # Known only by an address ("lucy.park@...") until the text names them.
                write.entities.append(Person(id=person_id, name=mention.text))
            if person_id in resolver.message.participant_ids:
                continue
            count, name = people.get(person_id, (0, mention.text))
            people[person_id] = (count + mention.count, name)
        elif mention.label == "ORG":
            resolved = resolver.company(mention.text, create=_strong_org(mention))
            if resolved is None:
                continue
            company_id, entity = resolved
            if entity is not None:
                write.entities.append(entity)
            count, name = companies.get(company_id, (0, mention.text))
            companies[company_id] = (count + mention.count, name)
    for label, found in ((NodeLabel.PERSON, people), (NodeLabel.COMPANY, companies)):
        for node_id, (count, name) in found.items():
            write.edges.append(
                Edge(
                    type=RelType.MENTIONS,
                    src_label=NodeLabel.COMMUNICATION,
                    src_id=comm_id,
                    dst_label=label,
                    dst_id=node_id,
                    props={"count": count, "text": name},
                    provenance=[SOURCE],
                )
            )


def _about(write: GraphWrite, *, comm_id: str, analysis: TextAnalysis, resolver: _Resolver) -> None:
    entity_keys = {mention.key for mention in analysis.entities if mention.label != "DATE"}
    for phrase in analysis.topics:
        if (
            phrase.kind == "topic"
            and phrase.node_id is None
            and (
                resolver.is_person_name(phrase.name)
                or resolver.is_company_name(phrase.name)
                or normalise_name(phrase.name) in entity_keys
            )
        ):
            continue  # "Hana Sato" or "SportsPro Asia Summit" in a subject is an entity, not a topic
        label = NodeLabel.PROJECT if phrase.kind == "project" else NodeLabel.TOPIC
        if phrase.node_id is None:
            # Nodes found in the graph are linked, not rewritten (a Topic's name would be overwritten).
            if phrase.kind == "project":
                write.entities.append(Project(id=phrase.id, name=phrase.name, sources=[SOURCE]))
            else:
                write.entities.append(Topic(id=phrase.id, name=phrase.name, sources=[SOURCE]))
        write.edges.append(
            Edge(
                type=RelType.ABOUT,
                src_label=NodeLabel.COMMUNICATION,
                src_id=comm_id,
                dst_label=label,
                dst_id=phrase.id,
                props={"in_subject": phrase.in_subject},
                provenance=[SOURCE],
            )
        )


def _relations(write: GraphWrite, *, activity: Activity, analysis: TextAnalysis, resolver: _Resolver) -> None:
    for intro in analysis.relations.introductions:
        introducer = resolver.person(intro.introducer)
        person = resolver.person(intro.person)
        target = resolver.person(intro.to)
        if introducer is None or person is None or target is None or len({introducer, person, target}) < 3:
            continue
        for dst, other in ((person, target), (target, person)):
            write.edges.append(
                Edge(
                    type=RelType.INTRODUCED,
                    src_label=NodeLabel.PERSON,
                    src_id=introducer,
                    dst_label=NodeLabel.PERSON,
                    dst_id=dst,
                    props={
                        "introduced_to": other,
                        "observed_at": activity.timestamp,
                        "evidence": intro.evidence[:_MAX_EVIDENCE],
                        "source_communication": activity.key,
                        "confidence": intro.confidence,
                        "pattern": intro.pattern,
                    },
                    provenance=[SOURCE],
                )
            )
    for job in analysis.relations.employments:
        person_id = resolver.person(job.person)
        resolved = resolver.company(job.company)
        if person_id is None or resolved is None:
            continue
        company_id, entity = resolved
        if entity is not None:
            write.entities.append(entity)
        props: dict[str, PropValue] = {
            "title": job.title,
            "role": job.role,
            "valid_from": activity.timestamp if job.started else None,
            "evidence": job.evidence[:_MAX_EVIDENCE],
            "source_communication": activity.key,
            "confidence": job.confidence,
            "source": SOURCE,
        }
        write.edges.append(_works_at(person_id, company_id, props))


def _signature(write: GraphWrite, *, activity: Activity, signature: Signature, resolver: _Resolver) -> None:
    message = resolver.message
    if message.sender_id is None or not _own_signature(signature, message):
        return  # someone else's signature (an assistant sending for their boss, a pasted card)
    if signature.title or signature.phones:
        write.entities.append(Person(id=message.sender_id, title=signature.title, phones=list(signature.phones)))
    if not signature.company:
        return
    resolved = resolver.sender_company(signature.company)
    if resolved is None:
        return
    company_id, entity = resolved
    if entity is not None:
        write.entities.append(entity)
    free_mail = not (message.sender_email and company_domain(message.sender_email))
    props: dict[str, PropValue] = {
        "title": signature.title,
        "evidence": " | ".join(signature.lines)[:_MAX_EVIDENCE],
        "source_communication": activity.key,
        "confidence": _SIGNATURE_FREE_MAIL_CONFIDENCE if free_mail else _SIGNATURE_CONFIDENCE,
        "source": "signature",
    }
    write.edges.append(_works_at(message.sender_id, company_id, props))


def _works_at(person_id: str, company_id: str, props: dict[str, PropValue]) -> Edge:
    return Edge(
        type=RelType.WORKS_AT,
        src_label=NodeLabel.PERSON,
        src_id=person_id,
        dst_label=NodeLabel.COMPANY,
        dst_id=company_id,
        props={k: v for k, v in props.items() if v is not None},
        provenance=[SOURCE],
    )


def _strongest_edges(edges: list[Edge]) -> list[Edge]:
    """One edge per key: the most confident one (a signature beats a guess from prose), else the first."""
    best: dict[tuple[str, str, str], Edge] = {}
    for edge in edges:
        previous = best.get(edge.key)
        if previous is None or _confidence(edge) > _confidence(previous):
            best[edge.key] = edge
    return list(best.values())


def _confidence(edge: Edge) -> float:
    value = edge.props.get("confidence")
    return float(value) if isinstance(value, int | float) else 0.0


def _unique(ids: set[str]) -> str | None:
    return next(iter(ids)) if len(ids) == 1 else None


def _company_key(name: str) -> str:
    key = normalise_name(name)
    return key[4:] if key.startswith("the ") else key


def _company_worthy(text: str) -> bool:
    """Whether an ORG name is worth a new ``Company`` node."""
    words = normalise_name(text).split()
    if not words or len(words) > 6 or _YEAR.search(text) or _NOT_COMPANY_TEXT.search(text):
        return False  # "AFC Asian Cup 2027" is an event, "Q3 2001 Report" a document
    if " ".join(words) in _NOT_COMPANY_NAMES or all(word in _NOT_COMPANY_WORDS for word in words):
        return False  # "Thank You"; "Media Rights", "Production": a department or a kind of deal
    if len(words) == 1 and text.isupper() and len(text) < 3:
        return False  # "TX", "MW", "TD": states, units and abbreviations far more often than companies
    return not text.islower()


def _strong_org(mention: EntityMention) -> bool:
    """Whether NER's ORG guess is firm enough to create a company: a single capitalised word
    ("Defense", "Cowboys") is one only when it is an acronym, CamelCase, in the subject or repeated."""
    text = mention.text
    if len(text.split()) > 1 or mention.in_subject or mention.count > 1:
        return True
    return text.isupper() or any(ch.isupper() for ch in text[1:])


def make_enricher(*, store: GraphStore, settings: Settings) -> NlpEnricher:
    """The enricher the CLI and demo use, configured from settings.

    Reads ``nlp_batch_size``, ``nlp_processes`` and ``nlp_max_chars`` when ``Settings``
    has them; otherwise batches of 256, up to two processes and 2,000 characters.
    """
    processes = getattr(settings, "nlp_processes", None) or min(2, os.cpu_count() or 1)
    return NlpEnricher(
        store=store,
        batch_size=int(getattr(settings, "nlp_batch_size", 256)),
        n_process=int(processes),
        max_chars=int(getattr(settings, "nlp_max_chars", MAX_NLP_CHARS)),
    )
