"""Load test: mixed GraphQL reads against a real ``tellgraph serve`` at rising concurrency.

Closed-loop asyncio clients (``httpx.AsyncClient``, no think time) send a weighted
mix of the reads people make most (a person with their strongest relationships,
``warmIntroPaths``, ``search``, ``goalMap``) at 1, 2, 4, ... concurrent clients. Each
step runs for at most ``--step-seconds`` and ``--step-requests`` (after a short
warm-up that is not counted); the run stops after the first step whose p95 is over
``--p95-limit-ms`` (200 ms). Per step it reports requests/s, p50/p95/p99 (overall
and per query), the error rate with the first error messages (any non-200 answer,
GraphQL error or transport failure is an error), and the machine's state while it
ran: load average and the CPU time used by the Neo4j JVM, the API server, this
client and everything else (other people's work on a shared machine shows up there).

The answer it gives is the *sustained* requests/s: the throughput of the last step
whose p95 stayed under the limit.

Where the API and the data come from:

    # a running Neo4j that already holds data (the demo, say): serve it and measure
    .venv/bin/python bench/load_test.py --neo4j-uri bolt://127.0.0.1:7687
    # clear that Neo4j and load the demo (or --data synthetic) first
    .venv/bin/python bench/load_test.py --neo4j-uri bolt://127.0.0.1:7687 --load --data demo
    # a private Neo4j of its own (ports --bolt-port/--http-port), loaded with --data
    .venv/bin/python bench/load_test.py --private --data synthetic --people 10000 --edges 100000
    # an API that already runs (its Neo4j's CPU is found by --neo4j-bolt-port when local)
    .venv/bin/python bench/load_test.py --url http://127.0.0.1:8000 --token TOKEN

Requests go only to 127.0.0.1 (``--url`` must be a loopback address); every loop is
bounded in requests and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import math
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, private_neo4j, save  # noqa: E402
from tellgraph.settings import Settings  # noqa: E402

logger = logging.getLogger("load_test")

DEFAULT_LEVELS = (1, 2, 4, 8, 16, 32, 64)
DEFAULT_MIX = "person=4,paths=3,search=2,goalmap=1"
PRIVATE_BOLT, PRIVATE_HTTP = 28787, 28774
CLIENT_TIMEOUT = 30.0
MAX_ERROR_EXAMPLES = 5

# -- the queries (fields as in schema.graphql) -----------------------------------------------

PERSON_QUERY = """query LoadPerson($id: ID) { person(id: $id) {
  id name emails title company { name domain } degree lastInteraction
  relationships(first: 10) { totalCount edges { node {
    strength interactionCount lastInteraction trend other { id name } } } } } }"""

PATHS_QUERY = """query LoadPaths($from: [String!]!, $to: String!, $hops: Int) {
  warmIntroPaths(from: $from, to: $to, maxHops: $hops, first: 5) {
    score explanation hops { from { id name } to { id name } strength lastInteraction } } }"""

SEARCH_QUERY = """query LoadSearch($q: String!) { search(query: $q, first: 10) {
  totalCount edges { node { score matchedBy node { __typename
    ... on Person { id name } ... on Company { id name } ... on Communication { id subject }
    ... on Project { id name } ... on Topic { id name } ... on Event { id name } ... on Goal { id name } } } } } }"""

GOAL_MAP_QUERY = """query LoadGoalMap($id: ID!) { goalMap(goalId: $id) {
  goal { id name }
  coverage { covered total ratio }
  people { person { id name } status roleScore bestPath { score names } }
  gaps { kind title severity }
  nextSteps { kind why priority }
  momentum { activity30 reachScore } } }"""

DISCOVER_QUERY = """query LoadDiscover { people(first: 100, orderBy: {field: DEGREE}) {
    nodes { id name emails isTeam degree company { name } } }
  team: people(first: 20, filter: {isTeam: true}, orderBy: {field: DEGREE}) { nodes { id } }
  goals(first: 20) { nodes { id owner { id } team { id } } } }"""

GENERIC_TERMS = ("rights", "production", "tender", "contract", "meeting", "proposal")


# -- the workload ------------------------------------------------------------------------------


@dataclass
class Workload:
    """Who and what to ask about, discovered from the API itself so any graph will do."""

    people: list[str]
    team: list[str]
    targets: list[str]
    terms: list[str]
    goals: list[str]

    def describe(self) -> str:
        return (
            f"{len(self.people)} people, team of {len(self.team)}, {len(self.targets)} path targets, "
            f"{len(self.terms)} search terms, {len(self.goals)} goals"
        )


def discover(client: httpx.Client, *, team: Sequence[str] = ()) -> Workload:
    """Read people, the team and goals through GraphQL."""
    for attempt in range(3):
        response = client.post("/graphql", json={"query": DISCOVER_QUERY})
        body = response.json()
        # Ranking every person by degree can outlast the request timeout while a large store's pages are cold.
        if response.status_code not in (503, 504):
            break
        logger.info("discovery answered %d (attempt %d), retrying", response.status_code, attempt + 1)
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"discovery failed ({response.status_code}): {str(body)[:500]}")
    data = body["data"]
    nodes = [n for n in data["people"]["nodes"] if n["degree"] > 0] or data["people"]["nodes"]
    if not nodes:
        raise RuntimeError("the graph has no people: load data first (--load)")
    goal_nodes = data["goals"]["nodes"]
    if not team:
        # The people flagged as the team, then the first goal's owner and team, else the best connected.
        team = [n["id"] for n in data["team"]["nodes"]]
        for goal in goal_nodes[:1]:
            team += [p["id"] for p in [goal["owner"], *goal["team"]] if p]
        team = list(dict.fromkeys(team))[:4] or [n["id"] for n in nodes[:3]]
    team_ids = list(team)
    targets = [n["id"] for n in nodes if n["id"] not in team_ids]
    terms: list[str] = []
    for node in nodes:
        for text in (node["name"], (node.get("company") or {}).get("name")):
            if text and "@" not in text:
                words = [w for w in text.split() if len(w) > 2 and not w.isdigit()]
                # Full names find one person; single words find many (the harder case for ranking).
                terms.extend([text, *words[-1:]])
    terms = list(dict.fromkeys(terms))[:60] + list(GENERIC_TERMS)
    goals = [n["id"] for n in goal_nodes]
    return Workload(people=[n["id"] for n in nodes], team=team_ids, targets=targets, terms=terms, goals=goals)


@dataclass(frozen=True)
class Request:
    """One request of the mix: its kind (for per-query figures) and its GraphQL payload."""

    kind: str
    payload: dict[str, Any]


def prime(client: httpx.Client, requests: Sequence[Request], *, per_kind: int = 3) -> None:
    """Send a few requests of each kind, one at a time and uncounted.

    The first of each kind plans its Cypher and fills caches, which would otherwise land in the first step.
    """
    seen: dict[str, int] = {}
    for request in requests:
        if seen.get(request.kind, 0) < per_kind:
            seen[request.kind] = seen.get(request.kind, 0) + 1
            with contextlib.suppress(httpx.HTTPError):
                client.post("/graphql", json=request.payload)


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in {"person", "paths", "search", "goalmap"}:
            raise SystemExit(f"unknown query kind in --mix: {name!r}")
        mix[name.strip()] = float(weight or 1)
    return mix


def make_requests(workload: Workload, *, mix: dict[str, float], count: int, seed: int) -> list[Request]:
    """A deterministic sequence of ``count`` requests drawn from the mix."""
    rng = random.Random(seed)
    if not workload.goals:
        mix = {k: v for k, v in mix.items() if k != "goalmap"}
    if not workload.targets or not workload.team:
        mix = {k: v for k, v in mix.items() if k != "paths"}
    kinds, weights = list(mix), list(mix.values())
    requests = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        if kind == "person":
            payload = {"query": PERSON_QUERY, "variables": {"id": rng.choice(workload.people)}}
        elif kind == "paths":
            # Two and three hops, as the product asks for both.
            variables = {"from": workload.team, "to": rng.choice(workload.targets), "hops": rng.choice((2, 3, 3))}
            payload = {"query": PATHS_QUERY, "variables": variables}
        elif kind == "search":
            payload = {"query": SEARCH_QUERY, "variables": {"q": rng.choice(workload.terms)}}
        else:
            payload = {"query": GOAL_MAP_QUERY, "variables": {"id": rng.choice(workload.goals)}}
        requests.append(Request(kind=kind, payload=payload))
    return requests


# -- measuring ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1] if ordered else float("nan")


def latency_summary(latencies: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else float("nan"),
    }


def listener_pid(port: int) -> int | None:
    """The pid of the local process listening on ``port`` (the Neo4j JVM on its Bolt port)."""
    with contextlib.suppress(psutil.Error, OSError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return int(conn.pid)
    return None


class CpuProbe:
    """CPU seconds used by some processes and by the whole machine between two readings."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        # The API counts with its children (the worker processes of `tellgraph serve --workers`); the client
        # without them (the server it started is its child).
        self.processes: dict[str, list[psutil.Process]] = {}
        for name, pid in pids.items():
            if pid is not None:
                with contextlib.suppress(psutil.Error):
                    parent = psutil.Process(pid)
                    children = parent.children(recursive=True) if name == "api" else []
                    self.processes[name] = [parent, *children]
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        values = {"wall": time.perf_counter()}
        times = psutil.cpu_times()
        values["machine"] = times.user + times.system + getattr(times, "nice", 0.0) + getattr(times, "irq", 0.0)
        values["machine"] += getattr(times, "softirq", 0.0) + getattr(times, "steal", 0.0)
        for name, processes in self.processes.items():
            values[name] = 0.0
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    cpu = process.cpu_times()
                    values[name] += cpu.user + cpu.system
        return values

    def cores_used(self) -> dict[str, float]:
        """Average cores each process (and 'others': the rest of the machine) kept busy since the start."""
        end = self._read()
        wall = end["wall"] - self._start["wall"]
        used = {name: (end[name] - self._start[name]) / wall for name in self.processes if name in end}
        machine_cores = (end["machine"] - self._start["machine"]) / wall
        used["others"] = max(0.0, machine_cores - sum(used.values()))
        used["machine"] = machine_cores
        return {name: round(value, 2) for name, value in used.items()}


