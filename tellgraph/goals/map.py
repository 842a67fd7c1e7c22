"""The goal map: who matters for a goal, how the team reaches them, and what to do next.

Built from the graph in a fixed number of store calls (plus a few per key person),
so it runs the same way on Neo4j and on the embedded store:

1. **Key people**: the goal's target people, and the people at its target
   companies (``WORKS_AT``, or an address at the company's domain) ranked by
   their title (:mod:`tellgraph.goals.roles`). Name duplicates that resolution
   has not merged yet are shown once, with all their ids.
2. **Reach**: each team member's direct ``KNOWS`` ties, and the best warm path
   to every key person (one ``k_best_paths`` call over all of them).
3. **Coverage**: the share of key people reached directly or by a path whose
   score (product of strengths) is at least ``threshold``.
4. **Gaps**: targets with nobody known, key people with no path or only weak
   ones, decision-makers nobody on the team knows directly, direct ties gone
   cold (long silence, or ``at_risk`` from scoring when present).
5. **Communications, projects, momentum, stalls**: the key people's recent
   communications, scored by graph proximity and similarity to the goal; activity
   over 30/90 days against the period before; threads where the last word is
   ours and nobody answered (or theirs and we did not) for ``stall_days``.
6. **Next steps**: who should contact whom, through whom, why, and why now.
7. **History**: earlier snapshots (:mod:`tellgraph.goals.snapshots`), so momentum
   and stalls compare with the past.
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from tellgraph.goals.embedding import Embedder, cosine
from tellgraph.goals.models import (
    Changes,
    CommView,
    Coverage,
    Gap,
    GapKind,
    GoalMap,
    GoalRecord,
    HopView,
    KeyPerson,
    Momentum,
    NextStep,
    PathView,
    PersonRef,
    PersonStatus,
    ProjectView,
    SnapshotView,
    Stall,
    StallKind,
    TargetView,
    TieView,
)
from tellgraph.goals.roles import role_score
from tellgraph.goals.service import get_goal
from tellgraph.goals.snapshots import list_snapshots
from tellgraph.goals.text import STOPWORDS, days_between, fold, short_date, words
from tellgraph.graph.store import MAX_PATHS, GraphPath, GraphStore, Interaction
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Node, stable_id

_TALK_CHANNELS = frozenset({"email", "chat"})


class GoalMapOptions(BaseModel):
    """Knobs of the goal map; the defaults suit a small team's weekly rhythm."""

    threshold: float = Field(default=0.25, ge=0.0, le=1.0)
    """A path (or tie) at or above this score counts as warm."""
    max_hops: int = Field(default=3, ge=1, le=4)
    min_tie: float = Field(default=0.05, ge=0.0, le=1.0)
    """Ties weaker than this are not walked."""
    stall_days: int = Field(default=14, ge=1)
    stall_max_days: int = Field(default=150, ge=1)
    """Threads silent for longer are abandoned, not stalled."""
    cold_days: int = Field(default=60, ge=1)
    lookback_days: int = Field(default=180, ge=30)
    people_per_company: int = Field(default=12, ge=1, le=200)
    max_communications: int = Field(default=15, ge=0, le=200)
    max_projects: int = Field(default=10, ge=0, le=200)
    max_next_steps: int = Field(default=10, ge=0, le=100)
    semantic: bool = True
    """Use the embedder (when one is given) for communications and projects."""


@dataclass
class _Candidate:
    node: Node
    ids: list[str]
    title: str | None = None
    company_id: str | None = None
    company_name: str | None = None
    targeted: bool = False
    evidence: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    events: list[Node] = field(default_factory=list)


class _Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = round((now - self.last) * 1000, 2)
        self.last = now

    def total(self) -> dict[str, float]:
        return {**self.marks, "total": round((time.perf_counter() - self.started) * 1000, 2)}


def _name_key(node: Node) -> str | None:
    name = node.name or ""
    if "@" in name or len(name.split()) < 2:
        return None
    return fold(name)


def _person_label(node: Node | None, fallback: str) -> str:
    if node is None:
        return fallback
    emails = node.props.get("emails") or []
    return node.name or (emails[0] if emails else fallback)


# -- key people -----------------------------------------------------------------------------


