"""Scale run: a synthetic company network loaded with Neo4j's bulk importer, then queried.

Default size: 100k people in 10k companies, 1M KNOWS edges and 5M communications
(email and chat, each with a SENT and a TO edge and some with a CC), plus the identities,
WORKS_AT edges and goals that ingest, resolution and scoring would leave. ``--quick`` is
10x smaller. Phases, each timed with the machine's load and the Neo4j JVM's CPU:

1. generate: the network (``store_bench.build_network``: capped power-law degrees, most ties
   inside a company) and the communications on its ties, streamed into import CSVs by
   :class:`tellgraph.graph.neo4j_bulk.BulkCsvWriter` in exactly the shape ``Neo4jStore`` writes
   (communications carry the properties ingest and NLP give them; KNOWS edges those scoring gives).
2. import: ``LocalNeo4j.import_csv`` (``neo4j-admin database import full``) into a fresh private
   server home, offline.
3. start the server and apply the schema (``Neo4jStore.apply_schema``, what ``tellgraph schema
   apply`` runs): constraints, lookup, full-text and vector indexes, populated over the imported data.
4. verify through the store API that the data reads back as generated: counts, a person's ties and
   their properties, a communication as a model, its participants, a 2-hop path, interactions of a pair.
5. goals (``create_goal``), then query latencies through a real ``tellgraph serve`` with one client:
   person with relationships, warmIntroPaths at 2 and 3 hops, search, goalMap; then optionally a short
   load ramp (bench/load_test.py's machinery).
6. sizes: the store on disk (database and transaction logs), the JVM's RSS (peak while querying),
   this process's peak RSS and the API server's.
7. baseline in the same run: communications written through the normal batched upsert path
   (``write_batch``, 1,000 per batch like ingest) into the same server, then deleted; the rate is
   extrapolated to the run's size.

    .venv/bin/python bench/scale_run.py --quick            # 10k people, 100k KNOWS, 500k communications
    .venv/bin/python bench/scale_run.py                    # 100k people, 1M KNOWS, 5M communications
    .venv/bin/python bench/scale_run.py --keep             # leave the server running afterwards

The private server lives in ``--home`` (wiped at the start) on ``--bolt-port``/``--http-port``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import logging
import os
import random
import resource
import secrets
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import load_test  # noqa: E402
from bench.common import cpu_seconds, machine, save  # noqa: E402
from bench.store_bench import Network, RssSampler, _WeightedPicker, build_network  # noqa: E402
from tellgraph.graph.neo4j_bulk import BulkCsvWriter, node_columns  # noqa: E402
from tellgraph.graph.neo4j_server import LocalNeo4j  # noqa: E402
from tellgraph.graph.store import MAX_PATHS  # noqa: E402
from tellgraph.schema.labels import NodeLabel, RelType  # noqa: E402
from tellgraph.schema.model import (  # noqa: E402
    Channel,
    Communication,
    Company,
    Edge,
    Identity,
    company_id_for,
    stable_id,
)
from tellgraph.scoring.config import COMPONENTS  # noqa: E402
from tellgraph.settings import Settings  # noqa: E402

logger = logging.getLogger("scale_run")

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
SOURCE_MAIL, SOURCE_CHAT = "maildir", "slack-export"
_WORD_TEXT = (
    "rights media production tender broadcast contract renewal pricing proposal budget schedule launch "
    "partnership sponsorship licence distribution review quarterly forecast pipeline kickoff agenda draft "
    "final signed invoice legal terms venue logistics crew camera streaming platform audience ratings "
    "marketing campaign season league final cup match highlights archive clearance territory exclusivity "
    "option extension deadline approval board meeting call follow-up intro introduction decision shortlist "
    "bid evaluation scoring feedback negotiation counteroffer discount volume commitment minimum guarantee"
)
WORDS = tuple(_WORD_TEXT.split())
TITLES = ("Engineer", "Sales", "VP Partnerships", "Founder", "Analyst", "Designer", "Head of Media Rights")
WEIGHTS_TEXT = (
    "frequency=0.2 recency=0.3 reciprocity=0.1 consistency=0.1 responsiveness=0.08 initiation=0.04 "
    "depth=0.04 channel_mix=0.04 meetings=0.05 sentiment=0.05"
)


# -- generation ----------------------------------------------------------------------------------


@dataclass
class Expected:
    """What the generator wrote, to check the import against."""

    counts_nodes: dict[str, int] = field(default_factory=dict)
    counts_edges: dict[str, int] = field(default_factory=dict)
    person: str = ""
    person_ties: dict[str, dict[str, Any]] = field(default_factory=dict)
    sample_comms: dict[str, Communication] = field(default_factory=dict)
    sample_participants: dict[str, set[str]] = field(default_factory=dict)
    pair: tuple[str, str] = ("", "")
    pair_comms: set[str] = field(default_factory=set)
    two_hop: tuple[str, str, str] = ("", "", "")
    companies: list[str] = field(default_factory=list)
    company_names: list[str] = field(default_factory=list)


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def _knows_props(rng: random.Random, *, strength: float, count: int, first: datetime, last: datetime) -> dict[str, Any]:
    """The properties scoring leaves on a tie (names as ``scoring.derive`` writes them), with plausible values."""
    a_to_b = rng.randint(0, count)
    props: dict[str, Any] = {
        "strength": strength,
        "interaction_count": count,
        "first_interaction": first,
        "last_interaction": last,
        "count_a_to_b": a_to_b,
        "count_b_to_a": count - a_to_b,
        "count_together": 0,
        "days_with_contact": max(1, min(count, (last - first).days + 1)),
        "channels": ["email"] if rng.random() < 0.8 else ["email", "chat"],
        "threads": max(1, count // 3),
        "initiated_by_a": max(0, a_to_b // 2),
        "initiated_by_b": max(0, (count - a_to_b) // 2),
        "replies_by_a": a_to_b // 3,
        "replies_by_b": (count - a_to_b) // 3,
        "reply_days": round(rng.uniform(0.1, 9.0), 3),
        "reply_days_by_a": round(rng.uniform(0.1, 9.0), 3),
        "reply_days_by_b": round(rng.uniform(0.1, 9.0), 3),
        "sentiment": round(rng.uniform(-0.3, 0.7), 4),
        "sentiment_trend": rng.choice(("steady", "rising", "falling")),
        "trend": rng.choice(("steady", "rising", "cooling")),
        "expected_gap_days": round(rng.uniform(3, 90), 2),
        "next_contact_due": last + timedelta(days=rng.randint(3, 90)),
        "attention_in_days": rng.randint(-60, 60),
        "preferred_channel": "email",
        "preferred_format": rng.choice(("check-in", "update", "meeting")),
        "unanswered_count": rng.randint(0, 2),
        "at_risk": rng.random() < 0.05,
        "scoring_version": 2,
        "scored_at": NOW,
        "as_of": NOW,
        "weights": WEIGHTS_TEXT,
        f"history_{NOW.year}_{NOW.month:02d}": strength,
        "explanation": (
            f"Strength {strength:.2f}, mostly from recency and frequency. {count} communications "
            f"({a_to_b} one way, {count - a_to_b} the other) from {first.date()} to {last.date()}; "
            f"last contact {(NOW - last).days} days before {NOW.date()}."
        ),
    }
    for name in COMPONENTS:
        props[f"score_{name}"] = round(rng.random(), 6)
    return props


def write_csvs(network: Network, *, communications: int, folder: Path, seed: int) -> tuple[Expected, BulkCsvWriter]:
    """Stream every node and edge into import CSVs; returns what to expect back."""
    rng = random.Random(seed)
    expected = Expected()
    people = network.people
    domains = sorted({p.company_domain for p in people if p.company_domain})
    company_ids = {d: company_id_for(d) for d in domains}
    team = set(network.team)
    pairs = [(e.src_id, e.dst_id) for e in network.edges]
    strengths = [float(e.props["strength"]) for e in network.edges]  # type: ignore[arg-type]
    # Every tie has at least one communication; the rest go to strong ties more often.
    per_pair = [1] * len(pairs)
    picker = _WeightedPicker(range(len(pairs)), strengths)
    for _ in range(max(0, communications - len(pairs))):
        per_pair[picker.pick(rng)] += 1
    if communications < len(pairs):
        per_pair = [1 if i < communications else 0 for i in range(len(pairs))]
    # Colleagues one can be CC'd: each person's ties.
    ties: dict[str, list[str]] = {}
    for a, b in pairs:
        ties.setdefault(a, []).append(b)
        ties.setdefault(b, []).append(a)
    expected.person = max(ties, key=lambda p: (len(ties[p]), p))
    middle = next(p for p in ties if len(ties[p]) >= 2)
    expected.two_hop = (ties[middle][0], middle, ties[middle][1])
    expected.companies = [company_ids[d] for d in domains]
    expected.company_names = [f"Company {d.split('.')[0].removeprefix('company')}" for d in domains]

    writer = BulkCsvWriter(folder=folder, now=NOW)
    writer.add_entities(
        Company(
            id=company_ids[d], name=f"Company {d.split('.')[0].removeprefix('company')}", domain=d, sources=["bench"]
        )
        for d in domains
    )
    writer.add_entities(
        p.model_copy(update={"is_team": True, "sources": [SOURCE_MAIL]})
        if p.id in team
        else p.model_copy(update={"sources": [SOURCE_MAIL]})
        for p in people
    )
    identities = [(f"email:{p.emails[0]}", p) for p in people]
    writer.add_entities(Identity(id=key, kind="email", value=p.emails[0]) for key, p in identities)
    writer.add_edges(
        Edge.model_construct(
            type=RelType.IDENTIFIES,
            src_label=NodeLabel.IDENTITY,
            src_id=key,
            dst_label=NodeLabel.PERSON,
            dst_id=p.id,
            props={"first_seen": NOW},
            provenance=[SOURCE_MAIL],
        )
        for key, p in identities
    )
    writer.add_edges(
        Edge.model_construct(
            type=RelType.WORKS_AT,
            src_label=NodeLabel.PERSON,
            src_id=p.id,
            dst_label=NodeLabel.COMPANY,
            dst_id=company_ids[p.company_domain],
            props={"title": p.title, "source": "email-domain", "valid_from": NOW - SPAN} if p.title else {},
            provenance=["email-domain"],
        )
        for p in people
        if p.company_domain
    )
    # Ties and their communications, pair by pair (timestamps between the tie's first and last contact).
    comm_number = 0
    cc_edges = 0
    sample_every = max(1, communications // 5)
    knows_rows = []
    comm_columns = [name for name, _ in node_columns(NodeLabel.COMMUNICATION)]
    comm_rows: list[tuple[Any, ...]] = []
    role_rows: dict[RelType, list[tuple[str, str, list[str]]]] = {RelType.SENT: [], RelType.TO: [], RelType.CC: []}
    # Pools of texts: words repeat across many messages, as in real mail, and generation stays cheap.
    subjects = [_words(rng, 3, 7).capitalize() for _ in range(5_000)]
    previews = [_words(rng, 12, 34)[:240] for _ in range(20_000)]

    def flush() -> None:
        writer.add_node_rows(NodeLabel.COMMUNICATION, comm_rows)
        comm_rows.clear()
        for rel, rows in role_rows.items():
            ends = (
                (NodeLabel.PERSON, NodeLabel.COMMUNICATION)
                if rel is RelType.SENT
                else (NodeLabel.COMMUNICATION, NodeLabel.PERSON)
            )
            writer.add_edge_rows(rel, *ends, rows)
            rows.clear()

    for index, ((a, b), count) in enumerate(zip(pairs, per_pair, strict=True)):
        last = NOW - timedelta(seconds=rng.randrange(int(SPAN.total_seconds() * 0.7)))
        first = last - timedelta(seconds=rng.randrange(int(SPAN.total_seconds() * 0.3)) if count > 1 else 0)
        props = _knows_props(rng, strength=strengths[index], count=count, first=first, last=last)
        knows = Edge.model_construct(
            type=RelType.KNOWS,
            src_label=NodeLabel.PERSON,
            src_id=a,
            dst_label=NodeLabel.PERSON,
            dst_id=b,
            props=props,
            provenance=["communications"],
        )
        knows_rows.append(knows)
        if expected.person in (a, b):
            expected.person_ties[b if a == expected.person else a] = props
        thread = stable_id("t", a, b)
        for k in range(count):
            comm_number += 1
            cid = stable_id("m", "scale", str(comm_number))
            sender, recipient = (a, b) if rng.random() < 0.5 else (b, a)
            chat = rng.random() < 0.1
            source = SOURCE_CHAT if chat else SOURCE_MAIL
            preview = rng.choice(previews)
            participants = {sender, recipient}
            role_rows[RelType.SENT].append((sender, cid, [source]))
            role_rows[RelType.TO].append((cid, recipient, [source]))
            if not chat and rng.random() < 0.3:
                cc = rng.choice(ties[sender])
                if cc not in participants:
                    participants.add(cc)
                    role_rows[RelType.CC].append((cid, cc, [source]))
                    cc_edges += 1
            # The properties ingest (activity_write) and NLP give a message, by name.
            values = {
                "channel": "chat" if chat else "email",
                "source": source,
                "source_keys": [f"scale/{'chat' if chat else 'inbox'}/{comm_number}"],
                "timestamp": first + (last - first) * (k / max(1, count - 1)) if count > 1 else last,
                "subject": None if chat else rng.choice(subjects),
                "thread_key": f"{thread}_{k // 4}",
                "preview": preview,
                "body_chars": len(preview) + rng.randint(0, 2500),
                "raw_hash": hashlib.sha256(cid.encode()).hexdigest(),
                "participant_count": len(participants),
                "sentiment": round(max(-1.0, min(1.0, rng.gauss(0.1, 0.3))), 4),
                "action_items": [f"Send the {rng.choice(WORDS)} by Friday"] if rng.random() < 0.1 else [],
                "language": "en",
                "nlp_truncated": False,
                "ingested_at": NOW,
            }
            comm_rows.append((cid, *(values.get(name) for name in comm_columns)))
            if comm_number % sample_every == 1 or len(expected.sample_comms) < 2:
                # Samples go through the model's validation: what the store must give back.
                expected.sample_comms[cid] = Communication(id=cid, **values)
                expected.sample_participants[cid] = participants
            if (a, b) == pairs[0]:
                expected.pair_comms.add(cid)
        if len(comm_rows) >= 20_000:
            flush()
        if len(knows_rows) >= 20_000:
            writer.add_edges(knows_rows)
            knows_rows = []
    flush()
    writer.add_edges(knows_rows)
    writer.close()
    expected.pair = pairs[0]
    expected.counts_nodes = {
        "Person": len(people),
        "Company": len(domains),
        "Identity": len(people),
        "Communication": comm_number,
    }
    expected.counts_edges = {
        "KNOWS": len(pairs),
        "SENT": comm_number,
        "TO": comm_number,
        "CC": cc_edges,
        "IDENTIFIES": len(people),
        "WORKS_AT": sum(1 for p in people if p.company_domain),
    }
    return expected, writer


def _role_edge(rel: RelType, person: str, comm: str, *, source: str) -> Edge:
    if rel is RelType.SENT:
        src, src_label, dst, dst_label = person, NodeLabel.PERSON, comm, NodeLabel.COMMUNICATION
    else:
        src, src_label, dst, dst_label = comm, NodeLabel.COMMUNICATION, person, NodeLabel.PERSON
    return Edge.model_construct(
        type=rel, src_label=src_label, src_id=src, dst_label=dst_label, dst_id=dst, props={}, provenance=[source]
    )


# -- measuring helpers ---------------------------------------------------------------------------


class Phase:
    """Wall time, load average and the CPU seconds of this process and the JVM over one phase."""

    def __init__(self, name: str, report: dict[str, Any], jvm: psutil.Process | None = None) -> None:
        self.name, self.report, self.jvm = name, report, jvm

    def _jvm_cpu(self) -> float:
        return cpu_seconds(self.jvm)

    def __enter__(self) -> Phase:
        logger.info("phase: %s", self.name)
        self.start = (time.perf_counter(), time.process_time(), self._jvm_cpu(), os.getloadavg())
        return self

    def __exit__(self, *_: object) -> None:
        wall, cpu, jvm, load = self.start
        seconds = time.perf_counter() - wall
        entry = {
            "seconds": round(seconds, 1),
            "python_cpu_s": round(time.process_time() - cpu, 1),
            "loadavg_before": [round(x, 2) for x in load],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        }
        if self.jvm is not None:
            entry["jvm_cpu_s"] = round(self._jvm_cpu() - jvm, 1)
        self.report.setdefault("phases", {})[self.name] = entry
        logger.info("  %s: %.1f s (load %.2f)", self.name, seconds, os.getloadavg()[0])


def folder_size(path: Path) -> int:
    """Bytes on disk (allocated blocks: Neo4j preallocates transaction logs sparsely)."""
    total = 0
    for item in path.rglob("*"):
        with contextlib.suppress(OSError):
            if item.is_file():
                total += item.stat().st_blocks * 512
    return total


def mb(value: float) -> float:
    return round(value / 2**20, 1)


# -- verification -------------------------------------------------------------------------------


def verify(store: Any, expected: Expected) -> dict[str, Any]:
    """Read the imported graph back through the store API and compare with what was generated."""
    checks: dict[str, Any] = {}
    counts = store.counts()
    checks["counts"] = all(counts.nodes.get(k, 0) == v for k, v in expected.counts_nodes.items()) and all(
        counts.edges.get(k, 0) == v for k, v in expected.counts_edges.items()
    )
    if not checks["counts"]:
        checks["counts_found"] = {"nodes": counts.nodes, "edges": counts.edges}
    neighbours = store.neighbours(
        label=NodeLabel.PERSON, node_id=expected.person, rel_types=[RelType.KNOWS], limit=10_000
    )
    found = {n.node.id: n.edge.props for n in neighbours}
    checks["person_ties"] = set(found) == set(expected.person_ties)
    checks["tie_props"] = all(
        found.get(other, {}).get(name) == props[name]
        for other, props in list(expected.person_ties.items())[:20]
        for name in ("strength", "interaction_count", "last_interaction", "explanation", "channels")
    )
    nodes = store.get_nodes(label=NodeLabel.COMMUNICATION, ids=list(expected.sample_comms))
    checks["communications_as_models"] = len(nodes) == len(expected.sample_comms) and all(
        _same(node.as_entity().to_props(), expected.sample_comms[node.id].to_props()) for node in nodes
    )
    participants = store.participants_of(comm_ids=list(expected.sample_participants))
    checks["participants"] = all(
        {p.person.id for p in participants[cid]} == people for cid, people in expected.sample_participants.items()
    )
    a, middle, c = expected.two_hop
    paths = store.k_best_paths(sources=[a], targets=[c], max_hops=2, k=MAX_PATHS)
    checks["two_hop_path"] = any(path.node_ids == [a, middle, c] for path in paths)
    between = {i.id for i in store.interactions_between(person_ids=list(expected.pair))}
    checks["pair_interactions"] = expected.pair_comms <= between
    checks["ok"] = all(v for k, v in checks.items() if isinstance(v, bool))
    return checks


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal properties, with empty lists and missing ones alike (the importer stores no empty lists)."""
    keep = {k: v for k, v in a.items() if v not in (None, [])}
    other = {k: v for k, v in b.items() if v not in (None, [])}
    return keep == other


