"""API benchmark: GraphQL over HTTP under concurrent clients, next to the same work as raw Cypher.

Two queries and a floor, each measured twice (32 clients, one client) in the same run
against the same Neo4j:

- ``floor``: ``{ __typename }``, which reaches no resolver and no store, against the
  driver's ``RETURN 1``: what a request costs before it does any work (HTTP, auth,
  parsing, validation, JSON on one side; Bolt on the other).
- ``person``: one person with their 10 strongest relationships (name and
  strength of each) and the tie count; raw baseline: one Cypher query returning the same.
- ``warmIntroPaths``: three team members to one target, up to 3 hops, best 5;
  raw baseline: the store's own path Cypher (``neo4j_cypher.k_best_paths``, k = 5).
  The API also re-scores for staleness, collapses near-duplicates, fetches names
  and explains each path, so its extra time buys something.

GraphQL requests go through the app ``tellgraph serve`` runs (uvicorn, one process, no access log),
each client with its own ``httpx.AsyncClient``; the baseline uses the async Neo4j driver with the same
number of concurrent tasks. Latency is per request (p50/p95/p99); throughput is
requests over wall time. Data goes into a private Neo4j (its own ports and home)
unless ``--neo4j-uri`` names one whose data is used as it is.

    .venv/bin/python bench/api_bench.py                        # demo + Enron sample
    .venv/bin/python bench/api_bench.py --synthetic --quick     # 10k people, 100k edges
    .venv/bin/python bench/api_bench.py --synthetic             # 100k people, 1M edges
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, private_neo4j, save  # noqa: E402
from tellgraph.graph import neo4j_cypher as cypher  # noqa: E402
from tellgraph.schema.labels import RelType  # noqa: E402
from tellgraph.settings import Settings  # noqa: E402

logger = logging.getLogger("api_bench")

TOKEN = "api-bench-token-000000000001"
BOLT_PORT, HTTP_PORT = 28687, 28474
DEMO_TEAM = ["maya.chen@northlight.tv", "tom.okafor@northlight.tv", "priya.raman@northlight.tv"]
DEMO_PERSON = "maya.chen@northlight.tv"
DEMO_TARGET = "omar.haddad@the-afc.example"

PERSON_QUERY = """query($id: ID) { person(id: $id) { id name
  relationships(first: 10) { totalCount edges { node { strength lastInteraction other { id name } } } } } }"""
PATHS_QUERY = """query($from: [String!]!, $to: String!) { warmIntroPaths(from: $from, to: $to, maxHops: 3, first: 5) {
  score explanation hops { from { id name } to { id name } strength lastInteraction } } }"""
FLOOR_QUERY = "query { __typename }"
"""The floor: a request that reaches neither resolvers nor the store (HTTP, auth, parsing, validation, JSON)."""
RAW_PERSON = """
MATCH (p:Person {id: $id})
CALL (p) {
  MATCH (p)-[r:KNOWS]-(m:Person)
  WITH r, m ORDER BY coalesce(r.strength, 0.0) DESC, m.id ASC LIMIT 10
  RETURN collect({strength: r.strength, last: r.last_interaction, id: m.id, name: m.name}) AS ties
}
RETURN p.id AS id, p.name AS name, COUNT { (p)-[:KNOWS]-() } AS total, ties
"""


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1] if ordered else float("nan")


def summary(latencies: Sequence[float], wall: float) -> dict[str, float]:
    return {
        "n": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "req_per_s": round(len(latencies) / wall, 1),
    }


async def closed_loop(
    call: Callable[[int, int], Awaitable[None]], *, requests: int, concurrency: int
) -> dict[str, float]:
    """``concurrency`` workers issue ``requests`` calls (request index, worker index) back to back.

    Returns the latency summary.
    """
    latencies: list[float] = []
    counter = iter(range(requests))

    async def worker(number: int) -> None:
        for index in counter:
            started = time.perf_counter()
            await call(index, number)
            latencies.append((time.perf_counter() - started) * 1000)

    wall_start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return summary(latencies, time.perf_counter() - wall_start)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def api_server(settings: Settings, log_path: Path, *, workers: int = 1) -> Iterator[str]:
    """The API (``tellgraph.api.server:app_factory``) under uvicorn against the benchmark's Neo4j."""
    port = free_port()
    env = {
        **os.environ,
        "TELLGRAPH_API_TOKENS": f"{TOKEN}:viewer",
        "TELLGRAPH_STORE": "neo4j",
        "TELLGRAPH_NEO4J_URI": settings.neo4j_uri,
        "TELLGRAPH_API_MAX_PAGE": "100",
        # The benchmark measures the server's capacity, not one token's quota (50/s by default).
        "TELLGRAPH_API_RATE_LIMIT": "0",
    }
    with log_path.open("w") as log:
        # The app `tellgraph serve` runs, through uvicorn's CLI so that idle keep-alive connections are not
        # closed under the clients' feet (a 5 s default) and the access log does not cost CPU.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tellgraph.api.server:app_factory",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--timeout-keep-alive",
                "120",
                "--no-access-log",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"the API did not start: {log_path.read_text()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -- workloads -------------------------------------------------------------------------------


