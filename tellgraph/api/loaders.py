"""DataLoaders, created per request: every resolver asks for what it needs, one store call per batch.

A page of 50 people with their companies, tie counts and first relationships
costs one store call per *kind* of thing, not per person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import TypeVar

from strawberry.dataloader import DataLoader

from tellgraph.api.runner import StoreRunner
from tellgraph.graph.queries import CompanyQuery, CompanyRow, Participation, PersonQuery, PersonRow
from tellgraph.graph.store import GraphStore, Neighbour, TiePage
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node

K = TypeVar("K", bound=Hashable)
RELATIONSHIP_PROPS = (
    "strength",
    "interaction_count",
    "first_interaction",
    "last_interaction",
    "sentiment",
    "trend",
    "next_contact_due",
    "channels",
    "explanation",
    "score_*",
)
"""What the ``Relationship`` type shows of a KNOWS edge (scoring stores many more properties)."""
MAX_EMPLOYMENTS = 20


def _employment_start(tie: Neighbour) -> datetime | None:
    for name in ("valid_from", "observed_at", "created_at"):
        value = tie.edge.props.get(name)
        if isinstance(value, datetime):
            return value
    return None


def current_employer(ties: Sequence[Neighbour]) -> Node | None:
    """The company a person works at now: a WORKS_AT without an end date, the most recent first."""
    current = [t for t in ties if t.node.label is NodeLabel.COMPANY and t.edge.props.get("valid_to") is None]
    if not current:
        return None
    current.sort(key=lambda t: t.node.id)
    dated = [t for t in current if _employment_start(t) is not None]
    if dated:
        return max(dated, key=lambda t: _employment_start(t)).node  # type: ignore[arg-type,return-value]
    return current[0].node


def _email_domain(person: Node) -> str | None:
    for email in person.props.get("emails") or []:
        _, _, domain = str(email).rpartition("@")
        if domain:
            return domain.lower()
    return None


def _by_limit(keys: Sequence[tuple[str, int]]) -> dict[int, list[str]]:
    """Page keys grouped by page size: one store call per size."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for node_id, limit in keys:
        grouped[limit].append(node_id)
    return grouped