def _collect_people(
    store: GraphStore, record: GoalRecord, options: GoalMapOptions
) -> tuple[dict[str, _Candidate], dict[str, list[str]], dict[str, list[Node]], dict[str, Node]]:
    """Key people by primary id, the people of each target company, signals per target and target nodes."""
    team = set(record.team_ids)
    raw: dict[str, _Candidate] = {}
    company_people: dict[str, list[str]] = defaultdict(list)
    signals: dict[str, list[Node]] = defaultdict(list)
    target_nodes: dict[str, Node] = {}
    company_domains: dict[str, str] = {}

    for target in record.targets:
        if target.label is NodeLabel.COMPANY:
            found = store.get_nodes(label=NodeLabel.COMPANY, ids=[target.id])
            if not found:
                continue
            company = found[0]
            target_nodes[company.id] = company
            domain = target.domain or company.props.get("domain")
            if domain:
                company_domains[company.id] = domain
            employees: list[tuple[float, str, Node, str | None]] = []
            for neighbour in store.neighbours(
                label=NodeLabel.COMPANY,
                node_id=company.id,
                rel_types=[RelType.WORKS_AT, RelType.CONCERNS],
                limit=2000,
            ):
                other = neighbour.node
                if neighbour.edge.type is RelType.CONCERNS:
                    if other.label is NodeLabel.SIGNAL:
                        signals[company.id].append(other)
                    continue
                if other.label is not NodeLabel.PERSON or other.id in team:
                    continue
                title = neighbour.edge.props.get("title") or other.props.get("title")
                employees.append((role_score(title).score, other.id, other, title))
            if domain:
                known = {e[1] for e in employees}
                for person in store.people_at_domain(domain=domain, limit=500):
                    if person.id not in known and person.id not in team:
                        title = person.props.get("title")
                        employees.append((role_score(title).score, person.id, person, title))
            employees.sort(key=lambda e: (-e[0], e[2].name or "", e[1]))
            for score, pid, node, title in employees[: options.people_per_company * 2]:
                candidate = raw.setdefault(pid, _Candidate(node=node, ids=[pid]))
                candidate.title = candidate.title or title
                candidate.company_id = company.id
                candidate.company_name = company.name
                how = "works at" if score or title else "has an address at"
                candidate.evidence.append(
                    f"{_person_label(node, pid)} {how} {company.name or company.id}" + (f" as {title}" if title else "")
                )
        elif target.label is NodeLabel.PROJECT:
            found = store.get_nodes(label=NodeLabel.PROJECT, ids=[target.id])
            if found:
                target_nodes[target.id] = found[0]

    person_targets = [t for t in record.targets if t.label is NodeLabel.PERSON]
    for node in store.get_nodes(label=NodeLabel.PERSON, ids=[t.id for t in person_targets]):
        target_nodes[node.id] = node
        if node.id in team:
            continue
        candidate = raw.setdefault(node.id, _Candidate(node=node, ids=[node.id]))
        candidate.targeted = True
        candidate.evidence.insert(0, f"{_person_label(node, node.id)} is a target of the goal")

    # One batched call gives every key person's employer, projects and events.
    around = (
        store.neighbours_many(
            label=NodeLabel.PERSON,
            node_ids=list(raw),
            rel_types=[RelType.WORKS_AT, RelType.WORKED_ON, RelType.ATTENDED, RelType.ORGANIZED, RelType.CONCERNS],
            limit=200,
        )
        if raw
        else {}
    )
    for pid, candidate in raw.items():
        for neighbour in around.get(pid, []):
            other, edge = neighbour.node, neighbour.edge
            if edge.type is RelType.WORKS_AT and other.label is NodeLabel.COMPANY:
                if candidate.company_id is None or candidate.company_id == other.id:
                    candidate.company_id = candidate.company_id or other.id
                    candidate.company_name = candidate.company_name or other.name
                    candidate.title = candidate.title or edge.props.get("title")
            elif edge.type is RelType.WORKED_ON and other.label is NodeLabel.PROJECT:
                candidate.projects.append(other.id)
            elif edge.type in (RelType.ATTENDED, RelType.ORGANIZED) and other.label is NodeLabel.EVENT:
                candidate.events.append(other)
            elif edge.type is RelType.CONCERNS and other.label is NodeLabel.SIGNAL:
                signals[pid].append(other)
        candidate.title = candidate.title or candidate.node.props.get("title")
        if candidate.company_id is None:
            emails = candidate.node.props.get("emails") or []
            for company_id, domain in company_domains.items():
                if any(e.endswith("@" + domain) for e in emails):
                    candidate.company_id = company_id
                    candidate.company_name = target_nodes[company_id].name
        if candidate.company_id in target_nodes and pid not in company_people[candidate.company_id]:
            company_people[candidate.company_id].append(pid)

    # Merge name duplicates (a LinkedIn "Hana Sato" without an address and the mail one).
    merged: dict[str, _Candidate] = {}
    by_name: dict[tuple[str | None, str], str] = {}
    ordered = sorted(
        raw.values(),
        key=lambda c: (not c.targeted, not (c.node.props.get("emails") or []), c.node.id),
    )
    for candidate in ordered:
        key = _name_key(candidate.node)
        slot = (candidate.company_id, key) if key else None
        if slot is not None and slot in by_name:
            primary = merged[by_name[slot]]
            primary.ids.append(candidate.node.id)
            primary.title = primary.title or candidate.title
            primary.targeted = primary.targeted or candidate.targeted
            primary.evidence.extend(e for e in candidate.evidence if e not in primary.evidence)
            primary.projects.extend(candidate.projects)
            primary.events.extend(candidate.events)
            continue
        if slot is not None:
            by_name[slot] = candidate.node.id
        merged[candidate.node.id] = candidate
    for company_id, ids in company_people.items():
        company_people[company_id] = sorted(
            {i for i in ids if i in merged} | {p for p, c in merged.items() if c.company_id == company_id}
        )
    return merged, company_people, signals, target_nodes


# -- reach ----------------------------------------------------------------------------------


TIE_PROPS = ("strength", "interaction_count", "last_interaction", "at_risk", "risk_reasons", "next_contact_due")
"""The KNOWS properties a tie view reads: the rest of a scored edge (breakdown, history) stays in the database."""


def _tie_view(member: Node, props: dict[str, Any], *, now: datetime, options: GoalMapOptions) -> TieView:
    last = props.get("last_interaction")
    days = days_between(now, last) if isinstance(last, datetime) else None
    at_risk = bool(props.get("at_risk"))
    reasons = [str(r) for r in props.get("risk_reasons") or []]
    cold = at_risk or (days is not None and days >= options.cold_days)
    if days is not None and days >= options.cold_days:
        reasons.append(f"no contact for {days} days")
    due = props.get("next_contact_due")
    return TieView(
        team_member=PersonRef.from_node(member),
        strength=float(props.get("strength") or 0.0),
        interaction_count=int(props.get("interaction_count") or 0),
        last_interaction=last if isinstance(last, datetime) else None,
        days_since=days,
        cold=cold,
        at_risk=at_risk,
        next_contact_due=due if isinstance(due, datetime) else None,
        reasons=reasons,
    )


def _explain(path: GraphPath, names: dict[str, str]) -> str:
    labels = [names.get(i, i) for i in path.node_ids]
    if path.length == 1:
        return f"{labels[0]} knows {labels[1]} directly (strength {path.hops[0].strength:.2f})."
    steps = ", who knows ".join(f"{labels[i + 1]} (strength {hop.strength:.2f})" for i, hop in enumerate(path.hops))
    return f"{labels[0]} knows {steps}. Path score {path.score:.3f}."


def _path_view(path: GraphPath, names: dict[str, str]) -> PathView:
    return PathView(
        score=round(path.score, 6),
        node_ids=path.node_ids,
        names=[names.get(i, i) for i in path.node_ids],
        hops=[
            HopView(src_id=h.src_id, dst_id=h.dst_id, strength=h.strength, last_interaction=h.last_interaction)
            for h in path.hops
        ],
        explanation=_explain(path, names),
    )


