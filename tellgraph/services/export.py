"""CSV exports of people and relationships, safe to open in a spreadsheet.

Every text cell a spreadsheet could read as a formula (one starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return, after any leading spaces) is written with a
leading ``'``, so ``=HYPERLINK(...)`` taken from an email signature or a CRM export
shows as text instead of running. Numbers, booleans and dates are written as themselves.
Names, emails and notes come from outside sources, so every export goes through
:func:`safe_cell`; the bulk-import CSVs of :mod:`tellgraph.graph.neo4j_bulk` are input
for Neo4j's importer, not for people, and must stay byte-exact.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TextIO

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, StoredEdge

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet treat a cell as a formula (OWASP's list)."""

PAGE = 1000


class ExportKind(StrEnum):
    """What ``tellgraph export`` writes."""

    PEOPLE = "people"
    RELATIONSHIPS = "relationships"


PEOPLE_COLUMNS = (
    "id",
    "name",
    "emails",
    "company",
    "company_domain",
    "title",
    "phones",
    "linkedin_url",
    "is_team",
    "relationships",
)
RELATIONSHIP_COLUMNS = (
    "a_id",
    "a_name",
    "a_email",
    "b_id",
    "b_name",
    "b_email",
    "strength",
    "interaction_count",
    "first_interaction",
    "last_interaction",
    "sentiment",
    "trend",
    "next_contact_due",
    "explanation",
)
_KNOWS_PROPS = RELATIONSHIP_COLUMNS[6:]


def safe_cell(value: Any) -> str | int | float:
    """One cell: text a spreadsheet would evaluate gets a leading ``'``; lists are joined with ``; ``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = "; ".join(str(item) for item in value if item is not None)
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS) or text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _writer(out: TextIO) -> Any:
    # Excel-compatible quoting; \r\n line ends as RFC 4180 asks.
    return csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")


def _people_pages(store: GraphStore) -> Iterator[list[Node]]:
    after: str | None = None
    while True:
        page = store.list_nodes(label=NodeLabel.PERSON, after=after, limit=PAGE)
        if not page:
            return
        yield page
        after = page[-1].id


def _company_names(store: GraphStore, domains: Sequence[str]) -> dict[str, str]:
    if not domains:
        return {}
    found = store.lookup_nodes(label=NodeLabel.COMPANY, prop="domain", values=list(domains), limit=len(domains) * 2)
    return {str(n.props["domain"]): str(n.props.get("name") or "") for n in found if n.props.get("domain")}


def export_people(store: GraphStore, *, out: TextIO) -> int:
    """Write every person as one CSV row (erased people keep only their id); returns the number of rows."""
    writer = _writer(out)
    writer.writerow(PEOPLE_COLUMNS)
    rows = 0
    for page in _people_pages(store):
        domains = sorted({str(n.props["company_domain"]) for n in page if n.props.get("company_domain")})
        companies = _company_names(store, domains)
        degrees = store.degrees(label=NodeLabel.PERSON, node_ids=[n.id for n in page], rel_types=[RelType.KNOWS])
        for node in page:
            props = node.props
            domain = props.get("company_domain")
            record = {
                "id": node.id,
                "name": props.get("name"),
                "emails": props.get("emails"),
                "company": companies.get(str(domain)) if domain else None,
                "company_domain": domain,
                "title": props.get("title"),
                "phones": props.get("phones"),
                "linkedin_url": props.get("linkedin_url"),
                "is_team": props.get("is_team"),
                "relationships": degrees.get(node.id, 0),
            }
            writer.writerow([safe_cell(record[column]) for column in PEOPLE_COLUMNS])
            rows += 1
    return rows


def _edge_batches(store: GraphStore) -> Iterator[list[StoredEdge]]:
    batch: list[StoredEdge] = []
    for edge in store.iter_edges(rel_type=RelType.KNOWS, batch_size=PAGE):
        batch.append(edge)
        if len(batch) >= PAGE:
            yield batch
            batch = []
    if batch:
        yield batch


def export_relationships(store: GraphStore, *, out: TextIO) -> int:
    """Write every KNOWS tie (both people, strength and its history) as one CSV row; returns the number of rows."""
    writer = _writer(out)
    writer.writerow(RELATIONSHIP_COLUMNS)
    rows = 0
    for batch in _edge_batches(store):
        ids = sorted({i for edge in batch for i in (edge.src_id, edge.dst_id)})
        people = {n.id: n.props for n in store.get_nodes(label=NodeLabel.PERSON, ids=ids)}
        for edge in batch:
            a, b = people.get(edge.src_id, {}), people.get(edge.dst_id, {})
            record: dict[str, Any] = {
                "a_id": edge.src_id,
                "a_name": a.get("name"),
                "a_email": (a.get("emails") or [None])[0],
                "b_id": edge.dst_id,
                "b_name": b.get("name"),
                "b_email": (b.get("emails") or [None])[0],
            }
            record.update({name: edge.props.get(name) for name in _KNOWS_PROPS})
            writer.writerow([safe_cell(record[column]) for column in RELATIONSHIP_COLUMNS])
            rows += 1
    return rows


def export_csv(store: GraphStore, *, kind: ExportKind, out: TextIO) -> int:
    """Write the ``kind`` export as CSV to ``out``; returns the number of data rows."""
    if kind is ExportKind.PEOPLE:
        return export_people(store, out=out)
    return export_relationships(store, out=out)
