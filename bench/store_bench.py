"""Store benchmark: bulk upserts and k-best path queries on a synthetic company network.

Both stores get the same deterministic graph (people in companies, most KNOWS
edges inside a company, a capped power-law degree distribution), then answer the
same ``k_best_paths`` queries. Figures are compared with baselines measured in
the same run: for Neo4j writes a raw Cypher ``UNWIND ... CREATE`` of the same edges
(no MERGE) and a ``MERGE`` that writes no property at all (what the server itself
manages per edge on this machine, the ceiling for any upsert), and for path search
networkx's own ``shortest_simple_paths``.

By default the benchmark starts a private Neo4j on ports 27687/27474 under
``/tmp/tg-bench-cache`` and stops it at the end; ``--neo4j-uri`` uses a running
server instead. Either way the benchmark CLEARS that database, so it refuses to
touch one that holds anything it did not write itself (``--force-clear``
overrides).

    .venv/bin/python bench/store_bench.py            # 100k people, 1M edges
    .venv/bin/python bench/store_bench.py --quick    # 10k people, 100k edges
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import itertools
import json
import logging
import math
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `bench.common`, and tellgraph from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds  # noqa: E402
from tellgraph.graph.memory import MemoryStore  # noqa: E402
from tellgraph.graph.store import GraphPath, GraphStore, path_sort_key  # noqa: E402
from tellgraph.schema.labels import NodeLabel, RelType  # noqa: E402
from tellgraph.schema.model import Edge, Person, stable_id  # noqa: E402
from tellgraph.settings import Settings  # noqa: E402

BENCH_SOURCE = "tellgraph-bench"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
RESULTS = ROOT / "bench" / "results" / "store_bench.json"
LOCAL_BOLT_PORT = 27687
LOCAL_HTTP_PORT = 27474
LOCAL_HOME = Path("/tmp/tg-bench-cache")
SHARED_LIB = Path.home() / ".cache" / "tellgraph" / "neo4j" / "lib-5.26.12"

logger = logging.getLogger("store_bench")


# -- the synthetic network ----------------------------------------------------------------


@dataclass
class Network:
    """People, their companies, KNOWS edges and the team the queries start from."""

    people: list[Person]
    company_of: list[int]
    edges: list[Edge]
    team: list[str]
    stats: dict[str, Any] = field(default_factory=dict)


def _company_sizes(rng: random.Random, people: int, companies: int) -> list[int]:
    """Zipf-like sizes (exponent 0.8) summing to ``people``, each company at least one person."""
    weights = [(rank + 1) ** -0.8 for rank in range(companies)]
    total = sum(weights)
    sizes = [max(1, int(people * w / total)) for w in weights]
    # Hand out (or take back) the rounding remainder from random companies.
    while sum(sizes) < people:
        sizes[rng.randrange(companies)] += 1
    while sum(sizes) > people:
        index = rng.randrange(companies)
        if sizes[index] > 1:
            sizes[index] -= 1
    rng.shuffle(sizes)
    return sizes


class _WeightedPicker:
    """Pick items with probability proportional to fixed weights (bisect on cumulative sums)."""

    def __init__(self, items: Sequence[int], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight
            self.cumulative.append(running)

    def pick(self, rng: random.Random) -> int:
        index = bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])
        return self.items[min(index, len(self.items) - 1)]


def build_network(*, people: int, edges: int, seed: int, max_degree: int, intra_share: float) -> Network:
    """The same graph for the same arguments: every random choice comes from one seeded RNG."""
    rng = random.Random(seed)
    companies = max(1, people // 10)
    sizes = _company_sizes(rng, people, companies)
    company_of: list[int] = []
    for company, size in enumerate(sizes):
        company_of.extend([company] * size)
    rng.shuffle(company_of)
    members: list[list[int]] = [[] for _ in range(companies)]
    for person, company in enumerate(company_of):
        members[company].append(person)

    # Pareto(alpha=1.8) activity, capped: a few people know many, most know a few.
    activity = [min(rng.paretovariate(1.8), 60.0) for _ in range(people)]
    everyone = _WeightedPicker(range(people), activity)
    by_company = [_WeightedPicker(m, [activity[p] for p in m]) for m in members]

    ids = [stable_id("p", BENCH_SOURCE, str(i)) for i in range(people)]
    domains = [f"company{c}.example" for c in range(companies)]
    person_models = [
        Person(
            id=ids[i],
            name=f"Person {i}",
            emails=[f"person{i}@{domains[company_of[i]]}"],
            company_domain=domains[company_of[i]],
            title=rng.choice(["Engineer", "Sales", "VP", "Founder", "Analyst", "Designer", None]),
            sources=[BENCH_SOURCE],
        )
        for i in range(people)
    ]

    degree = [0] * people
    seen: set[tuple[int, int]] = set()
    pairs: list[tuple[int, int, bool]] = []
    attempts = 0
    target = min(edges, people * max_degree // 2)
    while len(pairs) < target:
        attempts += 1
        if attempts > 50 * target:
            raise RuntimeError(f"could only place {len(pairs)} of {target} edges; lower --edges")
        a = everyone.pick(rng)
        company = company_of[a]
        intra = len(members[company]) > 1 and rng.random() < intra_share
        b = by_company[company].pick(rng) if intra else everyone.pick(rng)
        if a == b or degree[a] >= max_degree or degree[b] >= max_degree:
            continue
        key = (a, b) if a < b else (b, a)
        if key in seen:
            continue
        seen.add(key)
        degree[a] += 1
        degree[b] += 1
        pairs.append((a, b, intra))

    two_years = 2 * 365 * 24 * 3600
    edge_models = []
    for a, b, intra in pairs:
        # Colleagues tend to be closer than cross-company contacts.
        strength = rng.betavariate(3, 2) if intra else rng.betavariate(2, 4)
        strength = round(min(1.0, max(0.01, strength)), 6)
        last = NOW - timedelta(seconds=rng.randrange(two_years))
        edge_models.append(
            Edge(
                type=RelType.KNOWS,
                src_label=NodeLabel.PERSON,
                src_id=ids[a],
                dst_label=NodeLabel.PERSON,
                dst_id=ids[b],
                props={"strength": strength, "last_interaction": last, "interactions": rng.randint(1, 200)},
                provenance=[BENCH_SOURCE],
            )
        )
    # Generation order is random; shuffle once more so batches never follow company blocks.
    rng.shuffle(edge_models)

    # The team: a dozen people of one mid-sized company, as a startup's own staff would be.
    mid = sorted(range(companies), key=lambda c: (abs(len(members[c]) - 15), c))[0]
    team = [ids[p] for p in sorted(members[mid])[:12]]
    degrees = sorted(degree)
    stats = {
        "companies": companies,
        "largest_company": max(sizes),
        "intra_company_share": round(sum(1 for *_, intra in pairs if intra) / max(1, len(pairs)), 3),
        "degree_mean": round(statistics.fmean(degrees), 2),
        "degree_p50": degrees[len(degrees) // 2],
        "degree_p99": degrees[int(len(degrees) * 0.99)],
        "degree_max": degrees[-1],
        "isolated_people": sum(1 for d in degrees if d == 0),
    }
    return Network(people=person_models, company_of=company_of, edges=edge_models, team=team, stats=stats)


@dataclass(frozen=True)
class Query:
    sources: list[str]
    target: str
    max_hops: int


def make_queries(network: Network, *, count: int, seed: int) -> list[Query]:
    """Half 2-hop, half 3-hop; three team members to one random non-team person."""
    rng = random.Random(seed + 1)
    team = set(network.team)
    candidates = [p.id for p in network.people if p.id not in team]
    hops = [2] * (count // 2) + [3] * (count - count // 2)
    rng.shuffle(hops)
    return [Query(sources=sorted(rng.sample(network.team, 3)), target=rng.choice(candidates), max_hops=h) for h in hops]


# -- measuring ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(values: Sequence[float]) -> dict[str, float | int]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "mean_ms": round(statistics.fmean(values), 3) if values else float("nan"),
        "max_ms": round(max(values), 3) if values else float("nan"),
    }


class CpuClock:
    """Wall time and the CPU seconds this process and the Neo4j JVM spent, over one phase.

    The machine may be shared: CPU seconds per row stay meaningful when wall time does not.
    """

    def __init__(self, jvm: psutil.Process | None) -> None:
        self.jvm = jvm
        self.wall = self.client = self.server = 0.0

    def _jvm_seconds(self) -> float:
        return cpu_seconds(self.jvm)

    def __enter__(self) -> CpuClock:
        self._start = (time.perf_counter(), time.process_time(), self._jvm_seconds())
        return self

    def __exit__(self, *_: object) -> None:
        wall, client, server = self._start
        self.wall = time.perf_counter() - wall
        self.client = time.process_time() - client
        self.server = self._jvm_seconds() - server

    def per_row(self, rows: int) -> dict[str, float]:
        """Microseconds of CPU per row, on each side."""
        return {
            "client_cpu_us_per_row": round(self.client / max(1, rows) * 1e6, 1),
            "server_cpu_us_per_row": round(self.server / max(1, rows) * 1e6, 1),
        }


def timed_batches(label: str, rows: Sequence[Any], batch: int, write: Callable[[Sequence[Any]], object]) -> float:
    """Write ``rows`` in batches; rows per second over the whole run."""
    started = time.perf_counter()
    last_report = started
    for start in range(0, len(rows), batch):
        write(rows[start : start + batch])
        now = time.perf_counter()
        if now - last_report > 15:
            done = min(len(rows), start + batch)
            logger.info("  %s: %d/%d rows, %.0f rows/s", label, done, len(rows), done / (now - started))
            last_report = now
    elapsed = time.perf_counter() - started
    return len(rows) / elapsed


class RssSampler:
    """The peak resident set size of a process, sampled in the background."""

    def __init__(self, pid: int | None, interval: float = 0.5) -> None:
        self.peak = 0
        self.loads: list[float] = []
        self._process = psutil.Process(pid) if pid else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(interval)

    def sample(self) -> int:
        self.loads.append(os.getloadavg()[0])
        if self._process is None:
            return 0
        with contextlib.suppress(psutil.Error):
            self.peak = max(self.peak, self._process.memory_info().rss)
        return self.peak

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def listening_pid(port: int) -> int | None:
    """The pid of the process listening on a local TCP port (to find the Neo4j JVM)."""
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return int(conn.pid)
    return None


def machine() -> dict[str, Any]:
    cpu_model = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": cpu_model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "neo4j_driver": _driver_version(),
    }


def _driver_version() -> str:
    try:
        import neo4j
        from neo4j._codec.packstream import RUST_AVAILABLE
    except ImportError:
        return "not installed"
    return f"{neo4j.__version__}{' + neo4j-rust-ext' if RUST_AVAILABLE else ' (pure Python)'}"


def mb(value: int) -> float:
    return round(value / 2**20, 1)


# -- the stores -------------------------------------------------------------------------------


def edge_row(edge: Edge) -> list[Any]:
    """The baseline's row, packed as cheaply as the store packs its own (a list, the datetime as ISO text)."""
    props = edge.props
    return [
        edge.src_id,
        edge.dst_id,
        props["strength"],
        props["last_interaction"].isoformat(),  # type: ignore[union-attr]
        props["interactions"],
        edge.provenance,
    ]