def _best_paths(
    store: GraphStore, *, team_ids: list[str], people: dict[str, _Candidate], options: GoalMapOptions
) -> dict[str, GraphPath]:
    """The best path to each key person: one search over all of them, then single searches for any crowded out."""
    owner_of = {i: pid for pid, c in people.items() for i in c.ids}
    if not team_ids or not owner_of:
        return {}
    paths = store.k_best_paths(
        sources=team_ids, targets=sorted(owner_of), max_hops=options.max_hops, k=MAX_PATHS, min_strength=options.min_tie
    )
    best: dict[str, GraphPath] = {}
    for path in paths:
        best.setdefault(owner_of[path.node_ids[-1]], path)
    if len(paths) >= MAX_PATHS:
        for pid, candidate in people.items():
            if pid not in best:
                single = store.k_best_paths(
                    sources=team_ids,
                    targets=candidate.ids,
                    max_hops=options.max_hops,
                    k=1,
                    min_strength=options.min_tie,
                )
                if single:
                    best[pid] = single[0]
    return best


# -- communications -------------------------------------------------------------------------


def _goal_terms(record: GoalRecord) -> set[str]:
    text = " ".join(filter(None, [record.goal.name, record.goal.description, *(t.name or "" for t in record.targets)]))
    return {w for w in words(text) if len(w) > 2 and w not in STOPWORDS}


def _lexical(terms: set[str], text: str) -> float:
    found = {w for w in words(text) if w in terms}
    if not found:
        return 0.0
    return min(1.0, len(found) / 4)


# -- the map --------------------------------------------------------------------------------


