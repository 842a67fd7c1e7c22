"""Read services over the graph: people, companies, relationships and warm-intro paths.

Functions take the store and keyword-only arguments and return domain models;
the API layer maps them to GraphQL types and errors.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from tellgraph.errors import InvalidInput, NotFound
from tellgraph.graph.queries import PersonQuery
from tellgraph.graph.store import GraphPath, GraphStore, Neighbour
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, StoredEdge, identity_key

MAX_REF_LENGTH = 320
MAX_TEAM = 50
MAX_TARGETS = 200
_DOMAIN = re.compile(r"^(?=.{3,253}$)[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)+$")


def _clean_ref(ref: str, *, field: str, what: str) -> str:
    ref = ref.strip()
    if not ref or len(ref) > MAX_REF_LENGTH:
        raise InvalidInput(field, f"give {what}")
    return ref


def looks_like_domain(ref: str) -> bool:
    """Whether ``ref`` reads as an internet domain (``the-afc.example``), not an id or an address."""
    return "@" not in ref and bool(_DOMAIN.fullmatch(ref.strip().lower()))


def resolve_person(store: GraphStore, *, ref: str) -> Node:
    """A person by id (``p_...``) or by any of their email addresses.

    Raises:
        InvalidInput: an empty or oversized reference.
        NotFound: nobody has that id or address.
    """
    ref = _clean_ref(ref, field="person", what="an email address or a person id")
    if "@" in ref:
        found = store.resolve_identities(keys=[identity_key("email", ref)])
        person_id = found.get(identity_key("email", ref))
        if person_id is None:
            raise NotFound("person", ref)
        ref = person_id
    nodes = store.get_nodes(label=NodeLabel.PERSON, ids=[ref])
    if not nodes:
        raise NotFound("person", ref)
    return nodes[0]


def resolve_people(store: GraphStore, *, refs: list[str]) -> list[Node]:
    """Several people in the order given, with one lookup for all addresses and one for all ids.

    Raises:
        InvalidInput: an empty or oversized reference.
        NotFound: the first reference that names nobody.
    """
    cleaned = [_clean_ref(ref, field="person", what="an email address or a person id") for ref in refs]
    keys = {ref: identity_key("email", ref) for ref in cleaned if "@" in ref}
    found = store.resolve_identities(keys=sorted(set(keys.values()))) if keys else {}
    ids = {ref: (found.get(keys[ref], "") if ref in keys else ref) for ref in cleaned}
    wanted = sorted({i for i in ids.values() if i})
    nodes = {n.id: n for n in store.get_nodes(label=NodeLabel.PERSON, ids=wanted)} if wanted else {}
    people = []
    for ref in cleaned:
        node = nodes.get(ids[ref])
        if node is None:
            raise NotFound("person", ref)
        people.append(node)
    return people


def resolve_company(store: GraphStore, *, ref: str) -> Node:
    """A company by id (``c_...``) or by its domain.

    Raises:
        InvalidInput: an empty or oversized reference.
        NotFound: no company has that id or domain.
    """
    ref = _clean_ref(ref, field="company", what="a company domain or id")
    nodes = store.get_nodes(label=NodeLabel.COMPANY, ids=[ref])
    if nodes:
        return nodes[0]
    if looks_like_domain(ref):
        found = store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain", values=[ref.lower()], limit=1)
        if found:
            return found[0]
    raise NotFound("company", ref)


class Relationship(BaseModel):
    """The KNOWS edge between two people, oriented from ``a`` to ``b``."""

    a: Node
    b: Node
    edge: StoredEdge | None


def relationship(store: GraphStore, *, a: str, b: str) -> Relationship:
    """The relationship between two people (``edge`` is None when they never interacted)."""
    person_a, person_b = resolve_person(store, ref=a), resolve_person(store, ref=b)
    edge = store.get_edge(
        rel_type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id=person_a.id,
        dst_label=NodeLabel.PERSON,
        dst_id=person_b.id,
    )
    return Relationship(a=person_a, b=person_b, edge=edge)


def relationships_of(store: GraphStore, *, person_id: str, limit: int) -> list[Neighbour]:
    """A person's KNOWS ties, strongest first."""
    return store.neighbours(label=NodeLabel.PERSON, node_id=person_id, rel_types=[RelType.KNOWS], limit=limit)


class IntroTarget(BaseModel):
    """Whom a warm introduction should reach: one person, or the current people of a company."""

    kind: Literal["person", "company"]
    ref: str
    company: Node | None = None
    people: list[Node]

    @property
    def label(self) -> str:
        """A name for messages."""
        if self.kind == "person":
            return self.people[0].name or self.ref
        if self.company is not None:
            return self.company.name or self.company.props.get("domain") or self.ref
        return self.ref