RAW_CREATE = """
UNWIND $rows AS row
MATCH (a:Person {id: row[0]})
MATCH (b:Person {id: row[1]})
CREATE (a)-[r:KNOWS]->(b)
SET r.strength = row[2], r.last_interaction = datetime(row[3]), r.interactions = row[4],
    r.provenance = row[5], r.created_at = $now
"""

# The server's floor on this machine: the same MERGE with no property written at all.
RAW_BARE_MERGE = """
UNWIND $rows AS row
MATCH (a:Person {id: row[0]})
MATCH (b:Person {id: row[1]})
MERGE (a)-[:KNOWS]->(b)
"""

DELETE_KNOWS = "MATCH ()-[r:KNOWS]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS"

FOREIGN_DATA = f"""
MATCH (n) WHERE NOT n:SchemaMigration AND NOT '{BENCH_SOURCE}' IN coalesce(n.sources, [])
RETURN count(n) > 0 AS foreign
"""


class Neo4jBench:
    """A Neo4jStore plus a raw driver session for the baseline."""

    def __init__(self, *, uri: str, settings: Settings) -> None:
        import neo4j

        from tellgraph.graph.neo4j_store import Neo4jStore

        password = settings.neo4j_password.get_secret_value()
        self.store = Neo4jStore(uri=uri, user=settings.neo4j_user, password=password, database=settings.neo4j_database)
        self.driver = neo4j.GraphDatabase.driver(uri, auth=(settings.neo4j_user, password))
        self.database = settings.neo4j_database

    def run(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)  # type: ignore[arg-type]
        return list(records)

    def auto_commit(self, query: str, **params: Any) -> None:
        with self.driver.session(database=self.database) as session:
            session.run(query, params).consume()  # type: ignore[arg-type]

    def version(self) -> str:
        records = self.run("CALL dbms.components() YIELD name, versions, edition RETURN versions[0] AS v, edition AS e")
        return f"{records[0]['v']} {records[0]['e']}" if records else "?"

    def raw_create(self, rows: Sequence[list[Any]]) -> None:
        self.run(RAW_CREATE, rows=list(rows), now=NOW)

    def raw_bare_merge(self, rows: Sequence[list[Any]]) -> None:
        self.run(RAW_BARE_MERGE, rows=[row[:2] for row in rows])

    def close(self) -> None:
        self.store.close()
        self.driver.close()