@dataclass
class StepResult:
    """One concurrency level."""

    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    loadavg_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    cores: dict[str, float] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    def summary(self) -> dict[str, Any]:
        total = self.requests
        return {
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "requests": total,
            "req_per_s": round(total / self.seconds, 1) if self.seconds else 0.0,
            **latency_summary(self.latencies),
            "errors": self.errors,
            "error_rate": round(self.errors / total, 4) if total else 0.0,
            "error_examples": self.error_examples,
            "by_query": {kind: latency_summary(values) for kind, values in sorted(self.by_kind.items())},
            "loadavg_before": [round(v, 2) for v in self.loadavg_before],
            "loadavg_after": [round(v, 2) for v in self.loadavg_after],
            "cores_used": self.cores,
        }


def _error_text(response: httpx.Response) -> str | None:
    """None for a good answer, else what went wrong (status and the first GraphQL error message)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]!r}"
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code == 200 and not errors:
        return None
    message = errors[0].get("message") if errors and isinstance(errors[0], dict) else str(body)[:200]
    code = (errors[0].get("extensions") or {}).get("code") if errors and isinstance(errors[0], dict) else None
    return f"HTTP {response.status_code}" + (f" [{code}]" if code else "") + f": {message}"


async def run_step(
    *,
    url: str,
    token: str,
    requests: Sequence[Request],
    concurrency: int,
    seconds: float,
    max_requests: int,
    warmup_seconds: float,
    pids: dict[str, int | None],
) -> StepResult:
    """``concurrency`` clients send requests back to back for a bounded time and count."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    result = StepResult(concurrency=concurrency)
    position = 0

    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=CLIENT_TIMEOUT) as client:
        # Warm-up flows straight into the measured phase (connections never sit idle in between, where the
        # server could close them): requests started before ``measure_from`` are simply not counted.
        begin = time.perf_counter()
        measure_from = begin + warmup_seconds
        deadline = measure_from + seconds
        probe: CpuProbe | None = None

        async def start_measuring() -> None:
            nonlocal probe
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            result.loadavg_before = os.getloadavg()
            probe = CpuProbe(pids)

        async def worker() -> None:
            nonlocal position
            while True:
                started = time.perf_counter()
                record = started >= measure_from
                if started >= deadline or (record and result.requests >= max_requests):
                    return
                request = requests[position % len(requests)]
                position += 1
                try:
                    response = await client.post("/graphql", json=request.payload)
                    error = _error_text(response)
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc!r}"
                elapsed = (time.perf_counter() - started) * 1000
                if not record:
                    continue
                if error is None:
                    result.latencies.append(elapsed)
                    result.by_kind.setdefault(request.kind, []).append(elapsed)
                else:
                    result.errors += 1
                    if len(result.error_examples) < MAX_ERROR_EXAMPLES:
                        result.error_examples.append(f"{request.kind}: {error[:300]}")

        await asyncio.gather(start_measuring(), *(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - measure_from
        result.cores = probe.cores_used() if probe is not None else {}
        result.loadavg_after = os.getloadavg()
    return result


async def ramp(
    *, url: str, token: str, workload_requests: Sequence[Request], args: argparse.Namespace, pids: dict[str, int | None]
) -> list[StepResult]:
    results = []
    for level in args.levels:
        logger.info("step: %d concurrent clients", level)
        step = await run_step(
            url=url,
            token=token,
            requests=workload_requests,
            concurrency=level,
            seconds=args.step_seconds,
            max_requests=args.step_requests,
            warmup_seconds=args.warmup_seconds,
            pids=pids,
        )
        results.append(step)
        s = step.summary()
        logger.info(
            "  %d clients: %.1f req/s, p50 %.1f ms, p95 %.1f ms, errors %d, load %.2f",
            level,
            s["req_per_s"],
            s["p50_ms"],
            s["p95_ms"],
            step.errors,
            step.loadavg_after[0],
        )
        if s["p95_ms"] > args.p95_limit_ms and not args.all_levels:
            break
    return results


# -- the server and the data -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"--url must point at this machine (127.0.0.1, ::1 or localhost), not {host!r}")


@contextlib.contextmanager
def serve(
    settings: Settings, *, token: str, log_path: Path, extra_env: dict[str, str], workers: int = 1
) -> Iterator[tuple[str, int]]:
    """``tellgraph serve`` on a free loopback port with a generated viewer token; yields (url, pid)."""
    port = free_port()
    executable = shutil.which("tellgraph", path=str(Path(sys.executable).parent)) or shutil.which("tellgraph")
    if executable is None:
        raise SystemExit("the tellgraph command is not installed (pip install -e .)")
    env = {
        **os.environ,
        "TELLGRAPH_API_TOKENS": f"{token}:viewer",
        "TELLGRAPH_STORE": "neo4j",
        "TELLGRAPH_NEO4J_URI": settings.neo4j_uri,
        "TELLGRAPH_NEO4J_USER": settings.neo4j_user,
        "TELLGRAPH_NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        **extra_env,
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [executable, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"tellgraph serve exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"tellgraph serve did not answer in 120 s: {log_path.read_text()[-2000:]}")
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def load_data(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """Clear the database and load the demo or a synthetic graph (with goals) through the store."""
    from tellgraph.graph.factory import open_store

    started = time.perf_counter()
    store = open_store(settings=settings)
    try:
        store.apply_schema()
        store.clear()
    finally:
        store.close()
    if args.data == "demo":
        from rich.console import Console

        from tellgraph.demo import load_demo

        logger.info("loading the demo data")
        load_demo(settings=settings, console=Console(quiet=True))
    else:
        from bench.goal_bench import load, make_goals, synth

        logger.info("building a synthetic graph: %d people, %d edges", args.people, args.edges)
        entities, edges, company_ids = synth(people=args.people, edges=args.edges, seed=11)
        store = open_store(settings=settings)
        try:
            load(store, entities, edges)
            make_goals(store, company_ids=company_ids, people=args.people, goals=10, seed=11)
        finally:
            store.close()
    return {"data": args.data, "load_seconds": round(time.perf_counter() - started, 1)}


def graph_counts(settings: Settings) -> dict[str, int]:
    from tellgraph.graph.factory import open_store

    store = open_store(settings=settings)
    try:
        counts = store.counts()
    finally:
        store.close()
    return {
        "people": counts.nodes.get("Person", 0),
        "communications": counts.nodes.get("Communication", 0),
        "knows": counts.edges.get("KNOWS", 0),
    }


# -- the run -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_argument_group("where")
    where.add_argument("--url", help="a running API on this machine (with --token); nothing is started")
    where.add_argument("--token", help="a viewer token for --url")
    where.add_argument("--neo4j-uri", help="serve this running Neo4j (default: TELLGRAPH_NEO4J_URI)")
    where.add_argument("--neo4j-bolt-port", type=int, help="with --url: the local Neo4j's Bolt port, to watch its CPU")
    where.add_argument("--private", action="store_true", help="start a private Neo4j (--bolt-port/--http-port)")
    where.add_argument("--bolt-port", type=int, default=PRIVATE_BOLT)
    where.add_argument("--http-port", type=int, default=PRIVATE_HTTP)
    where.add_argument("--heap", default="2g", help="private Neo4j heap")
    where.add_argument("--pagecache", default="1g", help="private Neo4j page cache")
    data = parser.add_argument_group("data")
    data.add_argument("--load", action="store_true", help="CLEAR the Neo4j, load --data (--private implies it)")
    data.add_argument("--data", choices=("demo", "synthetic"), default="demo")
    data.add_argument("--people", type=int, default=10_000, help="synthetic: people")
    data.add_argument("--edges", type=int, default=100_000, help="synthetic: edges (KNOWS, communications, ...)")
    data.add_argument("--team", default="", help="comma-separated ids or emails of the team for warmIntroPaths")
    load = parser.add_argument_group("load")
    load.add_argument("--levels", default=",".join(map(str, DEFAULT_LEVELS)), help="concurrency steps")
    load.add_argument("--step-seconds", type=float, default=20.0, help="measured time per step (at most)")
    load.add_argument("--step-requests", type=int, default=4000, help="measured requests per step (at most)")
    load.add_argument("--warmup-seconds", type=float, default=3.0, help="uncounted warm-up per step")
    load.add_argument("--p95-limit-ms", type=float, default=200.0, help="stop after the first step over this p95")
    load.add_argument("--all-levels", action="store_true", help="run every level, even past the p95 limit")
    load.add_argument("--mix", default=DEFAULT_MIX, help="weights of person, paths, search, goalmap")
    load.add_argument("--seed", type=int, default=7)
    load.add_argument("--workers", type=int, default=1, help="tellgraph serve --workers for the started server")
    load.add_argument("--keep-rate-limit", action="store_true", help="keep the started server's per-token limit")
    load.add_argument("--api-threads", type=int, help="TELLGRAPH_API_THREADS for the started server")
    parser.add_argument("--label", default="", help="a name for the results file")
    parser.add_argument("--quick", action="store_true", help="steps of 5 s / 1000 requests, warm-up 1 s")
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if args.quick:
        args.step_seconds, args.step_requests, args.warmup_seconds = 5.0, 1000, 1.0
    if args.url:
        check_loopback(args.url)
        if not args.token:
            parser.error("--url needs --token")
    if args.step_seconds <= 0 or args.step_requests <= 0 or max(args.levels) > 1024:
        parser.error("steps must be bounded: --step-seconds > 0, --step-requests > 0, levels <= 1024")
    return args


@contextlib.contextmanager
def api_for(args: argparse.Namespace, report: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, int | None]]]:
    """The API to measure: (url, token, pids of the processes to watch)."""
    if args.url:
        yield args.url, args.token, {"neo4j": listener_pid(args.neo4j_bolt_port) if args.neo4j_bolt_port else None}
        return
    with contextlib.ExitStack() as stack:
        if args.private:
            settings, _server = stack.enter_context(
                private_neo4j(
                    bolt_port=args.bolt_port, http_port=args.http_port, heap=args.heap, pagecache=args.pagecache
                )
            )
            args.load = True
        else:
            settings = Settings(neo4j_uri=args.neo4j_uri) if args.neo4j_uri else Settings()
        if args.load:
            report["load"] = load_data(settings, args)
        report["graph"] = graph_counts(settings)
        bolt_port = urlparse(settings.neo4j_uri).port or 7687
        token = secrets.token_urlsafe(24)
        # Capacity, not the per-token rate limit, is what is measured (--keep-rate-limit keeps the product default).
        extra = {} if args.keep_rate_limit else {"TELLGRAPH_API_RATE_LIMIT": "0"}
        if args.api_threads:
            extra["TELLGRAPH_API_THREADS"] = str(args.api_threads)
        log_path = Path("/tmp") / f"load-test-serve-{os.getpid()}.log"
        url, server_pid = stack.enter_context(
            serve(settings, token=token, log_path=log_path, extra_env=extra, workers=args.workers)
        )
        report["server_log"] = str(log_path)
        yield url, token, {"neo4j": listener_pid(bolt_port), "api": server_pid, "client": os.getpid()}


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print()
    print(f"== tellgraph load test {report['label']}")
    print(f"machine: {m['cores']} cores, {m['memory_gb']} GB, {m['cpu']}, Python {m['python']}")
    print(f"graph:   {report.get('graph', '(external API)')}; workload: {report['workload']}")
    print(f"mix:     {report['mix']}; steps of <= {report['step_seconds']} s / {report['step_requests']} requests")
    print(f"server:  tellgraph serve --workers {report['workers']}" if report["workers"] else "server:  --url")
    print()
    header = f"{'clients':>7}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}  {'load 1m':>8}  cores used"
    print(header + "  (ms)")
    for s in report["steps"]:
        cores = ", ".join(f"{k} {v}" for k, v in s["cores_used"].items())
        print(
            f"{s['concurrency']:>7}{s['req_per_s']:>8}{s['p50_ms']:>8}{s['p95_ms']:>8}{s['p99_ms']:>8}"
            f"{s['errors']:>8}  {s['loadavg_after'][0]:>8}  {cores}"
        )
        per_query = "; ".join(f"{k} p50 {v['p50_ms']} p95 {v['p95_ms']}" for k, v in s["by_query"].items())
        print(f"{'':>7}  {per_query}")
        for example in s["error_examples"]:
            print(f"{'':>7}  error: {example}")
    print()
    sustained = report["sustained"]
    if sustained:
        print(
            f"sustained: {sustained['req_per_s']} req/s at {sustained['concurrency']} clients "
            f"(p95 {sustained['p95_ms']} ms <= {report['p95_limit_ms']} ms)"
        )
    else:
        print(f"sustained: none (p95 over {report['p95_limit_ms']} ms even with one client)")
    print(f"errors below saturation: {report['errors_below_saturation']}")
    print(f"results: {report['out']}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("neo4j", "httpx", "tellgraph"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    report: dict[str, Any] = {
        "label": args.label,
        "machine": machine(),
        "workers": None if args.url else args.workers,
        "loadavg_start": list(os.getloadavg()),
    }
    with api_for(args, report) as (url, token, pids):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            team = [t.strip() for t in args.team.split(",") if t.strip()]
            workload = discover(client, team=team)
            logger.info("workload: %s", workload.describe())
            requests = make_requests(
                workload, mix=parse_mix(args.mix), count=max(args.step_requests, 10_000), seed=args.seed
            )
            prime(client, requests)
        steps = asyncio.run(ramp(url=url, token=token, workload_requests=requests, args=args, pids=pids))
    summaries = [s.summary() for s in steps]
    under = [s for s in summaries if s["p95_ms"] <= args.p95_limit_ms]
    report.update(
        {
            "workload": workload.describe(),
            "mix": args.mix,
            "step_seconds": args.step_seconds,
            "step_requests": args.step_requests,
            "p95_limit_ms": args.p95_limit_ms,
            "steps": summaries,
            "sustained": under[-1] if under else None,
            "errors_below_saturation": sum(s["errors"] for s in under),
            "loadavg_end": list(os.getloadavg()),
        }
    )
    report["out"] = str(save("load_test" + (f"_{args.label}" if args.label else ""), report))
    print_report(report)
    return 1 if report["errors_below_saturation"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
