"""Companies from e-mail domains, and ``WORKS_AT`` edges derived from who wrote from where.

An address at ``mail.enron.com`` says its owner works at Enron; one at ``aol.com``
says nothing about an employer. :func:`company_domain` turns an address into the
registrable company domain (or ``None`` for free-mail, ISPs and mail services), and
:func:`derive_employment` writes ``Company`` nodes and dated ``WORKS_AT`` edges.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from tellgraph.resolution.names import word_set
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Company, Edge, Entity, Person, company_id_for

if TYPE_CHECKING:
    from tellgraph.graph.store import GraphStore

logger = logging.getLogger(__name__)

SOURCE = "email-domain"
"""Provenance of everything :func:`derive_employment` writes."""

# Registrable domains whose users are the public, not staff: web mail, ISPs and mail
# services. An address there names no employer.
FREE_MAIL_DOMAINS = word_set(
    """
    gmail.com googlemail.com yahoo.com ymail.com rocketmail.com hotmail.com outlook.com live.com msn.com
    aol.com aim.com icloud.com me.com mac.com mail.com email.com gmx.com gmx.net gmx.de web.de
    protonmail.com proton.me pm.me tutanota.com tuta.io zoho.com zohomail.com fastmail.com fastmail.fm
    hushmail.com yandex.com yandex.ru mail.ru inbox.ru bk.ru list.ru rambler.ru qq.com 163.com 126.com
    sina.com sohu.com naver.com daum.net hanmail.net rediffmail.com lycos.com excite.com juno.com
    netzero.net netzero.com earthlink.net mindspring.com comcast.net verizon.net att.net sbcglobal.net
    bellsouth.net cox.net charter.net optonline.net rr.com swbell.net pacbell.net flash.net prodigy.net
    compuserve.com home.com concentric.net ev1.net wt.net airmail.net ghg.net qwest.net msn.net
    netscape.net netscape.com worldnet.att.net usa.net altavista.com hotbot.com bigfoot.com iname.com
    mailinator.com guerrillamail.com yahoogroups.com googlegroups.com groups.io onmicrosoft.com
    t-online.de orange.fr wanadoo.fr free.fr laposte.net libero.it virgilio.it btinternet.com
    ntlworld.com blueyonder.co.uk sky.com talktalk.net shaw.ca rogers.com sympatico.ca telus.net
    bigpond.com bigpond.net.au optusnet.com.au xtra.co.nz netcom.com webtv.net pdq.net gateway.net
    texas.net uswest.net ameritech.net mediaone.net attbi.com adelphia.net cableone.net freeserve.co.uk
    tiscali.co.uk
    """
)
# Universities give addresses to students and alumni as well as to staff: an academic
# address next to a company one is no sign of two different people.
ACADEMIC_SUFFIXES = (".edu", ".ac.uk", ".edu.au", ".ac.jp", ".ac.nz", ".ac.za", ".ac.in")


def is_academic(domain: str) -> bool:
    """Whether ``domain`` belongs to a university (``.edu``, ``.ac.uk``, ...)."""
    return domain.strip().lower().endswith(ACADEMIC_SUFFIXES)


# Brands whose every national domain is free mail (gmx.at, yahoo.co.uk, hotmail.fr...).
FREE_MAIL_BRANDS = word_set("gmail googlemail yahoo ymail hotmail outlook live gmx aol protonmail yandex tutanota zoho")
# Second-level labels under which country domains register names (acme.co.uk, acme.com.au).
_COUNTRY_SLDS = word_set("co com net org gov ac edu ltd plc ne or go mil nom sch gob gv nic")


@lru_cache(maxsize=50_000)
def registrable_domain(domain: str) -> str | None:
    """The domain a company registers: ``mail.enron.com`` → ``enron.com``, ``a.b.acme.co.uk`` → ``acme.co.uk``.

    Returns ``None`` for things that are not internet domains (Notes' ``ENRON``,
    ``localhost``, IP addresses). Country second-level domains are recognised by
    rule (a two-letter top-level domain under ``co``/``com``/``org``/...), which
    covers the common cases without the Public Suffix List.
    """
    labels = [label for label in domain.strip().strip(".").lower().split(".") if label]
    if len(labels) < 2 or not all(_valid_label(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None  # an IP address
    tld = labels[-1]
    if len(tld) == 2 and len(labels) >= 3 and labels[-2] in _COUNTRY_SLDS:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


# A DNS label: letters (any script) and digits, inner hyphens, at most 63 characters.
_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?")


def _valid_label(label: str) -> bool:
    return _LABEL.fullmatch(label) is not None


@lru_cache(maxsize=50_000)
def is_free_mail(domain: str) -> bool:
    """Whether addresses at ``domain`` belong to the public (web mail, ISPs) rather than an organisation."""
    host = domain.strip().lower()
    registrable = registrable_domain(host)
    if registrable is None:
        return True
    if host in FREE_MAIL_DOMAINS or registrable in FREE_MAIL_DOMAINS:
        return True
    return registrable.split(".", 1)[0] in FREE_MAIL_BRANDS


@lru_cache(maxsize=100_000)
def company_domain(email_or_domain: str) -> str | None:
    """The company domain an address or domain points at, or ``None`` (free mail, not a domain).

    ``jeff@mail.enron.com`` → ``enron.com``; ``bob@aol.com`` → ``None``.
    """
    value = email_or_domain.strip().lower()
    domain = value.rpartition("@")[2]
    if not domain or is_free_mail(domain):
        return None
    return registrable_domain(domain)


def company_name_from_domain(domain: str) -> str:
    """A display name when nothing better is known: ``enron.com`` → ``Enron``, ``ibm.com`` → ``IBM``.

    Short names (three letters or fewer) are usually acronyms and are upper-cased;
    hyphens become spaces (``duke-energy.com`` → ``Duke Energy``).
    """
    registrable = registrable_domain(domain) or domain.strip().lower()
    stem = registrable.split(".", 1)[0]
    words = [word for word in stem.replace("_", "-").split("-") if word]
    if not words:
        return registrable
    return " ".join(word.upper() if len(word) <= 3 else word[:1].upper() + word[1:] for word in words)


@dataclass
class _Span:
    first: datetime | None = None
    last: datetime | None = None
    count: int = 0

    def see(self, when: datetime) -> None:
        self.first = when if self.first is None or when < self.first else self.first
        self.last = when if self.last is None or when > self.last else self.last
        self.count += 1


def _people(store: GraphStore, page: int = 1000) -> Iterable[Person]:
    after: str | None = None
    while True:
        nodes = store.list_nodes(label=NodeLabel.PERSON, after=after, limit=page)
        for node in nodes:
            yield Person.from_props(node.id, node.props)
        if len(nodes) < page:
            return
        after = nodes[-1].id


def derive_employment(store: GraphStore, *, now: datetime) -> tuple[list[Entity], list[Edge]]:
    """``Company`` nodes and ``WORKS_AT`` edges (person → company) from people's company addresses.

    Every company domain among a person's ``emails`` gives one edge whose
    ``valid_from``/``valid_to`` are the first and last e-mail that person sent or
    received. The activity log does not record which of a person's addresses a
    message used, so a person with addresses at two companies gets the same span on
    both edges; the span is left out for people with no e-mail at all.

    Idempotent: the same store gives the same entities and edges, and upserting them
    twice changes nothing. A ``WORKS_AT`` edge another source wrote (a CRM import
    with a title) keeps its ``source``; only the span and provenance are added.
    People who have no ``company_domain`` yet get one (the first, alphabetically, when they
    have addresses at several companies).

    Args:
        store: the graph to read.
        now: the time of the run; messages dated after it (bogus future dates) do not count.

    Returns:
        ``(entities, edges)`` to pass to ``store.write_batch(..., now=now)``.
    """
    spans: dict[str, _Span] = {}
    for interaction in store.iter_interactions():
        if interaction.channel != "email" or interaction.timestamp > now:
            continue
        people = {*interaction.senders, *(person for person, _ in interaction.recipients)}
        for person_id in people:
            spans.setdefault(person_id, _Span()).see(interaction.timestamp)

    companies: dict[str, Company] = {}
    entities: list[Entity] = []
    edges: list[Edge] = []
    for person in _people(store):
        domains = sorted({d for d in (company_domain(email) for email in person.emails) if d})
        if not domains:
            continue
        span = spans.get(person.id, _Span())
        for domain in domains:
            company_id = company_id_for(domain)
            if company_id not in companies:
                companies[company_id] = Company(
                    id=company_id, name=company_name_from_domain(domain), domain=domain, sources=[SOURCE]
                )
            props: dict[str, object] = {"valid_from": span.first, "valid_to": span.last}
            if span.count:
                props["email_count"] = span.count
            existing = store.get_edge(
                rel_type=RelType.WORKS_AT,
                src_label=NodeLabel.PERSON,
                src_id=person.id,
                dst_label=NodeLabel.COMPANY,
                dst_id=company_id,
            )
            if existing is None or existing.props.get("source") in (None, SOURCE):
                props["source"] = SOURCE
            edges.append(
                Edge(
                    type=RelType.WORKS_AT,
                    src_label=NodeLabel.PERSON,
                    src_id=person.id,
                    dst_label=NodeLabel.COMPANY,
                    dst_id=company_id,
                    props={k: v for k, v in props.items() if v is not None},  # type: ignore[misc]
                    provenance=[SOURCE],
                )
            )
        if person.company_domain is None:
            # With several company addresses there is no telling which is current (they
            # share one span), so take a stable choice rather than none.
            entities.append(Person(id=person.id, company_domain=domains[0]))
    logger.info("derived %s companies and %s WORKS_AT edges", len(companies), len(edges))
    return [*companies.values(), *entities], edges