def load_store(
    name: str, store: GraphStore, network: Network, *, batch: int, jvm: psutil.Process | None = None
) -> dict[str, Any]:
    logger.info("[%s] upserting %d people", name, len(network.people))
    with CpuClock(jvm) as people_clock:
        people_rate = timed_batches(
            f"{name} people", network.people, batch, lambda chunk: store.upsert_entities(entities=chunk)
        )
    logger.info("[%s] %.0f people/s; upserting %d edges", name, people_rate, len(network.edges))
    written = 0

    def write_edges(chunk: Sequence[Edge]) -> None:
        nonlocal written
        written += store.upsert_edges(edges=chunk, now=NOW)

    with CpuClock(jvm) as edge_clock:
        edge_rate = timed_batches(f"{name} edges", network.edges, batch, write_edges)
    logger.info("[%s] %.0f edges/s (%d written)", name, edge_rate, written)
    if written != len(network.edges):
        raise RuntimeError(f"{name}: wrote {written} of {len(network.edges)} edges")
    return {
        "people_per_s": round(people_rate),
        "edges_per_s": round(edge_rate),
        "edges_written": written,
        "people_cpu": people_clock.per_row(len(network.people)),
        "edges_cpu": edge_clock.per_row(len(network.edges)),
    }


def run_queries(
    name: str, store: GraphStore, queries: Sequence[Query], *, k: int, warmup: int, jvm: psutil.Process | None = None
) -> tuple[dict[str, Any], list[list[GraphPath]]]:
    for query in queries[:warmup]:
        store.k_best_paths(sources=query.sources, targets=[query.target], max_hops=query.max_hops, k=k)
    latencies: dict[int, list[float]] = {2: [], 3: []}
    answers: list[list[GraphPath]] = []
    found = 0
    started = time.perf_counter()
    clock = CpuClock(jvm).__enter__()
    for index, query in enumerate(queries):
        t0 = time.perf_counter()
        paths = store.k_best_paths(sources=query.sources, targets=[query.target], max_hops=query.max_hops, k=k)
        latencies.setdefault(query.max_hops, []).append((time.perf_counter() - t0) * 1000)
        answers.append(paths)
        found += bool(paths)
        if index and index % 250 == 0:
            logger.info("  [%s] %d/%d queries, %.1f s", name, index, len(queries), time.perf_counter() - started)
    clock.__exit__()
    every = [ms for values in latencies.values() for ms in values]
    summary: dict[str, Any] = {
        "all": latency_summary(every),
        **{f"{hops}_hops": latency_summary(values) for hops, values in sorted(latencies.items()) if values},
        "queries_with_a_path": found,
        "paths_returned": sum(len(a) for a in answers),
        "client_cpu_ms_per_query": round(clock.client / max(1, len(queries)) * 1000, 2),
        "server_cpu_ms_per_query": round(clock.server / max(1, len(queries)) * 1000, 2),
    }
    return summary, answers