class Loaders:
    """The request's loaders over one store, through the request's store runner."""

    def __init__(self, *, store: GraphStore, run: StoreRunner) -> None:
        self._store = store
        self._run = run
        self.person: DataLoader[str, Node | None] = DataLoader(load_fn=self._people)
        self.node: DataLoader[str, Node | None] = DataLoader(load_fn=self._nodes)
        self.employer: DataLoader[str, Node | None] = DataLoader(load_fn=self._employers)
        self.relationships: DataLoader[tuple[str, int], TiePage | None] = DataLoader(load_fn=self._relationships)
        self.knows_degree: DataLoader[str, int] = DataLoader(load_fn=self._knows_degrees)
        self.person_metrics: DataLoader[str, PersonRow | None] = DataLoader(load_fn=self._person_metrics)
        self.company_metrics: DataLoader[str, CompanyRow | None] = DataLoader(load_fn=self._company_metrics)
        self.participants: DataLoader[str, list[Participation]] = DataLoader(load_fn=self._participants)
        self.employees: DataLoader[tuple[str, int], list[Neighbour]] = DataLoader(load_fn=self._employees)
        self.employee_count: DataLoader[str, int] = DataLoader(load_fn=self._employee_counts)

    async def _people(self, ids: list[str]) -> list[Node | None]:
        found = {n.id: n for n in await self._run(self._store.get_nodes, label=NodeLabel.PERSON, ids=ids)}
        return [found.get(i) for i in ids]

    async def _nodes(self, ids: list[str]) -> list[Node | None]:
        found = {n.id: n for n in await self._run(self._store.find_by_ids, ids=ids)}
        return [found.get(i) for i in ids]

    async def _employers(self, ids: list[str]) -> list[Node | None]:
        ties = await self._run(
            self._store.neighbours_many,
            label=NodeLabel.PERSON,
            node_ids=ids,
            rel_types=[RelType.WORKS_AT],
            limit=MAX_EMPLOYMENTS,
        )
        employers = {i: current_employer(ties.get(i, [])) for i in ids}
        missing = [i for i, company in employers.items() if company is None]
        if missing:
            # No recorded employer: fall back to a company whose domain is the person's email domain.
            people = await self.person.load_many(missing)
            domains = {p.id: d for p in people if p is not None and (d := _email_domain(p))}
            if domains:
                companies = await self._run(
                    self._store.lookup_nodes,
                    label=NodeLabel.COMPANY,
                    prop="domain",
                    values=sorted(set(domains.values())),
                )
                by_domain = {c.props.get("domain"): c for c in companies}
                for person_id, domain in domains.items():
                    employers[person_id] = by_domain.get(domain)
        return [employers[i] for i in ids]

    async def _grouped_neighbours(
        self,
        keys: list[tuple[str, int]],
        *,
        label: NodeLabel,
        rel_type: RelType,
        edge_props: Sequence[str] | None = None,
    ) -> list[list[Neighbour]]:
        results: dict[tuple[str, int], list[Neighbour]] = {}
        for limit, node_ids in _by_limit(keys).items():
            found = await self._run(
                self._store.neighbours_many,
                label=label,
                node_ids=node_ids,
                rel_types=[rel_type],
                limit=limit,
                edge_props=edge_props,
            )
            for node_id in node_ids:
                results[(node_id, limit)] = found.get(node_id, [])
        return [results[k] for k in keys]

    async def _relationships(self, keys: list[tuple[str, int]]) -> list[TiePage | None]:
        # One round trip gives the person, their first ties and their tie count, so a
        # person page costs one store call and the other loaders learn the rest.
        results: dict[tuple[str, int], TiePage | None] = {}
        for limit, node_ids in _by_limit(keys).items():
            pages = await self._run(
                self._store.tie_pages,
                label=NodeLabel.PERSON,
                node_ids=node_ids,
                rel_types=[RelType.KNOWS],
                limit=limit,
                edge_props=RELATIONSHIP_PROPS,
            )
            for node_id in node_ids:
                page = results[(node_id, limit)] = pages.get(node_id)
                if page is not None:
                    self.person.prime(node_id, page.node)
                    self.knows_degree.prime(node_id, page.total)
                    self.prime_people([t.node for t in page.ties])
        return [results[k] for k in keys]

    async def _employees(self, keys: list[tuple[str, int]]) -> list[list[Neighbour]]:
        return await self._grouped_neighbours(keys, label=NodeLabel.COMPANY, rel_type=RelType.WORKS_AT)

    async def _employee_counts(self, ids: list[str]) -> list[int]:
        found = await self._run(
            self._store.degrees, label=NodeLabel.COMPANY, node_ids=ids, rel_types=[RelType.WORKS_AT]
        )
        return [found.get(i, 0) for i in ids]

    async def _knows_degrees(self, ids: list[str]) -> list[int]:
        found = await self._run(self._store.degrees, label=NodeLabel.PERSON, node_ids=ids, rel_types=[RelType.KNOWS])
        return [found.get(i, 0) for i in ids]

    async def _person_metrics(self, ids: list[str]) -> list[PersonRow | None]:
        page = await self._run(self._store.query_people, query=PersonQuery(ids=ids, limit=len(ids)))
        found = {row.node.id: row for row in page.rows}
        return [found.get(i) for i in ids]

    async def _company_metrics(self, ids: list[str]) -> list[CompanyRow | None]:
        page = await self._run(self._store.query_companies, query=CompanyQuery(ids=ids, limit=len(ids)))
        found = {row.node.id: row for row in page.rows}
        return [found.get(i) for i in ids]

    async def _participants(self, ids: list[str]) -> list[list[Participation]]:
        found = await self._run(self._store.participants_of, comm_ids=ids)
        return [found.get(i, []) for i in ids]

    def prime_people(self, nodes: Sequence[Node]) -> None:
        """Remember people already read (so a later ``person.load`` costs nothing)."""
        for node in nodes:
            if node.label is NodeLabel.PERSON:
                self.person.prime(node.id, node)

    def prime_person_rows(self, rows: Sequence[PersonRow]) -> None:
        """Remember people and their metrics from a list query."""
        for row in rows:
            self.person.prime(row.node.id, row.node)
            self.person_metrics.prime(row.node.id, row)
            self.knows_degree.prime(row.node.id, row.degree)

    def prime_company_rows(self, rows: Sequence[CompanyRow]) -> None:
        """Remember companies' metrics from a list query."""
        for row in rows:
            self.company_metrics.prime(row.node.id, row)
