"""Company signals: tenure, likely job changes, budget seasons."""

from __future__ import annotations

from datetime import UTC, datetime

from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Company, Edge, Person, StoredEdge
from tellgraph.scoring.company import budget_season, company_signals, job_changes, tenures_from_edges


def d(y: int, m: int, day: int = 1) -> datetime:
    return datetime(y, m, day, tzinfo=UTC)


def works(person: str, company: str, start: datetime | None, end: datetime | None) -> StoredEdge:
    props = {k: v for k, v in {"valid_from": start, "valid_to": end}.items() if v is not None}
    return StoredEdge(type=RelType.WORKS_AT, src_id=person, dst_id=company, props=props)


def test_tenure_and_job_changes() -> None:
    edges = [
        works("ann", "old", d(2020, 1), d(2023, 6)),
        works("ann", "new", d(2023, 5), d(2024, 12)),
        works("bo", "x", d(2020, 1), d(2024, 1)),
        works("bo", "y", d(2020, 2), d(2024, 1)),  # both for years: a consultant, not a move
        works("cy", "z", None, d(2024, 1)),  # no start: no tenure
    ]
    tenures = tenures_from_edges(edges)
    assert [(t.person_id, t.company_id) for t in tenures] == [("ann", "old"), ("ann", "new"), ("bo", "x"), ("bo", "y")]
    assert tenures[0].days == (d(2023, 6) - d(2020, 1)).days
    [change] = job_changes(tenures, names={"old": "Oldco", "new": "Newco"})
    assert (change.person_id, change.from_company, change.to_company) == ("ann", "old", "new")
    assert change.around == d(2023, 5)
    assert "Oldco" in change.evidence and "Newco" in change.evidence


def test_budget_season() -> None:
    april = budget_season(company_id="c", company_name="Acme", fiscal_year_start_month=4, at=d(2026, 2, 10))
    assert april.in_season and april.fiscal_year_start == d(2026, 4) and april.planning_from == d(2026, 1)
    assert "now" in april.message
    later = budget_season(company_id="c", company_name="Acme", fiscal_year_start_month=4, at=d(2026, 5, 1))
    assert not later.in_season and later.fiscal_year_start == d(2027, 4)
    assert later.days_until_planning == (d(2027, 1) - d(2026, 5, 1)).days
    january = budget_season(company_id="c", company_name=None, fiscal_year_start_month=1, at=d(2026, 11, 15))
    assert january.in_season and january.planning_from == d(2026, 10)


def test_company_signals_from_the_store() -> None:
    store = MemoryStore()
    store.upsert_entities(
        entities=[
            Person(id="ann", name="Ann"),
            Company(id="old", name="Oldco"),
            Company(id="new", name="Newco", fiscal_year_start_month=7),
        ]
    )
    store.upsert_edges(
        edges=[
            Edge(
                type=RelType.WORKS_AT,
                src_label=NodeLabel.PERSON,
                src_id="ann",
                dst_label=NodeLabel.COMPANY,
                dst_id=c,
                props={"valid_from": s, "valid_to": e},
            )
            for c, s, e in (("old", d(2020, 1), d(2023, 6)), ("new", d(2023, 5), d(2024, 12)))
        ],
        now=d(2025, 1),
    )
    signals = company_signals(store, at=d(2026, 5, 1))
    assert len(signals.tenures) == 2
    assert signals.job_changes[0].to_company == "new"
    [season] = signals.budget_seasons
    assert season.company_name == "Newco" and season.in_season