def same_answer(left: Sequence[GraphPath], right: Sequence[GraphPath], tolerance: float = 1e-9) -> bool:
    return len(left) == len(right) and all(
        a.node_ids == b.node_ids and abs(a.score - b.score) <= tolerance for a, b in zip(left, right, strict=True)
    )


# -- the networkx baseline ----------------------------------------------------------------------


def weighted_graph(network: Network) -> nx.Graph[Any]:
    """An undirected graph weighted by -log(strength): shortest = highest product of strengths."""
    graph: nx.Graph[Any] = nx.Graph()
    for edge in network.edges:
        strength = float(edge.props["strength"])  # type: ignore[arg-type]
        graph.add_edge(edge.src_id, edge.dst_id, weight=-math.log(strength), strength=strength)
    return graph


def nx_best_paths(graph: nx.Graph[Any], query: Query, *, k: int, max_candidates: int) -> tuple[list[GraphPath], bool]:
    """k best paths within ``max_hops`` by ``shortest_simple_paths`` from a virtual super-source.

    Returns the paths and whether the search finished (found ``k`` or ran out)
    before ``max_candidates`` candidate paths.
    """
    source = ("__source__",)
    graph.add_node(source)
    for s in query.sources:
        if s in graph:
            graph.add_edge(source, s, weight=0.0)
    found: list[GraphPath] = []
    complete = True
    sources = set(query.sources)
    try:
        if query.target in graph and graph.degree(source):
            for candidates, path in enumerate(nx.shortest_simple_paths(graph, source, query.target, weight="weight")):
                nodes = path[1:]
                if candidates >= max_candidates:
                    complete = False
                    break
                if len(nodes) - 1 > query.max_hops or any(n in sources for n in nodes[1:]):
                    continue
                score = 1.0
                for a, b in itertools.pairwise(nodes):
                    score *= graph.edges[a, b]["strength"]
                found.append(GraphPath(node_ids=list(nodes), hops=[], score=score))
                if len(found) >= k:
                    break
    except nx.NetworkXNoPath:
        pass
    finally:
        graph.remove_node(source)
    found.sort(key=path_sort_key)
    return found, complete


