"""Company signals where the data has them: tenure, likely job changes, budget seasons.

- **Tenure** comes from ``WORKS_AT`` spans (``valid_from``/``valid_to``: the first
  and last mail a person sent or received while holding an address there).
- **A likely job change** is a person whose mail from a new company domain starts
  at least :data:`MIN_MOVE_DAYS` after the old one started, while the old one
  stops within :data:`MAX_OVERLAP_DAYS` of the new one starting (someone who
  keeps both addresses for months is more likely a consultant than a mover).
- **Budget season** is the :data:`PLANNING_MONTHS` months before a company's
  fiscal year starts (``Company.fiscal_year_start_month``): when asks for next
  year's money get made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import StoredEdge, as_utc

MIN_MOVE_DAYS = 30
MAX_OVERLAP_DAYS = 60
PLANNING_MONTHS = 3
_PAGE = 1000


class Tenure(BaseModel):
    """How long a person has been seen at a company."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    company_id: str
    valid_from: datetime
    valid_to: datetime

    @property
    def days(self) -> int:
        """Length of the span in whole days."""
        return int((self.valid_to - self.valid_from).total_seconds() // 86_400)


class JobChange(BaseModel):
    """A person who probably moved from one company to another."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    from_company: str
    to_company: str
    around: datetime
    evidence: str


class BudgetSeason(BaseModel):
    """When a company plans next year's budget, seen from ``at``."""

    model_config = ConfigDict(frozen=True)

    company_id: str
    company_name: str | None
    fiscal_year_start: datetime
    planning_from: datetime
    in_season: bool
    days_until_planning: int
    message: str


class CompanySignals(BaseModel):
    """Everything :func:`company_signals` found."""

    tenures: list[Tenure] = Field(default_factory=list)
    job_changes: list[JobChange] = Field(default_factory=list)
    budget_seasons: list[BudgetSeason] = Field(default_factory=list)


def tenures_from_edges(edges: Iterable[StoredEdge]) -> list[Tenure]:
    """Tenures from ``WORKS_AT`` edges that carry both ends of their span."""
    out = []
    for edge in edges:
        start, end = edge.props.get("valid_from"), edge.props.get("valid_to")
        if isinstance(start, datetime) and isinstance(end, datetime) and start <= end:
            out.append(Tenure(person_id=edge.src_id, company_id=edge.dst_id, valid_from=start, valid_to=end))
    return sorted(out, key=lambda t: (t.person_id, t.valid_from, t.company_id))


def job_changes(tenures: Iterable[Tenure], *, names: dict[str, str] | None = None) -> list[JobChange]:
    """Likely moves: a new company's span starts well after, and soon before the end of, an old one."""
    by_person: dict[str, list[Tenure]] = defaultdict(list)
    for tenure in tenures:
        by_person[tenure.person_id].append(tenure)
    label = names or {}
    out = []
    for person, spans in sorted(by_person.items()):
        spans.sort(key=lambda t: (t.valid_from, t.company_id))
        for old, new in pairwise(spans):
            if old.company_id == new.company_id:
                continue
            started_later = new.valid_from - old.valid_from >= timedelta(days=MIN_MOVE_DAYS)
            old_faded = old.valid_to <= new.valid_from + timedelta(days=MAX_OVERLAP_DAYS)
            if started_later and old_faded and old.valid_to <= new.valid_to:
                a, b = label.get(old.company_id, old.company_id), label.get(new.company_id, new.company_id)
                out.append(
                    JobChange(
                        person_id=person,
                        from_company=old.company_id,
                        to_company=new.company_id,
                        around=new.valid_from,
                        evidence=(
                            f"mail at {a} from {old.valid_from.date()} to {old.valid_to.date()}, "
                            f"then at {b} from {new.valid_from.date()}"
                        ),
                    )
                )
    return out


def budget_season(
    *, company_id: str, company_name: str | None, fiscal_year_start_month: int, at: datetime
) -> BudgetSeason:
    """The next fiscal-year start after ``at`` and the planning months before it."""
    at = as_utc(at)
    start = datetime(at.year, fiscal_year_start_month, 1, tzinfo=UTC)
    if start <= at:
        start = start.replace(year=at.year + 1)
    month0 = start.month - 1 - PLANNING_MONTHS
    planning_from = datetime(start.year + month0 // 12, month0 % 12 + 1, 1, tzinfo=UTC)
    in_season = planning_from <= at < start
    days = max(0, (planning_from - at).days)
    name = company_name or company_id
    when = "now" if in_season else f"from {planning_from:%B %Y} (in {days} days)"
    return BudgetSeason(
        company_id=company_id,
        company_name=company_name,
        fiscal_year_start=start,
        planning_from=planning_from,
        in_season=in_season,
        days_until_planning=0 if in_season else days,
        message=f"{name}'s fiscal year starts {start:%B %Y}; budgets for it are planned {when}.",
    )


def company_signals(store: GraphStore, *, at: datetime) -> CompanySignals:
    """Tenures, likely job changes and budget seasons across the graph, seen from ``at``."""
    tenures = tenures_from_edges(store.iter_edges(rel_type=RelType.WORKS_AT))
    names: dict[str, str] = {}
    seasons = []
    after: str | None = None
    while True:
        page = store.list_nodes(label=NodeLabel.COMPANY, after=after, limit=_PAGE)
        for node in page:
            if node.name:
                names[node.id] = node.name
            month = node.props.get("fiscal_year_start_month")
            if isinstance(month, int) and 1 <= month <= 12:
                seasons.append(
                    budget_season(company_id=node.id, company_name=node.name, fiscal_year_start_month=month, at=at)
                )
        if len(page) < _PAGE:
            break
        after = page[-1].id
    seasons.sort(key=lambda s: (not s.in_season, s.days_until_planning, s.company_id))
    return CompanySignals(tenures=tenures, job_changes=job_changes(tenures, names=names), budget_seasons=seasons)