def company_people(store: GraphStore, *, company: Node | None, domain: str | None) -> list[Node]:
    """The current people of a company: ``WORKS_AT`` without an end date, plus addresses at its domain."""
    found: dict[str, Node] = {}
    if company is not None:
        page = store.query_people(query=PersonQuery(company_id=company.id, limit=MAX_TARGETS))
        found.update((row.node.id, row.node) for row in page.rows)
        domain = domain or company.props.get("domain")
    if domain:
        page = store.query_people(query=PersonQuery(email_domain=domain, limit=MAX_TARGETS))
        found.update((row.node.id, row.node) for row in page.rows)
    return [found[i] for i in sorted(found)][:MAX_TARGETS]


def resolve_target(store: GraphStore, *, ref: str) -> IntroTarget:
    """A person (email or id) or a company (domain or id) for ``warmIntroPaths(to:)``.

    Raises:
        InvalidInput: an empty or oversized reference.
        NotFound: no person or company matches.
    """
    ref = _clean_ref(ref, field="to", what="a person (email or id) or a company (domain or id)")
    if "@" in ref:
        return IntroTarget(kind="person", ref=ref, people=[resolve_person(store, ref=ref)])
    found = store.find_by_ids(ids=[ref], labels=[NodeLabel.PERSON, NodeLabel.COMPANY])
    if found and found[0].label is NodeLabel.PERSON:
        return IntroTarget(kind="person", ref=ref, people=found)
    if found:
        company = found[0]
        people = company_people(store, company=company, domain=None)
        return IntroTarget(kind="company", ref=ref, company=company, people=people)
    if looks_like_domain(ref):
        domain = ref.lower()
        companies = store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain", values=[domain], limit=1)
        at_domain = companies[0] if companies else None
        people = company_people(store, company=at_domain, domain=domain)
        if at_domain is not None or people:
            return IntroTarget(kind="company", ref=ref, company=at_domain, people=people)
    raise NotFound("person or company", ref)


def warm_intro_paths(
    store: GraphStore, *, sources: list[str], target: str, max_hops: int, first: int, min_strength: float = 0.0
) -> tuple[list[GraphPath], dict[str, Node]]:
    """Ranked paths from anyone in ``sources`` to ``target`` (a person or a company), with every node on them.

    The raw ranking by the product of strengths; :func:`tellgraph.services.intros.find_intro_paths`
    adds staleness, sentiment and near-duplicate collapsing on top.
    """
    team = resolve_team(store, refs=sources)
    goal = resolve_target(store, ref=target)
    paths = store.k_best_paths(
        sources=[p.id for p in team],
        targets=[p.id for p in goal.people],
        max_hops=max_hops,
        k=first,
        min_strength=min_strength,
        with_nodes=True,
    )
    return paths, {n.id: n for path in paths for n in path.nodes}


def _check_team_size(refs: list[str]) -> None:
    if not refs:
        raise InvalidInput("from", "name at least one team member")
    if len(refs) > MAX_TEAM:
        raise InvalidInput("from", f"at most {MAX_TEAM} team members")


def resolve_team(store: GraphStore, *, refs: list[str]) -> list[Node]:
    """The team a warm path starts from: at least one person, at most :data:`MAX_TEAM`, duplicates dropped."""
    _check_team_size(refs)
    team = {p.id: p for p in resolve_people(store, refs=refs)}
    return list(team.values())


def resolve_intro_ends(store: GraphStore, *, team: list[str], target: str) -> tuple[list[Node], IntroTarget]:
    """:func:`resolve_team` and :func:`resolve_target` together, in one lookup when every reference is an id.

    Ids are what a frontend sends back once it has shown people, so the usual warm-path
    request costs one round trip before the search instead of two. Addresses, domains and
    companies take the separate lookups (same answers, same errors).
    """
    _check_team_size(team)
    cleaned = [_clean_ref(ref, field="person", what="an email address or a person id") for ref in team]
    goal = _clean_ref(target, field="to", what="a person (email or id) or a company (domain or id)")
    if any("@" in ref for ref in [*cleaned, goal]):
        return resolve_team(store, refs=team), resolve_target(store, ref=target)
    found = {n.id: n for n in store.get_nodes(label=NodeLabel.PERSON, ids=sorted({*cleaned, goal}))}
    members: dict[str, Node] = {}
    for ref in cleaned:
        if ref not in found:
            raise NotFound("person", ref)
        members.setdefault(ref, found[ref])
    if goal in found:
        return list(members.values()), IntroTarget(kind="person", ref=goal, people=[found[goal]])
    return list(members.values()), resolve_target(store, ref=target)


def explain_path(path: GraphPath, nodes: dict[str, Node]) -> str:
    """A path in words: who introduces whom, and how strong each tie is."""
    names = [nodes[i].name or i if i in nodes else i for i in path.node_ids]
    if path.length == 1:
        return f"{names[0]} knows {names[1]} directly (strength {path.hops[0].strength:.2f})."
    steps = ", who knows ".join(f"{names[i + 1]} (strength {hop.strength:.2f})" for i, hop in enumerate(path.hops))
    return f"{names[0]} knows {steps}. Overall score {path.score:.3f}."
