"""Connections nobody logged: ``INFERRED_KNOWS`` edges with their evidence and a confidence.

Four kinds of evidence, each for pairs with no observed tie (no KNOWS edge):

- ``co_attendance``: both ATTENDED (or organised) the same event of at most
  :data:`EVENT_LIMIT` people; smaller events say more.
- ``shared_thread``: both took part in the same conversation (a thread with at
  least two messages and at most :data:`THREAD_LIMIT` people) without writing to
  each other: co-recipients, or one Cc'd while the other answered.
- ``same_company``: WORKS_AT the same company of at most :data:`COMPANY_LIMIT`
  people, in overlapping periods (both spans known); at a big employer sharing
  a payroll says nothing.
- ``mutual_connections``: at least ``k`` common neighbours to whom both have a
  strong observed tie (strength >= :data:`STRONG_TIE`).

Each piece of evidence has a confidence; a pair's confidence is
``1 - prod(1 - c)``, capped at :data:`MAX_CONFIDENCE` because an inference is
never as sure as an observation. Inferred edges are a separate relationship type
and are never merged into KNOWS.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from typing import Any

from tellgraph.graph.store import Interaction
from tellgraph.scoring.contacts import Pair, pair_key

EVENT_LIMIT = 60
THREAD_LIMIT = 10
COMPANY_LIMIT = 25
STRONG_TIE = 0.5
MUTUAL_MIN = 2
MUTUAL_HUB_LIMIT = 200
"""People with more strong ties than this are hubs: every pair of their contacts would share them."""
MAX_CONFIDENCE = 0.9
MAX_EVIDENCE = 5
"""Evidence strings kept per edge (the confidence uses all of it)."""


@dataclass
class Attendance:
    """An event and who attended it."""

    event_id: str
    name: str
    starts_at: datetime | None
    people: set[str] = field(default_factory=set)


@dataclass
class ThreadMembers:
    """Who took part in one conversation, and how long it ran."""

    messages: int = 0
    first_comm: str = ""
    first: datetime | None = None
    people: set[str] = field(default_factory=set)

    def add(self, comm: Interaction) -> None:
        """Count one more message and its participants."""
        self.messages += 1
        if self.first is None or comm.timestamp < self.first:
            self.first, self.first_comm = comm.timestamp, comm.id
        self.people.update(comm.senders)
        self.people.update(person for person, _ in comm.recipients)
        self.people.update(comm.participants)


class ThreadCollector:
    """Gathers thread membership while the communications stream past (see ``build_contacts``)."""

    def __init__(self) -> None:
        self.threads: dict[str, ThreadMembers] = {}

    def __call__(self, comm: Interaction) -> None:
        if comm.thread_key:
            self.threads.setdefault(comm.thread_key, ThreadMembers()).add(comm)


@dataclass
class Employment:
    """One WORKS_AT span."""

    person: str
    company: str
    company_name: str
    valid_from: datetime
    valid_to: datetime


@dataclass
class Inferred:
    """The evidence gathered for one pair."""

    confidences: list[float] = field(default_factory=list)
    evidence: list[tuple[float, str]] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)

    def add(self, method: str, confidence: float, text: str) -> None:
        """One more piece of evidence."""
        self.methods.add(method)
        self.confidences.append(confidence)
        self.evidence.append((confidence, text))

    @property
    def confidence(self) -> float:
        """Independent pieces of evidence combined, capped below certainty."""
        return min(MAX_CONFIDENCE, 1.0 - math.prod(1.0 - c for c in self.confidences))

    def props(self, *, as_of: datetime | None, inferred_at: datetime) -> dict[str, Any]:
        """Flat edge properties."""
        best = sorted(self.evidence, key=lambda item: (-item[0], item[1]))[:MAX_EVIDENCE]
        return {
            "confidence": round(self.confidence, 6),
            "evidence": [text for _, text in best],
            "evidence_count": len(self.evidence),
            "inferred_by": sorted(self.methods),
            "as_of": as_of,
            "inferred_at": inferred_at,
        }


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else "undated"


def co_attendance(events: Iterable[Attendance], *, observed: set[Pair], found: dict[Pair, Inferred]) -> None:
    """Evidence from events both attended: confidence ``1 / sqrt(attendees)``, at most 0.5."""
    for event in events:
        size = len(event.people)
        if not 2 <= size <= EVENT_LIMIT:
            continue
        confidence = min(0.5, 1.0 / math.sqrt(size))
        text = f"both attended {event.name!r} ({_day(event.starts_at)}, {size} attendees)"
        for x, y in combinations(sorted(event.people), 2):
            if (x, y) not in observed:
                found.setdefault((x, y), Inferred()).add("co_attendance", confidence, text)


def shared_threads(
    threads: Mapping[str, ThreadMembers],
    *,
    observed: set[Pair],
    found: dict[Pair, Inferred],
    subjects: Mapping[str, str] | None = None,
) -> None:
    """Evidence from conversations both took part in: confidence ``0.6 / people``, at most 0.3."""
    for key, thread in threads.items():
        size = len(thread.people)
        if thread.messages < 2 or not 2 <= size <= THREAD_LIMIT:
            continue
        confidence = min(0.3, 0.6 / size)
        subject = (subjects or {}).get(thread.first_comm)
        name = repr(subject) if subject else f"thread {key[:14]}"
        text = f"both in the conversation {name} ({thread.messages} messages from {_day(thread.first)})"
        for x, y in combinations(sorted(thread.people), 2):
            if (x, y) not in observed:
                found.setdefault((x, y), Inferred()).add("shared_thread", confidence, text)


def same_company(spans: Iterable[Employment], *, observed: set[Pair], found: dict[Pair, Inferred]) -> None:
    """Evidence from overlapping employment at a small company: confidence 0.25, or 0.15 above 10 people."""
    by_company: dict[str, list[Employment]] = defaultdict(list)
    for span in spans:
        by_company[span.company].append(span)
    for staff in by_company.values():
        people = {s.person for s in staff}
        if not 2 <= len(people) <= COMPANY_LIMIT:
            continue
        confidence = 0.25 if len(people) <= 10 else 0.15
        for first, second in combinations(sorted(staff, key=lambda s: s.person), 2):
            if first.person == second.person:
                continue
            start = max(first.valid_from, second.valid_from)
            end = min(first.valid_to, second.valid_to)
            if start > end:
                continue
            pair = pair_key(first.person, second.person)
            if pair in observed:
                continue
            text = f"both at {first.company_name} from {_day(start)} to {_day(end)}"
            found.setdefault(pair, Inferred()).add("same_company", confidence, text)


def mutual_candidates(
    strengths: Mapping[Pair, float], *, observed: set[Pair], k: int = MUTUAL_MIN
) -> dict[Pair, list[str]]:
    """Pairs with ``k`` or more strong common ties, with those common people (hubs skipped)."""
    strong: dict[str, set[str]] = defaultdict(set)
    for (a, b), strength in strengths.items():
        if strength >= STRONG_TIE:
            strong[a].add(b)
            strong[b].add(a)
    common: dict[Pair, list[str]] = defaultdict(list)
    for middle, ties in strong.items():
        if len(ties) > MUTUAL_HUB_LIMIT:
            continue
        for x, y in combinations(sorted(ties), 2):
            if (x, y) not in observed:
                common[(x, y)].append(middle)
    return {pair: sorted(middles) for pair, middles in common.items() if len(middles) >= k}


def mutual_connections(
    candidates: Mapping[Pair, list[str]], *, found: dict[Pair, Inferred], names: Mapping[str, str] | None = None
) -> None:
    """Evidence from strong common ties: confidence ``1 - 0.85 ** common``."""
    for pair, middles in candidates.items():
        shown = ", ".join((names or {}).get(m) or m for m in middles[:3])
        more = f" and {len(middles) - 3} more" if len(middles) > 3 else ""
        text = f"{len(middles)} strong mutual connections ({shown}{more})"
        found.setdefault(pair, Inferred()).add("mutual_connections", 1.0 - 0.85 ** len(middles), text)