def goal_map(
    store: GraphStore,
    *,
    goal_id: str,
    now: datetime,
    options: GoalMapOptions | None = None,
    embedder: Embedder | None = None,
) -> GoalMap:
    """The goal map of ``goal_id`` as of ``now`` (see the module docstring for what it holds).

    Args:
        store: the graph.
        goal_id: the goal.
        now: the clock; every "days since" and window is measured from it.
        options: thresholds and limits.
        embedder: adds semantic similarity for communications and projects.

    Raises:
        NotFound: no goal has that id.
    """
    options = options or GoalMapOptions()
    timer = _Timer()
    record = get_goal(store, goal_id=goal_id)
    team_ids = record.team_ids
    team = set(team_ids)
    team_nodes = {n.id: n for n in store.get_nodes(label=NodeLabel.PERSON, ids=team_ids)}
    timer.mark("goal")

    people, company_people, signals, target_nodes = _collect_people(store, record, options)
    timer.mark("people")

    # Direct ties: one neighbours call per team member.
    ties: dict[str, list[TieView]] = defaultdict(list)
    owner_of = {i: pid for pid, c in people.items() for i in c.ids}
    known = (
        store.neighbours_many(
            label=NodeLabel.PERSON,
            node_ids=[m for m in team_ids if m in team_nodes],
            rel_types=[RelType.KNOWS],
            limit=5000,
            edge_props=TIE_PROPS,
        )
        if team_nodes
        else {}
    )
    for member_id in team_ids:
        member = team_nodes.get(member_id)
        if member is None:
            continue
        for neighbour in known.get(member_id, []):
            pid = owner_of.get(neighbour.node.id)
            if pid is not None:
                ties[pid].append(_tie_view(member, neighbour.edge.props, now=now, options=options))
    for pid in ties:
        # Keep the strongest tie per team member when a person has duplicate nodes.
        strongest: dict[str, TieView] = {}
        for tie in sorted(ties[pid], key=lambda t: -t.strength):
            strongest.setdefault(tie.team_member.id, tie)
        ties[pid] = sorted(strongest.values(), key=lambda t: (-t.strength, t.team_member.id))
    best = _best_paths(store, team_ids=team_ids, people=people, options=options)
    path_ids = sorted({i for p in best.values() for i in p.node_ids} - set(team_nodes))
    names = {
        n.id: _person_label(n, n.id)
        for n in [*team_nodes.values(), *store.get_nodes(label=NodeLabel.PERSON, ids=path_ids)]
    }
    timer.mark("reach")

    key_people: list[KeyPerson] = []
    for pid, candidate in people.items():
        role = role_score(candidate.title)
        direct = ties.get(pid, [])
        path = best.get(pid)
        if direct and direct[0].strength >= options.threshold:
            status = PersonStatus.DIRECT
        elif path is not None and path.score >= options.threshold:
            status = PersonStatus.WARM
        elif path is not None or direct:
            status = PersonStatus.WEAK
        else:
            status = PersonStatus.NONE
        evidence = list(candidate.evidence)
        evidence.append(role.explain(candidate.title))
        evidence += [
            f"{t.team_member.label} knows them (strength {t.strength:.2f}, {t.interaction_count} communications, "
            f"last {short_date(t.last_interaction)})"
            for t in direct[:3]
        ]
        if path is not None and path.length > 1:
            evidence.append(_explain(path, names))
        key_people.append(
            KeyPerson(
                person=PersonRef.from_node(candidate.node, title=candidate.title),
                ids=candidate.ids,
                company_id=candidate.company_id,
                company_name=candidate.company_name,
                role_score=role.score,
                seniority=role.seniority,
                decision_maker=role.decision_maker,
                targeted=candidate.targeted,
                status=status,
                best_path=_path_view(path, names) if path is not None else None,
                direct_ties=direct,
                evidence=evidence,
            )
        )
    # Importance: named targets and senior titles first.
    key_people.sort(key=lambda k: (-(k.role_score + (0.5 if k.targeted else 0.0)), k.person.label, k.person.id))
    # Each target company shows its most senior people only.
    kept: list[KeyPerson] = []
    per_company: dict[str | None, int] = defaultdict(int)
    for person in key_people:
        if not person.targeted and per_company[person.company_id] >= options.people_per_company:
            continue
        per_company[person.company_id] += 1
        kept.append(person)
    key_people = kept
    by_id = {k.person.id: k for k in key_people}

    covered_people = [k for k in key_people if k.status in (PersonStatus.DIRECT, PersonStatus.WARM)]
    direct_count = sum(1 for k in key_people if k.status is PersonStatus.DIRECT)
    total = len(key_people)
    ratio = round(len(covered_people) / total, 4) if total else 0.0
    coverage = Coverage(
        threshold=options.threshold,
        covered=len(covered_people),
        direct=direct_count,
        total=total,
        ratio=ratio,
        explanation=(
            f"{len(covered_people)} of {total} key people are reached by a tie or path of score "
            f"≥ {options.threshold:.2f} ({direct_count} directly)."
            if total
            else "The goal has no key people yet: add target people or companies."
        ),
    )

    # -- communications, momentum, stalls --
    since = now - timedelta(days=options.lookback_days)
    key_ids = sorted({i for k in key_people for i in k.ids})
    project_ids = [t.id for t in record.targets if t.label is NodeLabel.PROJECT]
    about_ids: set[str] = set()
    for project_id in project_ids:
        for neighbour in store.neighbours(
            label=NodeLabel.PROJECT, node_id=project_id, rel_types=[RelType.ABOUT], limit=500
        ):
            if neighbour.node.label is NodeLabel.COMMUNICATION:
                about_ids.add(neighbour.node.id)
    interactions = [
        i
        for i in store.find_interactions(person_ids=key_ids, comm_ids=sorted(about_ids), since=since, limit=5000)
        if i.timestamp <= now
    ]
    timer.mark("communications")
    key_set = set(key_ids)
    details = {n.id: n for n in store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[i.id for i in interactions[:400]])}
    goal_terms = _goal_terms(record)
    semantic_scores: dict[str, float] = {}
    goal_vector: list[float] | None = record.goal.embedding
    use_embedder = embedder is not None and options.semantic
    if use_embedder and goal_vector is None:
        assert embedder is not None
        goal_vector = embedder.encode([" ".join(filter(None, [record.goal.name, record.goal.description]))])[0]
    texts: dict[str, str] = {}
    for comm_id, node in details.items():
        texts[comm_id] = " ".join(filter(None, [node.props.get("subject"), node.props.get("preview")]))
        semantic_scores[comm_id] = _lexical(goal_terms, texts[comm_id])
        stored = node.props.get("embedding")
        if goal_vector and stored:
            semantic_scores[comm_id] = max(semantic_scores[comm_id], cosine(goal_vector, stored))
    if use_embedder and goal_vector:
        assert embedder is not None
        # Subjects repeat within threads: embed each distinct subject once (the embedder caches too).
        subjects = sorted({(details[c].props.get("subject") or "").strip() for c in details} - {""})
        if subjects:
            vectors = dict(zip(subjects, embedder.encode(subjects), strict=True))
            for comm_id, node in details.items():
                subject = (node.props.get("subject") or "").strip()
                if subject:
                    semantic_scores[comm_id] = max(semantic_scores[comm_id], cosine(goal_vector, vectors[subject]))
    comm_views: list[CommView] = []
    for interaction in interactions:
        comm_node = details.get(interaction.id)
        if comm_node is None:
            continue
        involved = set(interaction.senders) | {p for p, _ in interaction.recipients} | set(interaction.participants)
        with_key = involved & key_set
        proximity = 0.0
        reasons: list[str] = []
        if with_key:
            proximity = 1.0 if involved & team else 0.6
            reasons.append(
                "with "
                + ", ".join(sorted(names.get(owner_of.get(i, i), _label_of(i, people)) for i in with_key)[:3])
                + (" and the team" if involved & team else "")
            )
        if interaction.id in about_ids:
            proximity = max(proximity, 0.8)
            reasons.append("about a target project")
        semantic = semantic_scores.get(interaction.id, 0.0)
        if semantic:
            reasons.append(f"similar to the goal ({semantic:.2f})")
        age = max(0.0, (now - interaction.timestamp).total_seconds() / 86400)
        recency = 0.5 ** (age / 60)
        score = (0.55 * proximity + 0.45 * semantic) * (0.5 + 0.5 * recency)
        comm_views.append(
            CommView(
                id=interaction.id,
                timestamp=interaction.timestamp,
                subject=comm_node.props.get("subject"),
                channel=interaction.channel,
                thread_key=interaction.thread_key,
                sender_ids=interaction.senders,
                score=round(score, 4),
                proximity=proximity,
                semantic=round(semantic, 4),
                evidence=reasons,
            )
        )
    comm_views.sort(key=lambda c: (-c.score, -c.timestamp.timestamp(), c.id))

    history = [s for s in list_snapshots(store, goal_id=goal_id, before=now) if s.at.date() < now.date()]
    previous = history[-1] if history else None
    momentum = _momentum(interactions, team=team, now=now, key_people=key_people, history=history)
    stalls = _stalls(
        interactions,
        details=details,
        team=team,
        now=now,
        options=options,
        names=names,
        people=people,
        previous=previous,
    )
    timer.mark("activity")

    projects = _projects(
        store,
        record=record,
        team_names=names,
        people=people,
        target_nodes=target_nodes,
        goal_terms=goal_terms,
        goal_vector=goal_vector,
        embedder=embedder if use_embedder else None,
        options=options,
    )
    timer.mark("projects")

    gaps = _gaps(
        record=record,
        key_people=key_people,
        company_people=company_people,
        by_id=by_id,
        target_nodes=target_nodes,
        options=options,
    )
    targets = _target_views(
        record=record,
        key_people=key_people,
        company_people=company_people,
        by_id=by_id,
        projects=projects,
        options=options,
    )
    days_to_deadline = days_between(record.goal.deadline, now) if record.goal.deadline else None
    next_steps = _next_steps(
        key_people=key_people,
        stalls=stalls,
        names=names,
        team_nodes=team_nodes,
        now=now,
        days_to_deadline=days_to_deadline,
        signals=signals,
        people=people,
        options=options,
    )
    _add_connector_mentions(store, steps=next_steps, now=now)
    changes = Changes(
        since=previous.at if previous else None,
        coverage_delta=round(coverage.ratio - previous.coverage, 4) if previous else None,
        new_stalls=sorted({s.key for s in stalls} - set(previous.stall_keys)) if previous else [],
        resolved_stalls=sorted(set(previous.stall_keys) - {s.key for s in stalls}) if previous else [],
        new_gaps=sorted({g.key for g in gaps} - set(previous.gap_keys)) if previous else [],
        closed_gaps=sorted(set(previous.gap_keys) - {g.key for g in gaps}) if previous else [],
    )
    timer.mark("assemble")
    return GoalMap(
        goal=record,
        generated_at=now,
        days_to_deadline=days_to_deadline,
        targets=targets,
        people=key_people,
        coverage=coverage,
        gaps=gaps,
        communications=comm_views[: options.max_communications],
        projects=projects,
        momentum=momentum,
        stalls=stalls,
        next_steps=next_steps,
        history=history[-30:],
        changes=changes,
        timings_ms=timer.total(),
    )