class Workload:
    """Who to ask about: person ids for ``person``, (team, target) pairs for paths."""

    def __init__(self, *, name: str, people: list[str], paths: list[tuple[list[str], str]]) -> None:
        self.name = name
        self.people = people
        self.paths = paths


def demo_workload(settings: Settings, *, load: bool) -> Workload:
    from rich.console import Console

    from tellgraph.demo import load_demo
    from tellgraph.graph.factory import open_store
    from tellgraph.services.people import resolve_person

    if load:
        store = open_store(settings=settings)
        store.clear()
        store.close()
        logger.info("loading the demo data (with the Enron sample)")
        load_demo(settings=settings, console=Console(quiet=True))
    store = open_store(settings=settings)
    try:
        ids = {ref: resolve_person(store, ref=ref).id for ref in [*DEMO_TEAM, DEMO_TARGET, DEMO_PERSON]}
    finally:
        store.close()
    return Workload(
        name="demo",
        people=[ids[DEMO_PERSON]],
        paths=[([ids[r] for r in DEMO_TEAM], ids[DEMO_TARGET])],
    )


def synthetic_workload(settings: Settings, args: argparse.Namespace) -> Workload:
    from bench.store_bench import NOW, build_network, make_queries
    from tellgraph.graph.factory import open_store

    logger.info("building the synthetic graph: %d people, %d edges", args.people, args.edges)
    network = build_network(people=args.people, edges=args.edges, seed=7, max_degree=300, intra_share=0.8)
    store = open_store(settings=settings)
    try:
        if args.load:
            store.clear()
            store.apply_schema()
            started = time.perf_counter()
            for start in range(0, len(network.people), 10_000):
                store.upsert_entities(entities=network.people[start : start + 10_000])
            for start in range(0, len(network.edges), 10_000):
                store.upsert_edges(edges=network.edges[start : start + 10_000], now=NOW)
            logger.info("loaded in %.0f s", time.perf_counter() - started)
        rows = store.query_people(query=_people_with_ties(network.team))
    finally:
        store.close()
    people = [r.node.id for r in rows.rows if r.degree >= 10] or [r.node.id for r in rows.rows]
    queries = [q for q in make_queries(network, count=400, seed=7) if q.max_hops == 3]
    return Workload(name="synthetic", people=people, paths=[(q.sources, q.target) for q in queries])


def _people_with_ties(ids: list[str]) -> Any:
    from tellgraph.graph.queries import PersonQuery, PersonSort

    return PersonQuery(ids=ids, sort=PersonSort.DEGREE, descending=True, limit=len(ids))


# -- the run ---------------------------------------------------------------------------------


