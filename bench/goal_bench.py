"""Goal-map latency on a large synthetic graph.

A deterministic network of people in companies (most ties inside a company, a
capped power-law degree), communications between tied people (SENT/TO edges with
thread keys), WORKS_AT edges with titles, and goals that target companies and
people with a team of four. Every goal map is computed ``--runs`` times; the
figures are p50/p95/max latency and the time per phase.

Baseline in the same run: the previous approach to reach, one
``k_best_paths`` call per key person (as ``warm_intro_paths`` does), against
the goal map's single batched call.

    .venv/bin/python bench/goal_bench.py                 # ~1M edges, MemoryStore
    .venv/bin/python bench/goal_bench.py --quick         # ~100k edges
    .venv/bin/python bench/goal_bench.py --quick --neo4j # also on a private Neo4j (ports 57687/57474)
    .venv/bin/python bench/goal_bench.py --neo4j-uri bolt://127.0.0.1:57687   # a running server (CLEARED)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, peak_rss_mb, private_neo4j, save  # noqa: E402
from tellgraph.goals.map import goal_map  # noqa: E402
from tellgraph.goals.models import GoalInput  # noqa: E402
from tellgraph.goals.service import create_goal  # noqa: E402
from tellgraph.graph.memory import MemoryStore  # noqa: E402
from tellgraph.graph.store import GraphStore  # noqa: E402
from tellgraph.schema.labels import NodeLabel, RelType  # noqa: E402
from tellgraph.schema.model import Channel, Communication, Company, Edge, Entity, Identity, Person  # noqa: E402
from tellgraph.settings import Settings  # noqa: E402

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
TITLES = [
    "Chief Executive Officer",
    "Commercial Director",
    "Head of Media Rights",
    "VP Partnerships",
    "Procurement Manager",
    "Producer",
    "Analyst",
    "Account Executive",
    "Engineer",
    "Coordinator",
]


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (0-1) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def synth(*, people: int, edges: int, seed: int) -> tuple[list[Entity], list[Edge], list[str]]:
    """Entities and edges of the synthetic world; returns the ids of companies too."""
    rng = random.Random(seed)
    companies = max(10, people // 20)
    company_ids = [f"c_{i:06d}" for i in range(companies)]
    entities: list[Entity] = [
        Company(id=cid, name=f"Company {i}", domain=f"co{i}.example") for i, cid in enumerate(company_ids)
    ]
    home = [rng.randrange(companies) for _ in range(people)]
    members: dict[int, list[int]] = {}
    for person, company in enumerate(home):
        members.setdefault(company, []).append(person)
    out: list[Edge] = []
    for p in range(people):
        email = f"person{p}@co{home[p]}.example"
        entities.append(Person(id=f"p_{p:07d}", name=f"Person {p}", emails=[email]))
        entities.append(Identity(id=f"email:{email}", kind="email", value=email))
        out.append(
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id=f"email:{email}",
                dst_label=NodeLabel.PERSON,
                dst_id=f"p_{p:07d}",
            )
        )
        rank = members[home[p]].index(p)
        out.append(
            Edge(
                type=RelType.WORKS_AT,
                src_label=NodeLabel.PERSON,
                src_id=f"p_{p:07d}",
                dst_label=NodeLabel.COMPANY,
                dst_id=company_ids[home[p]],
                props={"title": TITLES[min(rank, len(TITLES) - 1)]},
            )
        )
    # Ties: 80% inside the company, degree capped; then communications on a share of the ties.
    tie_budget = int(edges * 0.55)
    seen: set[tuple[int, int]] = set()
    degree = [0] * people
    while len(seen) < tie_budget:
        a = rng.randrange(people)
        inside = rng.random() < 0.8 and len(members[home[a]]) > 1
        b = rng.choice(members[home[a]]) if inside else rng.randrange(people)
        if a == b or degree[a] > 200 or degree[b] > 200:
            continue
        pair = (min(a, b), max(a, b))
        if pair in seen:
            continue
        seen.add(pair)
        degree[a] += 1
        degree[b] += 1
        last = NOW - timedelta(days=rng.randrange(1, 300))
        out.append(
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id=f"p_{pair[0]:07d}",
                dst_label=NodeLabel.PERSON,
                dst_id=f"p_{pair[1]:07d}",
                props={
                    "strength": round(rng.uniform(0.05, 0.95), 3),
                    "interaction_count": rng.randrange(1, 40),
                    "last_interaction": last,
                    "first_interaction": last - timedelta(days=200),
                },
            )
        )
    pairs = sorted(seen)
    comm = 0
    while len(out) < edges:
        a, b = pairs[rng.randrange(len(pairs))]
        sender, recipient = (a, b) if rng.random() < 0.5 else (b, a)
        cid = f"m_{comm:08d}"
        entities.append(
            Communication(
                id=cid,
                channel=Channel.EMAIL,
                source="bench",
                timestamp=NOW - timedelta(days=rng.randrange(0, 400), minutes=comm % 1440),
                subject=f"Thread {a}-{b} about production rights",
                thread_key=f"t_{a}_{b}",
            )
        )
        out.append(
            Edge(
                type=RelType.SENT,
                src_label=NodeLabel.PERSON,
                src_id=f"p_{sender:07d}",
                dst_label=NodeLabel.COMMUNICATION,
                dst_id=cid,
            )
        )
        out.append(
            Edge(
                type=RelType.TO,
                src_label=NodeLabel.COMMUNICATION,
                src_id=cid,
                dst_label=NodeLabel.PERSON,
                dst_id=f"p_{recipient:07d}",
            )
        )
        comm += 1
    return entities, out, company_ids


def load(store: GraphStore, entities: list[Entity], edges: list[Edge], *, batch: int = 5000) -> float:
    """Write everything; returns seconds."""
    started = time.perf_counter()
    for i in range(0, len(entities), batch):
        store.upsert_entities(entities=entities[i : i + batch])
    for i in range(0, len(edges), batch):
        store.upsert_edges(edges=edges[i : i + batch], now=NOW)
    store.flush()
    return time.perf_counter() - started


def make_goals(store: GraphStore, *, company_ids: list[str], people: int, goals: int, seed: int) -> list[str]:
    """Goals with 2 target companies, 3 target people and a team of 4 well-connected people."""
    rng = random.Random(seed + 1)
    ids = []
    for g in range(goals):
        companies = rng.sample(company_ids, 2)
        target_people = [f"p_{rng.randrange(people):07d}" for _ in range(3)]
        team = [f"p_{rng.randrange(people):07d}" for _ in range(4)]
        record = create_goal(
            store,
            goal=GoalInput(
                name=f"Goal {g}",
                description="Win the production rights tender",
                companies=companies,
                people=target_people,
                owner=team[0],
                team=team[1:],
                suggest=False,
                deadline=NOW + timedelta(days=90),
            ),
            now=NOW,
        )
        ids.append(record.goal.id)
    return ids


def measure(store: GraphStore, goal_ids: list[str], *, runs: int) -> dict[str, Any]:
    """Latency of goal maps (and, as a baseline, per-person path searches) over ``runs`` rounds."""
    for goal_id in goal_ids[:3]:
        goal_map(store, goal_id=goal_id, now=NOW)  # warm-up
    latencies: list[float] = []
    phases: dict[str, list[float]] = {}
    baseline: list[float] = []
    key_people: list[int] = []
    for _ in range(runs):
        for goal_id in goal_ids:
            started = time.perf_counter()
            gmap = goal_map(store, goal_id=goal_id, now=NOW)
            latencies.append((time.perf_counter() - started) * 1000)
            for phase, ms in gmap.timings_ms.items():
                phases.setdefault(phase, []).append(ms)
            key_people.append(len(gmap.people))
    for goal_id in goal_ids:
        gmap = goal_map(store, goal_id=goal_id, now=NOW)
        team = gmap.goal.team_ids
        started = time.perf_counter()
        for person in gmap.people:
            store.k_best_paths(sources=team, targets=person.ids, max_hops=3, k=1, min_strength=0.05)
        baseline.append((time.perf_counter() - started) * 1000)
    return {
        "maps": len(latencies),
        "p50_ms": round(pct(latencies, 0.5), 1),
        "p95_ms": round(pct(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "mean_key_people": round(statistics.mean(key_people), 1),
        "phase_p50_ms": {k: round(pct(v, 0.5), 1) for k, v in phases.items()},
        "baseline_per_person_paths_p50_ms": round(pct(baseline, 0.5), 1),
        "baseline_per_person_paths_p95_ms": round(pct(baseline, 0.95), 1),
    }


@contextmanager
def neo4j_store(args: argparse.Namespace) -> Iterator[GraphStore]:
    """A Neo4j store: a running one from ``--neo4j-uri`` or a private server on 57687/57474."""
    from tellgraph.graph.neo4j_store import Neo4jStore

    if args.neo4j_uri:
        settings = Settings(neo4j_uri=args.neo4j_uri)
        store = Neo4jStore(
            uri=settings.neo4j_uri, user=settings.neo4j_user, password=settings.neo4j_password.get_secret_value()
        )
        try:
            yield store
        finally:
            store.close()
        return
    with private_neo4j(bolt_port=57687, http_port=57474) as (settings, _server):
        store = Neo4jStore(
            uri=settings.neo4j_uri, user=settings.neo4j_user, password=settings.neo4j_password.get_secret_value()
        )
        try:
            yield store
        finally:
            store.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10k people, 100k edges")
    parser.add_argument("--goals", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5, help="rounds over all goals")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--neo4j", action="store_true", help="also measure on a private Neo4j (57687/57474)")
    parser.add_argument("--neo4j-uri", help="measure on this running Neo4j instead (its database is CLEARED)")
    parser.add_argument("--no-memory", action="store_true", help="skip the MemoryStore")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.edges = 10_000, 100_000
    started = time.perf_counter()
    entities, edges, company_ids = synth(people=args.people, edges=args.edges, seed=args.seed)
    figures: dict[str, Any] = {
        "machine": machine(),
        "people": args.people,
        "nodes": len(entities),
        "edges": len(edges),
        "synth_s": round(time.perf_counter() - started, 1),
    }
    print(f"synthetic graph: {len(entities):,} nodes, {len(edges):,} edges ({figures['synth_s']} s)")
    if not args.no_memory:
        store = MemoryStore()
        figures["memory_load_s"] = round(load(store, entities, edges), 1)
        goal_ids = make_goals(store, company_ids=company_ids, people=args.people, goals=args.goals, seed=args.seed)
        figures["memory"] = measure(store, goal_ids, runs=args.runs)
        print(f"MemoryStore: load {figures['memory_load_s']} s; goal map {figures['memory']}")
        del store
    if args.neo4j or args.neo4j_uri:
        with neo4j_store(args) as neo:
            neo.apply_schema()
            neo.clear()
            figures["neo4j_load_s"] = round(load(neo, entities, edges), 1)
            goal_ids = make_goals(neo, company_ids=company_ids, people=args.people, goals=args.goals, seed=args.seed)
            figures["neo4j"] = measure(neo, goal_ids, runs=args.runs)
            print(f"Neo4j: load {figures['neo4j_load_s']} s; goal map {figures['neo4j']}")
    figures["peak_rss_mb"] = round(peak_rss_mb())
    path = save("goal_bench" + ("_quick" if args.quick else ""), figures)
    print(f"machine: {figures['machine']}")
    print(f"saved {path}")


if __name__ == "__main__":
    main()