# -- goals and queries ---------------------------------------------------------------------------


def make_goals(store: Any, network: Network, expected: Expected, *, goals: int, seed: int) -> list[str]:
    """Goals with two target companies, three target people and a team of four, as users create them."""
    from tellgraph.goals.models import GoalInput
    from tellgraph.goals.service import create_goal

    rng = random.Random(seed + 5)
    ids = []
    people = [p.id for p in network.people]
    for g in range(goals):
        team = network.team[:4] if g == 0 else rng.sample(people, 4)
        record = create_goal(
            store,
            goal=GoalInput(
                name=f"Scale goal {g}",
                description="Win the media rights tender",
                companies=rng.sample(expected.companies, 2),
                people=rng.sample(people, 3),
                owner=team[0],
                team=team[1:],
                suggest=False,
                deadline=NOW + timedelta(days=90),
            ),
            now=NOW,
        )
        ids.append(record.goal.id)
    return ids


def query_requests(
    network: Network, expected: Expected, goals: list[str], *, seed: int
) -> dict[str, list[load_test.Request]]:
    """Per query kind, a deterministic list of requests over the whole graph."""
    rng = random.Random(seed + 9)
    people = [p.id for p in network.people]
    team = network.team[:4]
    targets = [p for p in people if p not in set(network.team)]
    names = [p.name for p in rng.sample(network.people, 50) if p.name]
    terms = names + rng.sample(expected.company_names, min(20, len(expected.company_names))) + list(WORDS[:30])
    requests: dict[str, list[load_test.Request]] = {}
    requests["person"] = [
        load_test.Request("person", {"query": load_test.PERSON_QUERY, "variables": {"id": rng.choice(people)}})
        for _ in range(500)
    ]
    for hops in (2, 3):
        requests[f"paths{hops}"] = [
            load_test.Request(
                f"paths{hops}",
                {
                    "query": load_test.PATHS_QUERY,
                    "variables": {"from": team, "to": rng.choice(targets), "hops": hops},
                },
            )
            for _ in range(500)
        ]
    requests["search"] = [
        load_test.Request("search", {"query": load_test.SEARCH_QUERY, "variables": {"q": rng.choice(terms)}})
        for _ in range(500)
    ]
    requests["goalmap"] = [
        load_test.Request("goalmap", {"query": load_test.GOAL_MAP_QUERY, "variables": {"id": rng.choice(goals)}})
        for _ in range(500)
    ]
    return requests