async def measure(url: str, settings: Settings, workload: Workload, args: argparse.Namespace) -> dict[str, Any]:
    from neo4j import AsyncGraphDatabase, RoutingControl

    rng = random.Random(11)
    people = [rng.choice(workload.people) for _ in range(args.requests)]
    paths = [rng.choice(workload.paths) for _ in range(args.requests)]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    results: dict[str, Any] = {}
    # One client (one keep-alive connection) per worker, as 32 browsers would be, made afresh for each
    # scenario. Sharing one httpx pool among the workers made the load generator the bottleneck: its
    # pool bookkeeping held a bare request to 264 req/s where separate clients reach ~1,200.
    clients: list[httpx.AsyncClient] = []
    errors: list[str] = []

    async def gql(query: str, variables: dict[str, Any], worker: int) -> None:
        try:
            response = await clients[worker].post("/graphql", json={"query": query, "variables": variables})
        except httpx.TransportError as exc:
            errors.append(f"{type(exc).__name__}: {exc!r} / {exc.__context__!r}")
            return
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"GraphQL error: {body}")

    async def gql_person(i: int, worker: int) -> None:
        await gql(PERSON_QUERY, {"id": people[i % len(people)]}, worker)

    async def gql_paths(i: int, worker: int) -> None:
        team, target = paths[i % len(paths)]
        await gql(PATHS_QUERY, {"from": team, "to": target}, worker)

    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        max_connection_pool_size=max(64, args.concurrency),
    )
    paths_cypher = cypher.k_best_paths(RelType.KNOWS, 3)

    async def raw_person(i: int, worker: int) -> None:
        await driver.execute_query(RAW_PERSON, {"id": people[i % len(people)]}, routing_=RoutingControl.READ)

    async def raw_paths(i: int, worker: int) -> None:
        team, target = paths[i % len(paths)]
        params = {"sources": team, "targets": [target], "min_strength": 0.0, "k": 5}
        await driver.execute_query(paths_cypher, params, routing_=RoutingControl.READ)

    async def gql_floor(i: int, worker: int) -> None:
        await gql(FLOOR_QUERY, {}, worker)

    async def raw_floor(i: int, worker: int) -> None:
        await driver.execute_query("RETURN 1 AS one", routing_=RoutingControl.READ)

    scenarios = {
        "floor: raw Cypher": raw_floor,
        "floor: GraphQL": gql_floor,
        "person: raw Cypher": raw_person,
        "person: GraphQL": gql_person,
        "warmIntroPaths: raw Cypher": raw_paths,
        "warmIntroPaths: GraphQL": gql_paths,
    }
    try:
        for name, call in scenarios.items():
            for label, requests, concurrency in (
                (name, args.requests, args.concurrency),
                (f"{name} (1 client)", args.serial, 1),
            ):
                clients[:] = [httpx.AsyncClient(base_url=url, headers=headers, timeout=60) for _ in range(concurrency)]
                try:
                    await closed_loop(call, requests=args.warmup, concurrency=concurrency)
                    logger.info("measuring %s", label)
                    results[label] = await closed_loop(call, requests=requests, concurrency=concurrency)
                finally:
                    for one in clients:
                        await one.aclose()
    finally:
        await driver.close()
    results["transport errors"] = {"count": len(errors), "first": errors[:3]}
    return results


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", action="store_true", help="store_bench's synthetic graph instead of the demo")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="synthetic: 10k people, 100k edges")
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per scenario")
    parser.add_argument("--serial", type=int, default=100, help="timed requests per scenario with one client")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="API processes (tellgraph serve --workers)")
    parser.add_argument("--neo4j-uri", help="use this running Neo4j and its data as they are (nothing is loaded)")
    parser.add_argument("--no-load", dest="load", action="store_false", help="the private Neo4j already has the data")
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.edges = 10_000, 100_000
    if args.neo4j_uri:
        args.load = False
    return args


@contextlib.contextmanager
def neo4j_for(args: argparse.Namespace) -> Iterator[Settings]:
    if args.neo4j_uri:
        yield Settings(neo4j_uri=args.neo4j_uri)
        return
    with private_neo4j(bolt_port=BOLT_PORT, http_port=HTTP_PORT, heap="2g", pagecache="1g") as (settings, _server):
        yield settings


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print()
    print(f"== tellgraph API benchmark {report['label']} ({report['workload']})")
    print(f"machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}, Python {m['python']}")
    print(f"graph:   {report['graph']}")
    print(
        f"load:    {report['concurrency']} concurrent clients, {report['requests']} requests per scenario, "
        f"{report.get('api_workers', 1)} API process(es)"
    )
    print()
    print(f"{'scenario':<40}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    for name, s in report["results"].items():
        if "n" not in s:
            print(f"{name}: {s}")
            continue
        print(f"{name:<40}{s['n']:>6}{s['p50_ms']:>9}{s['p95_ms']:>9}{s['p99_ms']:>9}{s['req_per_s']:>9}")
    print()
    for name, ratio in report["overhead_p50"].items():
        print(f"GraphQL / raw Cypher at p50, {name}: {ratio}x (target <= 1.5x)")
    print(
        f"warmIntroPaths p95 under load: {report['results']['warmIntroPaths: GraphQL']['p95_ms']} ms (target < 100 ms)"
    )
    print(f"results: {report['out']}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("neo4j").setLevel(logging.WARNING)
    logging.getLogger("tellgraph").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with neo4j_for(args) as settings:
        workload = synthetic_workload(settings, args) if args.synthetic else demo_workload(settings, load=args.load)
        from tellgraph.graph.factory import open_store

        store = open_store(settings=settings)
        try:
            counts = store.counts()
        finally:
            store.close()
        graph = f"{counts.nodes.get('Person', 0):,} people, {counts.edges.get('KNOWS', 0):,} KNOWS edges"
        log_path = Path("/tmp") / f"api-bench-serve-{os.getpid()}.log"
        with api_server(settings, log_path, workers=args.workers) as url:
            results = asyncio.run(measure(url, settings, workload, args))
    overhead = {}
    for name in ("floor", "person", "warmIntroPaths"):
        for suffix in ("", " (1 client)"):
            raw, gql = results[f"{name}: raw Cypher{suffix}"], results[f"{name}: GraphQL{suffix}"]
            overhead[f"{name}{suffix}"] = round(gql["p50_ms"] / raw["p50_ms"], 2)
    report: dict[str, Any] = {
        "label": args.label,
        "workload": workload.name,
        "machine": machine(),
        "graph": graph,
        "concurrency": args.concurrency,
        "api_workers": args.workers,
        "requests": args.requests,
        "results": results,
        "overhead_p50": overhead,
    }
    report["out"] = str(save(f"api_bench_{workload.name}", report))
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