def _label_of(person_id: str, people: dict[str, _Candidate]) -> str:
    for candidate in people.values():
        if person_id in candidate.ids:
            return _person_label(candidate.node, person_id)
    return person_id


def _momentum(
    interactions: Sequence[Interaction],
    *,
    team: set[str],
    now: datetime,
    key_people: Sequence[KeyPerson],
    history: Sequence[SnapshotView],
) -> Momentum:
    def count(start_days: int, end_days: int) -> int:
        start, end = now - timedelta(days=start_days), now - timedelta(days=end_days)
        return sum(1 for i in interactions if start < i.timestamp <= end)

    last_30 = [i for i in interactions if i.timestamp > now - timedelta(days=30)]
    inbound = sum(1 for i in last_30 if not set(i.senders) & team and any(p in team for p, _ in i.recipients))
    outbound = sum(1 for i in last_30 if set(i.senders) & team)
    scores = []
    for person in key_people:
        direct = person.direct_ties[0].strength if person.direct_ties else 0.0
        scores.append(max(direct, person.best_path.score if person.best_path else 0.0))
    reach = round(sum(scores) / len(scores), 4) if scores else 0.0
    reference = None
    for snapshot in history:
        if snapshot.at <= now - timedelta(days=21):
            reference = snapshot  # the latest one at least three weeks old
    reach_change = round(reach - reference.reach_score, 4) if reference else None
    a30, p30, a90, p90 = count(30, 0), count(60, 30), count(90, 0), count(180, 90)
    rising = a30 > p30 * 1.2 + 1 or (reach_change is not None and reach_change > 0.05)
    falling = a30 < p30 * 0.8 - 1 or (reach_change is not None and reach_change < -0.05)
    trend = "rising" if rising and not falling else "falling" if falling and not rising else "steady"
    explanation = (
        f"{a30} goal-related communications in the last 30 days against {p30} in the 30 before "
        f"({a90} against {p90} over 90 days); {inbound} came in from outside, {outbound} went out. "
        f"Mean reach to key people {reach:.2f}"
        + (f", {reach_change:+.2f} since {short_date(reference.at)}" if reference and reach_change is not None else "")
        + "."
    )
    return Momentum(
        activity_30=a30,
        activity_prev_30=p30,
        activity_90=a90,
        activity_prev_90=p90,
        inbound_30=inbound,
        outbound_30=outbound,
        reach_score=reach,
        reach_change=reach_change,
        trend=trend,
        explanation=explanation,
    )


def _stalls(
    interactions: Sequence[Interaction],
    *,
    details: dict[str, Node],
    team: set[str],
    now: datetime,
    options: GoalMapOptions,
    names: dict[str, str],
    people: dict[str, _Candidate],
    previous: SnapshotView | None,
) -> list[Stall]:
    talk = []
    for interaction in interactions:
        if interaction.channel not in _TALK_CHANNELS:
            continue
        involved = set(interaction.senders) | {p for p, _ in interaction.recipients} | set(interaction.participants)
        # Internal messages in a thread are not activity towards the other side.
        if involved - team and involved & team:
            talk.append(interaction)
    # When each external person last wrote to the team, in any thread.
    last_heard: dict[str, datetime] = {}
    for interaction in interactions:
        if any(p in team for p, _ in interaction.recipients) or set(interaction.participants) & team:
            for sender in set(interaction.senders) - team:
                if sender not in last_heard or interaction.timestamp > last_heard[sender]:
                    last_heard[sender] = interaction.timestamp
    threads = _thread_groups(talk, details)
    stalls: list[Stall] = []
    for thread_key, messages in threads.items():
        messages.sort(key=lambda i: (i.timestamp, i.id))
        last = messages[-1]
        silent = days_between(now, last.timestamp)
        if silent < options.stall_days or silent > options.stall_max_days:
            continue
        ours = bool(set(last.senders) & team)
        if ours:
            trailing = []
            for message in reversed(messages):
                if not set(message.senders) & team:
                    break
                trailing.append(message)
            trailing.reverse()
            # Someone who has written to us since (in another thread) is not ignoring us.
            external = sorted(
                p
                for p in {p for m in trailing for p, _ in m.recipients if p not in team}
                if last_heard.get(p) is None or last_heard[p] < trailing[0].timestamp
            )
            if not external:
                continue
            kind, first = StallKind.NO_REPLY, trailing[0]
            chasers = len(trailing) - 1
        else:
            node = details.get(last.id)
            text = " ".join(filter(None, [node.props.get("subject"), node.props.get("preview")])) if node else ""
            asks = bool(node and node.props.get("action_items")) or "?" in text
            if not asks or not any(p in team for p, _ in last.recipients):
                continue
            kind, first, chasers = StallKind.AWAITING_US, last, 0
            external = sorted(set(last.senders) - team)
        first_node = details.get(first.id)
        subject = (first_node.props.get("subject") if first_node else None) or (
            details[last.id].props.get("subject") if last.id in details else None
        )
        waiting = days_between(now, first.timestamp)
        # The last team member who wrote comes first: they own the follow-up.
        last_ours = next((s for m in reversed(messages) for s in m.senders if s in team), None)
        team_ids = sorted(
            {s for m in messages for s in m.senders if s in team}
            | {p for m in messages for p, _ in m.recipients if p in team}
        )
        if last_ours is not None:
            team_ids = [last_ours, *(i for i in team_ids if i != last_ours)]
        key = stable_id("stall", thread_key)
        who = ", ".join(names.get(p) or _label_of(p, people) for p in external[:3])
        if kind is StallKind.NO_REPLY:
            evidence = [
                f"'{subject or 'no subject'}': we wrote to {who} on {short_date(first.timestamp)}"
                + (f" and chased {chasers} time{'s' if chasers > 1 else ''}" if chasers else "")
                + f"; no reply for {waiting} days, nothing in the thread for {silent} days."
            ]
        else:
            evidence = [
                f"'{subject or 'no subject'}': {who} asked on {short_date(last.timestamp)}; "
                f"no answer from the team for {silent} days."
            ]
        stalls.append(
            Stall(
                key=key,
                kind=kind,
                thread_key=thread_key,
                subject=subject,
                last_comm_id=last.id,
                first_unanswered_at=first.timestamp,
                last_activity_at=last.timestamp,
                days_waiting=waiting,
                days_silent=silent,
                chasers=chasers,
                team_ids=team_ids,
                external_ids=external,
                new=previous is not None and key not in previous.stall_keys,
                evidence=evidence,
            )
        )
    stalls.sort(key=lambda s: (-s.days_waiting, s.key))
    return stalls