async def measure_queries(
    url: str, token: str, requests: dict[str, list[load_test.Request]], args: argparse.Namespace, pids: dict[str, Any]
) -> dict[str, Any]:
    results = {}
    for kind, batch in requests.items():
        logger.info("  %s: one client, at most %d requests / %.0f s", kind, args.queries, args.query_seconds)
        step = await load_test.run_step(
            url=url,
            token=token,
            requests=batch,
            concurrency=1,
            seconds=args.query_seconds,
            max_requests=args.queries,
            warmup_seconds=min(5.0, args.query_seconds / 4),
            pids=pids,
        )
        results[kind] = step.summary()
        s = results[kind]
        logger.info("    p50 %.1f ms, p95 %.1f ms, errors %d", s["p50_ms"], s["p95_ms"], s["errors"])
    return results


# -- baseline: the normal batched upsert path -------------------------------------------------------


def upsert_baseline(store: Any, network: Network, *, communications: int, seed: int) -> dict[str, Any]:
    """Communications with SENT/TO edges through ``write_batch`` (1,000 per batch, as ingest does), then deleted."""
    rng = random.Random(seed + 13)
    pairs = [(e.src_id, e.dst_id) for e in network.edges]
    ids: list[str] = []
    rows = 0
    started = time.perf_counter()
    for start in range(0, communications, 1000):
        entities: list[Any] = []
        edges: list[Edge] = []
        for i in range(start, min(communications, start + 1000)):
            a, b = rng.choice(pairs)
            cid = stable_id("m", "scale-baseline", str(i))
            ids.append(cid)
            preview = _words(rng, 12, 34)[:240]
            entities.append(
                Communication(
                    id=cid,
                    channel=Channel.EMAIL,
                    source=SOURCE_MAIL,
                    source_keys=[f"baseline/{i}"],
                    timestamp=NOW - timedelta(seconds=rng.randrange(int(SPAN.total_seconds()))),
                    subject=_words(rng, 3, 7),
                    thread_key=stable_id("t", a, b),
                    preview=preview,
                    body_chars=len(preview),
                    raw_hash=hashlib.sha256(cid.encode()).hexdigest(),
                    participant_count=2,
                    sentiment=0.1,
                    language="en",
                    ingested_at=NOW,
                )
            )
            edges.append(_role_edge(RelType.SENT, a, cid, source=SOURCE_MAIL))
            edges.append(_role_edge(RelType.TO, b, cid, source=SOURCE_MAIL))
        store.write_batch(entities=entities, edges=edges, now=NOW)
        rows += len(entities) + len(edges)
    seconds = time.perf_counter() - started
    for start in range(0, len(ids), 5000):
        store.delete_nodes(label=NodeLabel.COMMUNICATION, ids=ids[start : start + 5000])
    return {
        "communications": communications,
        "rows": rows,
        "seconds": round(seconds, 1),
        "communications_per_s": round(communications / seconds, 1),
        "rows_per_s": round(rows / seconds, 1),
    }