# -- the run ---------------------------------------------------------------------------------


@contextlib.contextmanager
def local_neo4j(args: argparse.Namespace) -> Iterator[tuple[str, Settings, int | None]]:
    """Start a private Neo4j for the benchmark and stop it afterwards; or use ``--neo4j-uri``."""
    if args.neo4j_uri:
        settings = Settings(neo4j_uri=args.neo4j_uri)
        port = int(args.neo4j_uri.rsplit(":", 1)[1]) if args.neo4j_uri.count(":") == 2 else 7687
        yield args.neo4j_uri, settings, listening_pid(port)
        return
    from tellgraph.graph.neo4j_server import LocalNeo4j

    uri = f"bolt://127.0.0.1:{args.bolt_port}"
    settings = Settings(
        cache_dir=args.neo4j_home,
        neo4j_bolt_port=args.bolt_port,
        neo4j_http_port=args.http_port,
        neo4j_uri=uri,
        neo4j_heap=args.neo4j_heap,
        neo4j_pagecache=args.neo4j_pagecache,
    )
    server = LocalNeo4j(settings=settings, lib_dir=SHARED_LIB if SHARED_LIB.is_dir() else None)
    # The benchmark clears the database anyway; a server killed mid-run would otherwise spend
    # minutes recovering gigabytes of transaction logs before it answers.
    shutil.rmtree(server.data_dir, ignore_errors=True)
    started = server.start()
    logger.info("%s", started.message)
    try:
        yield uri, settings, started.pid
    finally:
        logger.info("stopping the benchmark's Neo4j (pid %d)", started.pid)
        server.stop()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="10k people and 100k edges")
    parser.add_argument("--stores", default="neo4j,memory", help="comma-separated: neo4j, memory")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000, help="entities or edges per upsert call")
    parser.add_argument("--max-degree", type=int, default=300)
    parser.add_argument("--intra-share", type=float, default=0.8, help="share of edges inside a company")
    parser.add_argument("--warmup", type=int, default=50, help="untimed queries before the timed ones")
    parser.add_argument("--verify", type=int, default=50, help="queries whose answers are compared across stores")
    parser.add_argument("--nx-queries", type=int, default=5, help="queries for the networkx baseline (0: skip)")
    parser.add_argument(
        "--nx-max-candidates", type=int, default=10, help="give a networkx query up after this many candidate paths"
    )
    parser.add_argument("--no-raw-baseline", action="store_true", help="skip the raw Cypher CREATE baseline")
    parser.add_argument("--neo4j-uri", help="use this running server (its database is CLEARED)")
    parser.add_argument("--force-clear", action="store_true", help="clear the database even if it holds other data")
    parser.add_argument("--neo4j-home", type=Path, default=LOCAL_HOME, help="cache dir of the private server")
    parser.add_argument("--bolt-port", type=int, default=LOCAL_BOLT_PORT)
    parser.add_argument("--http-port", type=int, default=LOCAL_HTTP_PORT)
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--label", default="", help="a note stored with the results (e.g. 'before')")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.edges = 10_000, 100_000
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(args.stores) - {"neo4j", "memory"}
    if unknown:
        parser.error(f"unknown stores: {', '.join(sorted(unknown))}")
    return args


