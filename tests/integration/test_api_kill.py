"""kill -9 of the API under load: what clients re-send is stored once, nothing acknowledged is lost.

Three writers log interactions through ``logInteraction`` (each among its own
group of people, in its own order) while two readers query people, relationships
and search. The API process is killed with SIGKILL twice mid-stream and started
again on the same port; a writer re-sends whatever was not acknowledged, as any
client of an idempotent mutation would. Afterwards the graph must equal the one
the same interactions give when logged without interruption: same counts, same
checksum, every interaction stored exactly once. The reference is computed in the
embedded store, whose checksum of the same graph is the same as Neo4j's.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel
from tellgraph.services import interactions
from tellgraph.settings import Settings
from tests.integration.api_server import EDITOR, TOKENS, VIEWER, free_port

WRITERS = 3
PER_WRITER = 15
KILLS = 2
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

MUTATION = """mutation($input: LogInteractionInput!) { logInteraction(input: $input) {
  __typename ... on LogInteractionSuccess { created communication { id } } ... on UserError { message } } }"""
READS = [
    ("query($e: String) { person(email: $e) { id name degree relationships(first: 5) { totalCount } } }", "e"),
    ("query($e: String!) { search(query: $e, first: 5) { __typename } }", "e"),
]


def _people(writer: int) -> list[str]:
    return [f"person{n}@group{writer}.example" for n in range(6)]


def _interactions(writer: int) -> list[dict[str, Any]]:
    """The writer's interactions, deterministic; each touches only the writer's own people."""
    rng = random.Random(writer)
    people = _people(writer)
    items = []
    for n in range(PER_WRITER):
        channel = rng.choice(["MEETING", "CALL", "EMAIL"])
        chosen = rng.sample(people, rng.choice([2, 2, 3]))
        first_role = "FROM" if channel == "EMAIL" else "ORGANIZER"
        other_role = "TO" if channel == "EMAIL" else "ATTENDEE"
        items.append(
            {
                "channel": channel,
                "timestamp": (T0 + timedelta(hours=writer * 1000 + n * 7)).isoformat().replace("+00:00", "Z"),
                "subject": f"Writer {writer} item {n}",
                "text": f"Notes {n} of writer {writer}.",
                "participants": [
                    {"email": email, "name": email.split("@")[0].title(), "role": first_role if i == 0 else other_role}
                    for i, email in enumerate(chosen)
                ],
            }
        )
    return items


def _spec(item: dict[str, Any]) -> interactions.InteractionSpec:
    return interactions.InteractionSpec(
        channel=item["channel"].lower(),
        timestamp=datetime.fromisoformat(item["timestamp"]),
        subject=item["subject"],
        text=item["text"],
        participants=[
            interactions.ParticipantSpec(email=p["email"], name=p["name"], role=p["role"].lower())
            for p in item["participants"]
        ],
    )


def _fingerprint(store: GraphStore) -> tuple[Any, str]:
    """Counts and checksum, leaving out audit entries (one per request, so retries add some by design)."""
    audit = [node.id for node in store.list_nodes(label=NodeLabel.AUDIT_ENTRY, limit=100_000)]
    if audit:
        store.delete_nodes(label=NodeLabel.AUDIT_ENTRY, ids=audit)
    return store.counts(), store.checksum()


@dataclass
class Api:
    """``tellgraph serve`` on a fixed port, restartable after a kill."""

    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "TELLGRAPH_API_TOKENS": TOKENS, "TELLGRAPH_STORE": "neo4j"}
        started = time.monotonic()
        with self.log.open("a") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tellgraph.cli", "serve", "--port", str(self.port)],
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    self.starts.append(time.monotonic() - started)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        pytest.fail(f"API did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@dataclass
class Load:
    """What the clients saw."""

    acked: Counter[int] = field(default_factory=Counter)
    resent: int = 0
    """Interactions that needed more than one attempt (the request was cut or the API was down)."""
    ids: dict[tuple[int, int], str] = field(default_factory=dict)
    reads: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)


def _writer(api: Api, writer: int, load: Load) -> None:
    with httpx.Client(headers={"Authorization": f"Bearer {EDITOR}"}, timeout=30) as client:
        for n, item in enumerate(_interactions(writer)):
            attempts = 0
            while True:
                attempts += 1
                if attempts > 200:
                    load.failures.append(f"writer {writer} item {n}: gave up")
                    return
                try:
                    response = client.post(f"{api.url}/graphql", json={"query": MUTATION, "variables": {"input": item}})
                except httpx.HTTPError:
                    time.sleep(0.2)  # the API is down: try again, as a client does
                    continue
                if response.status_code == 429:  # over the token's rate limit: wait as told
                    time.sleep(float(response.headers.get("retry-after", "1")))
                    continue
                if response.status_code != 200:
                    load.failures.append(f"writer {writer} item {n}: HTTP {response.status_code} {response.text[:200]}")
                    time.sleep(0.2)
                    continue
                result = response.json()["data"]["logInteraction"]
                if result["__typename"] != "LogInteractionSuccess":
                    load.failures.append(f"writer {writer} item {n}: {result}")
                    return
                with load.lock:
                    load.acked[writer] += 1
                    load.resent += attempts > 1
                    load.ids[(writer, n)] = result["communication"]["id"]
                break


def _reader(api: Api, reader: int, load: Load) -> None:
    rng = random.Random(100 + reader)
    with httpx.Client(headers={"Authorization": f"Bearer {VIEWER}"}, timeout=30) as client:
        while not load.done.is_set():
            query, name = rng.choice(READS)
            email = rng.choice(_people(rng.randrange(WRITERS)))
            try:
                response = client.post(f"{api.url}/graphql", json={"query": query, "variables": {name: email}})
            except httpx.HTTPError:
                with load.lock:
                    load.reads["refused"] += 1
                time.sleep(0.2)
                continue
            with load.lock:
                load.reads[str(response.status_code)] += 1
            if response.status_code == 429:
                time.sleep(float(response.headers.get("retry-after", "1")))
                continue
            # A person the writers have not created yet is an expected NOT_FOUND; anything else is a failure.
            codes = {e.get("extensions", {}).get("code") for e in response.json().get("errors", [])}
            if response.status_code != 200 or codes - {"NOT_FOUND"}:
                load.failures.append(f"read {query[:30]}: HTTP {response.status_code} {response.text[:200]}")


def test_kill_9_of_the_api_under_load_loses_and_duplicates_nothing(neo4j_store: GraphStore, tmp_path: Path) -> None:
    # The reference: the same interactions logged without interruption, through the service the API calls.
    reference = MemoryStore()
    for writer in range(WRITERS):
        for item in _interactions(writer):
            interactions.log_interaction(reference, spec=_spec(item), settings=Settings())
    expected_counts, expected_checksum = _fingerprint(reference)
    total = WRITERS * PER_WRITER
    assert expected_counts.nodes["Communication"] == total

    api = Api(port=free_port(), log=tmp_path / "serve.log")
    api.start()
    load = Load()
    threads = [threading.Thread(target=_writer, args=(api, w, load)) for w in range(WRITERS)]
    threads += [threading.Thread(target=_reader, args=(api, r, load)) for r in range(2)]
    try:
        for thread in threads:
            thread.start()
        at_kill: list[int] = []
        for kill in range(KILLS):
            # Kill while writes are in flight: after a third, then two thirds of them are acknowledged.
            target = total * (kill + 1) // (KILLS + 1)
            deadline = time.monotonic() + 120
            while sum(load.acked.values()) < target and time.monotonic() < deadline:
                time.sleep(0.01)
            api.kill()
            at_kill.append(sum(load.acked.values()))
            time.sleep(0.5)
            api.start()
        for thread in threads[:WRITERS]:
            thread.join(timeout=300)
        load.done.set()
        for thread in threads[WRITERS:]:
            thread.join(timeout=30)
    finally:
        load.done.set()
        api.stop()

    assert not load.failures, load.failures[:5]
    assert sum(load.acked.values()) == total
    assert len(set(load.ids.values())) == total, "every interaction is one communication"
    assert all(0 < n < total for n in at_kill), at_kill
    assert load.reads["200"] > 0
    counts, checksum = _fingerprint(neo4j_store)
    assert counts == expected_counts
    assert checksum == expected_checksum
    stored = neo4j_store.existing_ids(label=NodeLabel.COMMUNICATION, ids=list(load.ids.values()))
    assert stored == set(load.ids.values())
    print(
        f"\nkill -9 x{KILLS} at {at_kill} of {total} acknowledged; {load.resent} re-sent attempts; "
        f"reads {dict(load.reads)}; API (re)starts {[round(s, 1) for s in api.starts]} s"
    )