# -- the run ------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, help="default 100k (--quick: 10k)")
    parser.add_argument("--knows", type=int, help="KNOWS edges, default 1M (--quick: 100k)")
    parser.add_argument("--communications", type=int, help="default 5M (--quick: 500k)")
    parser.add_argument("--quick", action="store_true", help="10x smaller: 10k people, 100k KNOWS, 500k communications")
    parser.add_argument("--goals", type=int, default=10)
    parser.add_argument("--home", type=Path, default=Path("/tmp/tellgraph-scale"), help="private server home (WIPED)")
    parser.add_argument("--csv-dir", type=Path, help="where the import CSVs go (default: <home>/import)")
    parser.add_argument("--keep-csv", action="store_true", help="keep the CSVs afterwards")
    parser.add_argument("--bolt-port", type=int, default=29687)
    parser.add_argument("--http-port", type=int, default=29474)
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument("--import-memory", default="4g", help="importer off-heap cap")
    parser.add_argument("--queries", type=int, default=200, help="requests per query kind (one client)")
    parser.add_argument("--query-seconds", type=float, default=60.0, help="time bound per query kind")
    parser.add_argument("--load-levels", default="1,4,16", help="a short load ramp at scale ('' to skip)")
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--api-workers", type=int, default=1, help="tellgraph serve --workers")
    parser.add_argument("--baseline", type=int, default=20_000, help="communications through the upsert path")
    parser.add_argument("--keep", action="store_true", help="leave the server running (and its data) at the end")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    args.people = 100_000 // scale if args.people is None else args.people
    args.knows = 1_000_000 // scale if args.knows is None else args.knows
    args.communications = 5_000_000 // scale if args.communications is None else args.communications
    if args.quick:
        args.heap, args.pagecache, args.import_memory = "1g", "1g", "2g"
        args.baseline = min(args.baseline, 5_000)
        args.queries, args.query_seconds, args.load_seconds = min(args.queries, 100), 30.0, 10.0
    args.csv_dir = args.csv_dir or args.home / "import"
    return args