def print_report(report: dict[str, Any]) -> None:
    m, p = report["machine"], report["params"]
    print()
    print(f"== tellgraph store benchmark {report['label']} ({report['started_at']})")
    print(f"machine: {m['cores']} cores, {m['ram_gb']} GB RAM, {m['cpu']}, Python {m['python']}")
    during = m.get("load_avg_during_neo4j", {})
    print(
        f"         Neo4j {report.get('neo4j_version', '-')}, neo4j driver {m['neo4j_driver']}; "
        f"1-min load average at start {m['load_avg_at_start'][0]}, during the Neo4j phases "
        f"mean {during.get('mean', '-')} max {during.get('max', '-')}"
    )
    print(
        f"graph:   {p['people']:,} people, {p['edges']:,} KNOWS edges, {report['graph']['companies']:,} companies; "
        f"degree mean {report['graph']['degree_mean']}, p99 {report['graph']['degree_p99']}, "
        f"max {report['graph']['degree_max']}; {report['graph']['intra_company_share']:.0%} inside a company"
    )
    print(f"         built in {report['graph']['build_s']} s; batches of {p['batch']:,}; seed {p['seed']}")
    print()
    print(f"{'writes (wall clock)':<38}{'people/s':>10}{'edges/s':>10}   CPU us/edge client + server")
    for name, figures in report["writes"].items():
        cpu = figures.get("edges_cpu", {})
        print(
            f"{name:<38}{figures.get('people_per_s', '-'):>10}{figures['edges_per_s']:>10}"
            f"   {cpu.get('client_cpu_us_per_row', '-')} + {cpu.get('server_cpu_us_per_row', '-')}"
        )
    print()
    print(f"k_best_paths, k={p['k']}, {p['queries']} queries (+{p['warmup']} warm-up):")
    print(f"{'store':<30}{'hops':>5}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}{'max ms':>10}")
    for name, summary in report["paths"].items():
        for hops in ("2_hops", "3_hops", "all"):
            s = summary.get(hops)
            if s:
                print(
                    f"{name[:30]:<30}{hops.split('_')[0]:>5}{s['n']:>6}{s['p50_ms']:>10}{s['p95_ms']:>10}"
                    f"{s['p99_ms']:>10}{s['mean_ms']:>10}{s['max_ms']:>10}"
                )
        if "queries_with_a_path" in summary:
            print(
                f"{'':<30}queries with a path: {summary['queries_with_a_path']}/{summary['all']['n']}; CPU per query: "
                f"client {summary['client_cpu_ms_per_query']} ms, server {summary['server_cpu_ms_per_query']} ms"
            )
    if "agreement" in report:
        a = report["agreement"]
        print(
            f"agreement neo4j vs memory (ids, scores to 1e-9): {a['agree']}/{a['sampled']} sampled queries "
            f"({a['with_paths']} with paths); all queries {a['all_agree']}/{a['all']} "
            f"({a['all_with_paths']} with paths)"
        )
    if "nx_agreement" in report:
        a = report["nx_agreement"]
        print(
            f"networkx baseline vs stores: {a['agree']}/{a['sampled']} identical, "
            f"{a['incomplete']} stopped at {p['nx_max_candidates']} candidates"
        )
    print()
    rss = report["rss_mb"]
    print(f"peak RSS: python {rss['python_peak']} MB, neo4j JVM {rss.get('neo4j_peak', '-')} MB")
    print(f"targets: neo4j upserts >= 20,000 edges/s: {report['targets'].get('upsert_edges_per_s', '-')}")
    print(f"         neo4j path p95 < 50 ms: {report['targets'].get('path_p95_ms', '-')}")
    print(f"results: {report['out']}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("neo4j").setLevel(logging.WARNING)
    logging.getLogger("tellgraph").setLevel(logging.WARNING)
    report: dict[str, Any] = {
        "label": args.label,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "params": {
            key: (str(value) if isinstance(value, Path) else value)
            for key, value in vars(args).items()
            if key not in {"neo4j_home", "out"}
        },
        "writes": {},
        "paths": {},
    }

    t0 = time.perf_counter()
    network = build_network(
        people=args.people, edges=args.edges, seed=args.seed, max_degree=args.max_degree, intra_share=args.intra_share
    )
    report["graph"] = {**network.stats, "build_s": round(time.perf_counter() - t0, 1)}
    logger.info("built %d people and %d edges in %.1f s: %s", len(network.people), len(network.edges),
                time.perf_counter() - t0, network.stats)  # fmt: skip
    queries = make_queries(network, count=args.queries, seed=args.seed)
    verify_rng = random.Random(args.seed + 2)
    verify_idx = sorted(verify_rng.sample(range(len(queries)), min(args.verify, len(queries))))
    answers: dict[str, list[list[GraphPath]]] = {}

    with contextlib.ExitStack() as stack:
        if "memory" in args.stores:
            memory = MemoryStore()
            memory.apply_schema()
            report["writes"]["memory: store upsert"] = load_store("memory", memory, network, batch=args.batch)
            report["paths"]["memory"], answers["memory"] = run_queries(
                "memory", memory, queries, k=args.k, warmup=args.warmup
            )
            logger.info("[memory] paths: %s", report["paths"]["memory"]["all"])

        neo4j_sampler = None
        if "neo4j" in args.stores:
            uri, settings, pid = stack.enter_context(local_neo4j(args))
            neo4j_sampler = stack.enter_context(RssSampler(pid))
            bench = Neo4jBench(uri=uri, settings=settings)
            stack.callback(bench.close)
            report["neo4j_version"] = bench.version()
            report["neo4j_uri"] = uri
            if bench.run(FOREIGN_DATA)[0]["foreign"] and not args.force_clear:
                raise SystemExit(f"{uri} holds data the benchmark did not write; refusing to clear it")
            bench.store.apply_schema()
            bench.store.clear()
            rows = [edge_row(e) for e in network.edges]
            writes = report["writes"]
            jvm = psutil.Process(pid) if pid else None
            writes["neo4j: store upsert"] = load_store("neo4j", bench.store, network, batch=args.batch, jvm=jvm)
            report["paths"]["neo4j"], answers["neo4j"] = run_queries(
                "neo4j", bench.store, queries, k=args.k, warmup=args.warmup, jvm=jvm
            )
            logger.info("[neo4j] paths: %s", report["paths"]["neo4j"]["all"])
            if not args.no_raw_baseline:
                # Same edges, same batches, one transaction per batch: CREATE without MERGE, then
                # MERGE with no properties, which bounds what any upsert can reach on this machine.
                baselines = (
                    ("raw CREATE", "neo4j: raw UNWIND CREATE (baseline)", bench.raw_create),
                    ("bare MERGE", "neo4j: raw MERGE, no properties (floor)", bench.raw_bare_merge),
                )
                for label, key, write in baselines:
                    logger.info("[neo4j] %s: deleting the edges, then writing them again", label)
                    bench.auto_commit(DELETE_KNOWS)
                    with CpuClock(jvm) as clock:
                        rate = timed_batches(label, rows, args.batch, write)
                    writes[key] = {"edges_per_s": round(rate), "edges_cpu": clock.per_row(len(rows))}
                    logger.info("[neo4j] %s: %.0f edges/s", label, rate)
            report["rss_mb"] = {"neo4j_peak": mb(neo4j_sampler.sample())}
            loads = neo4j_sampler.loads
            report["machine"]["load_avg_during_neo4j"] = {
                "mean": round(statistics.fmean(loads), 2),
                "max": round(max(loads), 2),
            }

    if "neo4j" in answers and "memory" in answers:
        agree = [i for i in verify_idx if same_answer(answers["neo4j"][i], answers["memory"][i])]
        # Every answer is at hand anyway: compare them all too (most random targets have no path).
        every = [i for i in range(len(queries)) if same_answer(answers["neo4j"][i], answers["memory"][i])]
        report["agreement"] = {
            "sampled": len(verify_idx),
            "agree": len(agree),
            "with_paths": sum(1 for i in verify_idx if answers["memory"][i]),
            "all": len(queries),
            "all_agree": len(every),
            "all_with_paths": sum(1 for i in range(len(queries)) if answers["memory"][i]),
            "mismatches": [queries[i].__dict__ for i in range(len(queries)) if i not in set(every)][:5],
        }
        logger.info("agreement: %s", report["agreement"])

    if args.nx_queries:
        logger.info("networkx baseline: building the weighted graph")
        graph = weighted_graph(network)
        reference = answers.get("memory") or answers.get("neo4j")
        # Queries with a path, where agreeing means something (most random targets have none).
        with_paths = [i for i in range(len(queries)) if reference and reference[i]] or list(range(len(queries)))
        nx_idx = sorted(verify_rng.sample(with_paths, min(args.nx_queries, len(with_paths))))
        latencies: list[float] = []
        agree_count = incomplete = 0
        for i in nx_idx:
            t0 = time.perf_counter()
            found, complete = nx_best_paths(graph, queries[i], k=args.k, max_candidates=args.nx_max_candidates)
            latencies.append((time.perf_counter() - t0) * 1000)
            incomplete += not complete
            if reference is not None and same_answer(found, reference[i]):
                agree_count += 1
        report["paths"]["networkx (baseline)"] = {"all": latency_summary(latencies)}
        if reference is not None:
            report["nx_agreement"] = {"sampled": len(nx_idx), "agree": agree_count, "incomplete": incomplete}
        del graph

    report.setdefault("rss_mb", {})["python_peak"] = mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    targets: dict[str, str] = {}
    neo_write = report["writes"].get("neo4j: store upsert")
    if neo_write:
        rate = neo_write["edges_per_s"]
        targets["upsert_edges_per_s"] = f"{rate:,} ({'met' if rate >= 20_000 else 'NOT met'})"
    neo_paths = report["paths"].get("neo4j")
    if neo_paths:
        p95 = neo_paths["all"]["p95_ms"]
        targets["path_p95_ms"] = f"{p95} ({'met' if p95 < 50 else 'NOT met'})"
    report["targets"] = targets
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report["out"] = str(args.out)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