_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def thread_subject(subject: str | None) -> str:
    """A subject without reply and forward prefixes, folded: the thread it belongs to."""
    return fold(_REPLY_PREFIX.sub("", subject or ""))


def _thread_groups(interactions: Sequence[Interaction], details: dict[str, Node]) -> dict[str, list[Interaction]]:
    """Group messages into threads by thread key, and by subject where keys disagree (a root without one)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for interaction in interactions:
        node_key = "c:" + interaction.id
        find(node_key)
        if interaction.thread_key:
            union(node_key, "t:" + interaction.thread_key)
        node = details.get(interaction.id)
        subject = thread_subject(node.props.get("subject") if node else None)
        if len(subject) >= 8:
            union(node_key, "s:" + subject)
    groups: dict[str, list[Interaction]] = defaultdict(list)
    for interaction in interactions:
        root = find("c:" + interaction.id)
        groups[root].append(interaction)
    # Name each thread by its earliest message's key, so the name is stable across runs.
    named: dict[str, list[Interaction]] = {}
    for messages in groups.values():
        first = min(messages, key=lambda i: (i.timestamp, i.id))
        named[first.thread_key or first.id] = messages
    return named


def _projects(
    store: GraphStore,
    *,
    record: GoalRecord,
    team_names: dict[str, str],
    people: dict[str, _Candidate],
    target_nodes: dict[str, Node],
    goal_terms: set[str],
    goal_vector: list[float] | None,
    embedder: Embedder | None,
    options: GoalMapOptions,
) -> list[ProjectView]:
    targeted = {t.id for t in record.targets if t.label is NodeLabel.PROJECT}
    worked: dict[str, list[str]] = defaultdict(list)
    for candidate in people.values():
        for project_id in candidate.projects:
            worked[project_id].append(_person_label(candidate.node, candidate.node.id))
    # Candidates come from graph proximity (targets, projects key people or the team worked on);
    # similarity to the goal then ranks them. No scan of every project: that grows with the graph.
    team_work = (
        store.neighbours_many(
            label=NodeLabel.PERSON, node_ids=list(record.team_ids), rel_types=[RelType.WORKED_ON], limit=200
        )
        if record.team_ids
        else {}
    )
    for member_id in record.team_ids:
        for neighbour in team_work.get(member_id, []):
            if neighbour.node.label is NodeLabel.PROJECT:
                worked[neighbour.node.id].append(team_names.get(member_id, member_id))
    pool = {i: n for i, n in target_nodes.items() if n.label is NodeLabel.PROJECT}
    missing = [i for i in worked if i not in pool]
    pool.update({n.id: n for n in store.get_nodes(label=NodeLabel.PROJECT, ids=sorted(missing))})
    nodes = list(pool.values())
    vectors: dict[str, list[float]] = {}
    if embedder is not None and goal_vector and nodes:
        texts = [f"{n.name}. {n.props.get('description') or ''}" for n in nodes]
        vectors = dict(zip([n.id for n in nodes], embedder.encode(texts), strict=True))
    views = []
    for node in nodes:
        text = " ".join(filter(None, [node.name, node.props.get("description")]))
        semantic = _lexical(goal_terms, text)
        stored = node.props.get("embedding") or vectors.get(node.id)
        if goal_vector and stored:
            semantic = max(semantic, cosine(goal_vector, stored))
        proximity = 1.0 if node.id in targeted else min(1.0, 0.4 * len(worked.get(node.id, [])))
        score = round(0.6 * proximity + 0.4 * semantic, 4)
        if score < 0.2:
            continue
        evidence = []
        if node.id in targeted:
            evidence.append("a target of the goal")
        if worked.get(node.id):
            evidence.append("worked on by " + ", ".join(sorted(worked[node.id])[:3]))
        if semantic:
            evidence.append(f"similar to the goal ({semantic:.2f})")
        views.append(
            ProjectView(
                id=node.id,
                name=node.name or node.id,
                stage=node.props.get("stage"),
                targeted=node.id in targeted,
                score=score,
                evidence=evidence,
            )
        )
    views.sort(key=lambda v: (-v.score, v.name, v.id))
    return views[: options.max_projects]


def _gaps(
    *,
    record: GoalRecord,
    key_people: Sequence[KeyPerson],
    company_people: dict[str, list[str]],
    by_id: dict[str, KeyPerson],
    target_nodes: dict[str, Node],
    options: GoalMapOptions,
) -> list[Gap]:
    gaps: list[Gap] = []
    for target in record.targets:
        if target.label is not NodeLabel.COMPANY:
            continue
        staff = [by_id[i] for i in company_people.get(target.id, []) if i in by_id]
        name = target.name or target.id
        if not staff:
            gaps.append(
                Gap(
                    key=f"no_contacts:{target.id}",
                    kind=GapKind.NO_CONTACTS,
                    target_id=target.id,
                    person_id=None,
                    title=f"Nobody at {name} is in the graph",
                    severity=1.0,
                    evidence=[f"no WORKS_AT edge or address at {target.domain or 'its domain'} for {name}"],
                )
            )
            continue
        if not any(p.decision_maker for p in staff):
            top = max(staff, key=lambda p: p.role_score)
            gaps.append(
                Gap(
                    key=f"no_decision_maker:{target.id}",
                    kind=GapKind.NO_DECISION_MAKER,
                    target_id=target.id,
                    person_id=None,
                    title=f"No decision-maker known at {name}",
                    severity=0.8,
                    evidence=[
                        f"the most senior known contact is {top.person.label}"
                        + (f" ({top.person.title})" if top.person.title else "")
                    ],
                )
            )
    for person in key_people:
        weight = max(person.role_score, 0.9 if person.targeted else 0.0)
        label = person.person.label + (f" ({person.person.title})" if person.person.title else "")
        if person.status is PersonStatus.NONE:
            gaps.append(
                Gap(
                    key=f"no_path:{person.person.id}",
                    kind=GapKind.NO_PATH,
                    target_id=person.company_id,
                    person_id=person.person.id,
                    title=f"No path to {label}",
                    severity=round(weight, 3),
                    evidence=[f"no chain of ties up to {options.max_hops} hops from the team"],
                )
            )
        elif person.status is PersonStatus.WEAK:
            best = person.best_path.score if person.best_path else max(t.strength for t in person.direct_ties)
            gaps.append(
                Gap(
                    key=f"weak_path:{person.person.id}",
                    kind=GapKind.WEAK_PATH,
                    target_id=person.company_id,
                    person_id=person.person.id,
                    title=f"Only weak routes to {label}",
                    severity=round(0.8 * weight, 3),
                    evidence=[f"best route scores {best:.2f}, below {options.threshold:.2f}"],
                )
            )
        elif person.status is PersonStatus.WARM and (person.decision_maker or person.targeted):
            path = person.best_path
            evidence = [
                "nobody on the team has a direct tie"
                + (f" at or above {options.threshold:.2f}" if person.direct_ties else "")
            ]
            if path is not None:
                evidence.append(path.explanation)
            gaps.append(
                Gap(
                    key=f"nobody_known:{person.person.id}",
                    kind=GapKind.NOBODY_KNOWN,
                    target_id=person.company_id,
                    person_id=person.person.id,
                    title=f"Nobody on the team knows {label} directly",
                    severity=round(0.9 * weight, 3),
                    evidence=evidence,
                )
            )
        # A cold tie is a gap only when it was the best one: others on the team may still be close.
        for tie in person.direct_ties[:1]:
            if tie.cold and tie.strength >= options.min_tie:
                gaps.append(
                    Gap(
                        key=f"cold:{person.person.id}:{tie.team_member.id}",
                        kind=GapKind.COLD,
                        target_id=person.company_id,
                        person_id=person.person.id,
                        title=f"{tie.team_member.label} and {person.person.label} have gone cold",
                        severity=round(0.7 * max(weight, 0.5) * max(tie.strength, 0.3), 3),
                        evidence=tie.reasons or [f"last contact {short_date(tie.last_interaction)}"],
                    )
                )
    gaps.sort(key=lambda g: (-g.severity, g.key))
    return gaps


def _target_views(
    *,
    record: GoalRecord,
    key_people: Sequence[KeyPerson],
    company_people: dict[str, list[str]],
    by_id: dict[str, KeyPerson],
    projects: Sequence[ProjectView],
    options: GoalMapOptions,
) -> list[TargetView]:
    views = []
    project_scores = {p.id: p for p in projects}
    for target in record.targets:
        evidence: list[str] = []
        if target.label is NodeLabel.COMPANY:
            staff = [by_id[i] for i in company_people.get(target.id, []) if i in by_id]
        elif target.label is NodeLabel.PERSON:
            staff = [k for k in key_people if target.id in k.ids]
        else:
            staff = []
        scores = [
            max(k.best_path.score if k.best_path else 0.0, k.direct_ties[0].strength if k.direct_ties else 0.0)
            for k in staff
        ]
        best = max(scores) if scores else None
        if target.label is NodeLabel.PROJECT:
            project = project_scores.get(target.id)
            covered = project is not None and len(project.evidence) > 1
            evidence = project.evidence if project else ["no activity found about it"]
        else:
            covered = best is not None and best >= options.threshold
            reached = sum(1 for s in scores if s >= options.threshold)
            evidence.append(f"{reached} of {len(staff)} known people reached at ≥ {options.threshold:.2f}")
        if target.reason:
            evidence.append(f"resolved {target.reason}")
        views.append(
            TargetView(
                id=target.id,
                label=target.label,
                name=target.name,
                origin=target.origin,
                people_ids=[k.person.id for k in staff],
                covered=covered,
                best_score=round(best, 4) if best is not None else None,
                evidence=evidence,
            )
        )
    return views


def _urgency(days_to_deadline: int | None) -> float:
    if days_to_deadline is None:
        return 1.0
    return 1.0 + 0.5 * max(0.0, min(1.0, (120 - days_to_deadline) / 120))


def _next_steps(
    *,
    key_people: Sequence[KeyPerson],
    stalls: Sequence[Stall],
    names: dict[str, str],
    team_nodes: dict[str, Node],
    now: datetime,
    days_to_deadline: int | None,
    signals: dict[str, list[Node]],
    people: dict[str, _Candidate],
    options: GoalMapOptions,
) -> list[NextStep]:
    urgency = _urgency(days_to_deadline)
    deadline_note = f"the deadline is in {days_to_deadline} days" if days_to_deadline is not None else ""
    steps: list[NextStep] = []
    team = set(team_nodes)

    def ref(person_id: str) -> PersonRef:
        node = team_nodes.get(person_id)
        if node is not None:
            return PersonRef.from_node(node)
        for key in key_people:
            if person_id in key.ids:
                return key.person
        return PersonRef(id=person_id, name=names.get(person_id))

    def why_now(person: KeyPerson, extra: Iterable[str] = ()) -> str:
        reasons = [r for r in extra if r]
        candidate = people.get(person.person.id)
        if candidate is not None:
            upcoming = sorted(
                (
                    e
                    for e in candidate.events
                    if isinstance(e.props.get("starts_at"), datetime)
                    and now <= e.props["starts_at"] <= now + timedelta(days=30)
                ),
                key=lambda e: (e.props["starts_at"], e.id),
            )
            undated = sorted((e for e in candidate.events if e.props.get("starts_at") is None), key=lambda e: e.id)
            if upcoming:
                event = upcoming[0]
                reasons.append(
                    f"{person.person.label} is registered for {event.name} on {short_date(event.props['starts_at'])}"
                )
            elif undated:
                reasons.append(f"{person.person.label} is registered for {undated[0].name} (date not known)")
        recent = [
            s
            for key in {person.person.id, person.company_id or ""}
            for s in signals.get(key, [])
            if isinstance(s.props.get("detected_at") or s.props.get("published_at"), datetime)
        ]
        for signal in sorted(recent, key=lambda s: s.id)[:1]:
            reasons.append(f"news: {signal.props.get('title')}")
        if deadline_note:
            reasons.append(deadline_note)
        return "; ".join(reasons) or "no deadline set; keep the relationship moving"

    importance = {k.person.id: max(k.role_score, 0.9 if k.targeted else 0.3) for k in key_people}
    for person in key_people:
        weight = importance[person.person.id]
        label = person.person.label + (f" ({person.person.title})" if person.person.title else "")
        path = person.best_path
        if person.status is PersonStatus.NONE:
            steps.append(
                NextStep(
                    key=f"find_route:{person.person.id}",
                    kind="find_route",
                    actor=None,
                    contact=person.person,
                    via=None,
                    why=f"Nobody in the graph connects the team to {label}.",
                    why_now=why_now(person),
                    priority=round(0.6 * weight * urgency, 4),
                    evidence=person.evidence[-2:],
                )
            )
        elif person.status in (PersonStatus.WARM, PersonStatus.WEAK) and path is not None and path.via_id:
            actor, via = ref(path.node_ids[0]), ref(path.via_id)
            hop_note = f"{via.label} knows them (strength {path.hops[1].strength:.2f})" if len(path.hops) > 1 else ""
            steps.append(
                NextStep(
                    key=f"intro:{person.person.id}",
                    kind="intro",
                    actor=actor,
                    contact=person.person,
                    via=via,
                    why=(
                        f"Nobody on the team knows {label} directly; {actor.label} is close to {via.label} "
                        f"(strength {path.hops[0].strength:.2f}) and {hop_note}."
                        if hop_note
                        else path.explanation
                    ),
                    why_now=why_now(person),
                    # Reaching a decision-maker nobody knows is the point of most goals: it ranks first.
                    priority=round(
                        (0.9 if person.status is PersonStatus.WARM else 0.7)
                        * weight
                        * urgency
                        * (1.2 if person.decision_maker else 1.0)
                        * (0.6 + 0.4 * min(1.0, path.score / max(options.threshold, 1e-6))),
                        4,
                    ),
                    related_ids=path.node_ids,
                    evidence=[path.explanation, *person.evidence[:2]],
                )
            )
        for tie in person.direct_ties[:1]:
            if tie.cold:
                steps.append(
                    NextStep(
                        key=f"reconnect:{person.person.id}:{tie.team_member.id}",
                        kind="reconnect",
                        actor=tie.team_member,
                        contact=person.person,
                        via=None,
                        why=f"{tie.team_member.label} knows {label} (strength {tie.strength:.2f}) but the tie has gone "
                        "cold" + (f": {', '.join(tie.reasons)}" if tie.reasons else "") + ".",
                        why_now=why_now(person, [f"last contact {short_date(tie.last_interaction)}"]),
                        priority=round(0.65 * weight * urgency * max(tie.strength, 0.3), 4),
                        evidence=tie.reasons,
                    )
                )
    for stall in stalls:
        external = [p for p in stall.external_ids if p not in team]
        if not external:
            continue
        contact_id = next((p for p in external if any(p in k.ids for k in key_people)), external[0])
        contact = ref(contact_id)
        owner = next((k for k in key_people if contact_id in k.ids), None)
        weight = importance.get(owner.person.id, 0.5) if owner else 0.5
        actor_id = next((t for t in stall.team_ids if t in team), None)
        alt_via: PersonRef | None = None
        alternative = ""
        if owner is not None and owner.company_id:
            colleagues = [
                k
                for k in key_people
                if k.company_id == owner.company_id
                and k.person.id != owner.person.id
                and k.status is PersonStatus.DIRECT
            ]
            if colleagues:
                best = max(colleagues, key=lambda k: (k.direct_ties[0].strength, k.person.id))
                alt_via = best.person
                alternative = (
                    f"; if it stays silent, {best.direct_ties[0].team_member.label} could ask "
                    f"{best.person.label} (strength {best.direct_ties[0].strength:.2f}) who now owns it"
                )
        if stall.kind is StallKind.NO_REPLY:
            why = (
                f"'{stall.subject or 'the thread'}' has waited {stall.days_waiting} days for {contact.label}"
                + (f" despite {stall.chasers} chaser{'s' if stall.chasers > 1 else ''}" if stall.chasers else "")
                + alternative
                + "."
            )
            kind = "follow_up"
        else:
            why = f"{contact.label} asked in '{stall.subject or 'the thread'}' {stall.days_silent} days ago."
            kind = "reply"
        steps.append(
            NextStep(
                key=f"{kind}:{stall.key}",
                kind=kind,
                actor=ref(actor_id) if actor_id else None,
                contact=contact,
                via=alt_via,
                why=why,
                why_now=why_now(owner, [f"silent for {stall.days_silent} days"])
                if owner
                else f"silent for {stall.days_silent} days",
                priority=round(0.85 * max(weight, 0.5) * urgency * (1 + min(stall.days_waiting, 60) / 240), 4),
                related_ids=[stall.last_comm_id],
                evidence=stall.evidence,
            )
        )
    steps.sort(key=lambda s: (-s.priority, s.key))
    return steps[: options.max_next_steps]


def _add_connector_mentions(store: GraphStore, *, steps: Sequence[NextStep], now: datetime) -> None:
    """An intro is timely when the connector lately wrote to the team about the contact (an offer, a mention)."""
    for step in steps:
        if step.kind != "intro" or step.via is None or step.actor is None:
            continue
        recent = [
            i
            for i in store.find_interactions(person_ids=[step.via.id], since=now - timedelta(days=45), limit=200)
            if i.timestamp <= now and step.via.id in i.senders
        ]
        nodes = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=[i.id for i in recent])
        name_parts = [w for w in words(step.contact.name or "") if len(w) > 2]
        for node in nodes:  # newest first, like ``recent``
            text = fold(" ".join(filter(None, [node.props.get("subject"), node.props.get("preview")])))
            if name_parts and all(part in text for part in name_parts):
                when = node.props.get("timestamp")
                note = (
                    f"{step.via.label} wrote about {step.contact.label} on {short_date(when)} "
                    f"('{node.props.get('subject') or 'no subject'}')"
                )
                step.why_now = f"{note}; {step.why_now}"
                step.evidence.append(note)
                step.related_ids.append(node.id)
                break


def coverage_at(goal: GoalMap, threshold: float) -> float:
    """Coverage of a computed map at another threshold (for what-if views and tests)."""
    if not goal.people:
        return 0.0
    reached = 0
    for person in goal.people:
        direct = person.direct_ties[0].strength if person.direct_ties else 0.0
        path = person.best_path.score if person.best_path else 0.0
        if max(direct, path) >= threshold:
            reached += 1
    return round(reached / len(goal.people), 4) if math.isfinite(threshold) else 0.0