@contextlib.contextmanager
def neo4j_server(args: argparse.Namespace) -> Iterator[tuple[Settings, LocalNeo4j]]:
    settings = Settings(
        cache_dir=args.home,
        neo4j_bolt_port=args.bolt_port,
        neo4j_http_port=args.http_port,
        neo4j_uri=f"bolt://127.0.0.1:{args.bolt_port}",
        neo4j_heap=args.heap,
        neo4j_pagecache=args.pagecache,
        neo4j_start_timeout=1800.0,
    )
    server = LocalNeo4j(settings=settings, lib_dir=Settings().neo4j_home / f"lib-{settings.neo4j_version}")
    try:
        yield settings, server
    finally:
        if not args.keep:
            server.stop()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tellgraph.graph.neo4j_store import Neo4jStore

    report: dict[str, Any] = {
        "label": args.label,
        "machine": machine(),
        "size": {"people": args.people, "knows": args.knows, "communications": args.communications},
        "neo4j_memory": {"heap": args.heap, "pagecache": args.pagecache},
        "api_workers": args.api_workers,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    if args.home.exists():
        LocalNeo4j(
            settings=Settings(cache_dir=args.home, neo4j_bolt_port=args.bolt_port, neo4j_http_port=args.http_port)
        ).stop()
        shutil.rmtree(args.home)
    with Phase("generate", report):
        network = build_network(people=args.people, edges=args.knows, seed=args.seed, max_degree=300, intra_share=0.8)
        expected, writer = write_csvs(network, communications=args.communications, folder=args.csv_dir, seed=args.seed)
    report["generated"] = {
        "nodes": expected.counts_nodes,
        "edges": expected.counts_edges,
        "network": network.stats,
        "csv_mb": mb(folder_size(args.csv_dir)),
    }
    with neo4j_server(args) as (settings, server):
        with Phase("import", report):
            result = server.import_csv(
                args=writer.import_args(), overwrite=True, max_off_heap_memory=args.import_memory
            )
        report["import"] = {
            "nodes": result.nodes,
            "relationships": result.relationships,
            "properties": result.properties,
        }
        if not args.keep_csv:
            shutil.rmtree(args.csv_dir, ignore_errors=True)
        with Phase("start", report):
            server.start()
        jvm = psutil.Process(server.running_pid() or 0)
        store = Neo4jStore(
            uri=settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            max_retry_time=60.0,
        )
        try:
            with Phase("schema", report, jvm):
                report["schema"] = str(store.apply_schema())
            report["store_after_import_mb"] = store_sizes(server)
            with Phase("verify", report, jvm):
                report["verify"] = verify(store, expected)
            logger.info("verification: %s", report["verify"])
            with Phase("goals", report, jvm):
                goals = make_goals(store, network, expected, goals=args.goals, seed=args.seed)
            requests = query_requests(network, expected, goals, seed=args.seed)
            token = secrets.token_urlsafe(24)
            log_path = args.home / "serve.log"
            extra = {"TELLGRAPH_API_RATE_LIMIT": "0"}
            with (
                RssSampler(jvm.pid) as jvm_rss,
                load_test.serve(
                    settings, token=token, log_path=log_path, extra_env=extra, workers=args.api_workers
                ) as (url, api_pid),
            ):
                pids = {"neo4j": jvm.pid, "api": api_pid, "client": os.getpid()}
                with Phase("queries", report, jvm):
                    report["queries"] = asyncio.run(measure_queries(url, token, requests, args, pids))
                levels = [int(x) for x in args.load_levels.split(",") if x.strip()]
                if levels:
                    mixed = [r for batch in zip(*requests.values(), strict=True) for r in batch]
                    ramp_args = argparse.Namespace(
                        levels=levels,
                        step_seconds=args.load_seconds,
                        step_requests=4000,
                        warmup_seconds=2.0,
                        p95_limit_ms=200.0,
                        all_levels=True,
                    )
                    with Phase("load", report, jvm):
                        steps = asyncio.run(
                            load_test.ramp(url=url, token=token, workload_requests=mixed, args=ramp_args, pids=pids)
                        )
                    report["load"] = [s.summary() for s in steps]
                with contextlib.suppress(psutil.Error):
                    api = psutil.Process(api_pid)
                    report["api_rss_mb"] = mb(sum(p.memory_info().rss for p in [api, *api.children(recursive=True)]))
            report["jvm_rss_peak_mb"] = mb(jvm_rss.peak)
            with contextlib.suppress(psutil.Error):
                report["jvm_rss_mb"] = mb(jvm.memory_info().rss)
            if args.baseline:
                with Phase("baseline_upsert", report, jvm):
                    baseline = upsert_baseline(store, network, communications=args.baseline, seed=args.seed)
                rows_full = sum(expected.counts_nodes.values()) + sum(expected.counts_edges.values())
                baseline["extrapolated_full_hours"] = round(rows_full / baseline["rows_per_s"] / 3600, 2)
                report["baseline_upsert"] = baseline
            report["store_final_mb"] = store_sizes(server)
        finally:
            store.close()
        report["bench_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    ingest = sum(report["phases"][p]["seconds"] for p in ("generate", "import", "start", "schema"))
    report["ingest_total_s"] = round(ingest, 1)
    return report


def store_sizes(server: LocalNeo4j) -> dict[str, float]:
    data = server.data_dir
    return {
        "database": mb(folder_size(data / "databases" / "neo4j")),
        "transactions": mb(folder_size(data / "transactions" / "neo4j")),
        "total_data_dir": mb(folder_size(data)),
    }


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print()
    print(f"== tellgraph scale run {report['label']}")
    print(f"machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}; load at start {report['loadavg_start']}")
    g = report["generated"]
    print(f"graph:   nodes {g['nodes']}; edges {g['edges']}; CSV {g['csv_mb']} MB")
    print(f"neo4j:   heap {report['neo4j_memory']['heap']}, page cache {report['neo4j_memory']['pagecache']}")
    print()
    for name, p in report["phases"].items():
        cpu = f", JVM CPU {p['jvm_cpu_s']} s" if "jvm_cpu_s" in p else ""
        print(
            f"{name:<16}{p['seconds']:>9.1f} s  (Python CPU {p['python_cpu_s']} s{cpu}; load {p['loadavg_before'][0]}"
            f" -> {p['loadavg_after'][0]})"
        )
    print(f"ingest total (generate + import + start + schema): {report['ingest_total_s']} s")
    print(f"verify: {report['verify']}")
    print(f"store on disk after import+schema: {report['store_after_import_mb']} MB; final {report['store_final_mb']}")
    print(
        f"memory: JVM RSS peak {report.get('jvm_rss_peak_mb')} MB, now {report.get('jvm_rss_mb')} MB; "
        f"API RSS {report.get('api_rss_mb')} MB; this process peak {report['bench_peak_rss_mb']} MB"
    )
    print()
    print(f"{'query (1 client)':<18}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  cores used")
    for kind, s in report["queries"].items():
        cores = ", ".join(f"{k} {v}" for k, v in s["cores_used"].items())
        print(f"{kind:<18}{s['requests']:>6}{s['p50_ms']:>9}{s['p95_ms']:>9}{s['p99_ms']:>9}{s['errors']:>8}  {cores}")
        for example in s["error_examples"]:
            print(f"    error: {example}")
    if report.get("load"):
        print(f"load ramp: equal mix of the five queries above, tellgraph serve --workers {report['api_workers']}")
    for s in report.get("load", []):
        print(
            f"load {s['concurrency']:>3} clients: {s['req_per_s']} req/s, p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms,"
            f" errors {s['errors']}, load {s['loadavg_after'][0]}"
        )
    if "baseline_upsert" in report:
        b = report["baseline_upsert"]
        print(
            f"baseline upsert path: {b['communications_per_s']} communications/s ({b['rows_per_s']} rows/s); "
            f"the whole graph that way: ~{b['extrapolated_full_hours']} h"
        )
    print(f"results: {report['out']}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("neo4j", "httpx", "tellgraph.goals", "tellgraph.graph"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    report = run(args)
    name = "scale_run" + ("_quick" if args.quick else "") + (f"_{args.label}" if args.label else "")
    report["out"] = str(save(name, report))
    print_report(report)
    return 0 if report["verify"]["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
