"""Neo4j stopped while tellgraph works: ingest waits and resumes, the API answers 503 and recovers.

A private Neo4j (its own home and ports, the suite's jars) is stopped and started
again by these tests; the suite's own server is never touched. Figures (how long
the API took to notice and to recover) are printed with ``-s``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tellgraph.errors import StoreUnavailable
from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.graph.factory import open_store
from tellgraph.graph.neo4j_server import LocalNeo4j
from tellgraph.graph.store import GraphStore, StoreCounts
from tellgraph.ingest.retry import StoreRetry
from tellgraph.ingest.service import IngestRun, source_id
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Activity, Source
from tellgraph.schema.records import CheckpointMark, SourceRecord
from tellgraph.settings import Settings, StoreKind
from tests.integration.api_server import VIEWER, serve
from tests.integration.private_neo4j import env_for, private_neo4j

ROOT = Path(__file__).resolve().parents[2]
ENRON_SAMPLE = ROOT / "demo" / "enron-sample" / "maildir"
BATCH = 10
PERSON_QUERY = '{ person(email: "robert.badeer@enron.com") { id name } }'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    with private_neo4j(tmp_path_factory.mktemp("outage-neo4j")) as local:
        yield local


def _settings(server: LocalNeo4j, **overrides: Any) -> Settings:
    return server.settings.model_copy(update={"batch_size": BATCH, **overrides})


def _open(server: LocalNeo4j, **overrides: Any) -> GraphStore:
    return open_store(settings=_settings(server, **overrides), kind=StoreKind.NEO4J)


@pytest.fixture(scope="module")
def reference(server: LocalNeo4j) -> tuple[StoreCounts, str]:
    """Counts and checksum of an uninterrupted ingest of the Enron sample."""
    store = _open(server)
    try:
        store.apply_schema()
        store.clear()
        IngestRun(store=store, connector=MaildirConnector(path=ENRON_SAMPLE), settings=_settings(server)).run()
        result = (store.counts(), store.checksum())
        store.clear()
        return result
    finally:
        store.close()


@pytest.fixture
def store(server: LocalNeo4j, reference: tuple[StoreCounts, str]) -> Iterator[GraphStore]:
    """A clean store on the private server (which the test may stop and start)."""
    graph = _open(server)
    try:
        graph.clear()
        yield graph
    finally:
        graph.close()


def _communications(store: GraphStore) -> int:
    return store.counts().nodes.get("Communication", 0)


def _post(url: str, query: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {VIEWER}"}, timeout=30
    )


def _wait_for(predicate: Any, *, timeout: float, what: str) -> float:
    """Seconds until ``predicate()`` held; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s")


def test_ingest_and_api_ride_out_a_neo4j_restart(
    server: LocalNeo4j, store: GraphStore, reference: tuple[StoreCounts, str], tmp_path: Path
) -> None:
    expected_counts, expected_checksum = reference
    total = expected_counts.nodes["Communication"]
    env = {
        **os.environ,
        **env_for(server),
        "TELLGRAPH_BATCH_SIZE": str(BATCH),
        # Give the driver's own retries little time so tellgraph's backoff (and its log) shows.
        "TELLGRAPH_NEO4J_MAX_RETRY_TIME": "2",
        "TELLGRAPH_STORE_RETRY_TIMEOUT": "120",
        "TELLGRAPH_STORE_RETRY_MAX_DELAY": "2",
    }
    cmd = [sys.executable, "-m", "tellgraph.cli", "ingest", "maildir", str(ENRON_SAMPLE), "--no-nlp", "--json"]
    with serve(tmp_path, **{k: v for k, v in env.items() if k.startswith("TELLGRAPH_")}) as url:
        assert _post(url, PERSON_QUERY).status_code == 200
        log = (tmp_path / "ingest.log").open("w")
        ingest = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            # Freeze the ingest mid-run, stop Neo4j under it, then let it go on against the stopped server.
            _wait_for(lambda: _communications(store) >= 2 * BATCH, timeout=120, what="the first batches")
            ingest.send_signal(signal.SIGSTOP)
            stored_before = _communications(store)
            assert stored_before < total, "the outage must land mid-run"
            stopped_at = time.monotonic()
            assert server.stop()
            ingest.send_signal(signal.SIGCONT)

            # The API: a query that needs the store is a 503 with a clear GraphQL error ...
            response = _post(url, PERSON_QUERY)
            noticed = time.monotonic() - stopped_at
            assert response.status_code == 503
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "UNAVAILABLE"
            assert error["message"].startswith(f"Graph store at {server.settings.neo4j_uri} is unavailable")
            assert response.headers["retry-after"] == "5"
            # ... so is the health check, in JSON ...
            health = httpx.get(f"{url}/healthz", timeout=30)
            assert health.status_code == 503
            assert health.json()["status"] == "unavailable"
            assert health.json()["store"] == server.settings.neo4j_uri
            assert "unavailable" in health.json()["reason"]
            # ... and any GraphQL request while the store is known to be down is answered at once.
            quick = time.monotonic()
            assert _post(url, "{ __typename }").status_code == 503
            assert time.monotonic() - quick < 1.0

            # The ingest says what happens and waits.
            _wait_for(
                lambda: "retrying in" in (tmp_path / "ingest.log").read_text(), timeout=60, what="a retry in the log"
            )
            assert ingest.poll() is None, "the ingest must wait for Neo4j, not fail"

            restarted = time.monotonic()
            server.start()
            back = time.monotonic()
            recovered = _wait_for(
                lambda: httpx.get(f"{url}/healthz", timeout=10).status_code == 200, timeout=60, what="health recovery"
            )
            graphql_recovered = _wait_for(
                lambda: _post(url, PERSON_QUERY).status_code == 200, timeout=60, what="GraphQL recovery"
            )
            stdout, _ = ingest.communicate(timeout=180)
        finally:
            if ingest.poll() is None:
                ingest.kill()
                ingest.wait(timeout=10)
            if ingest.stdout is not None:
                ingest.stdout.close()
            log.close()
        ingest_log = (tmp_path / "ingest.log").read_text()
        assert ingest.returncode == 0, ingest_log[-3000:]
        assert _post(url, PERSON_QUERY).json()["data"]["person"] is not None

    summary = json.loads(stdout)
    assert summary["store_retries"] >= 1
    assert summary["new"] + summary["duplicate"] + summary["rejected"] == summary["read"]
    assert "graph store is back" in ingest_log
    assert server.settings.neo4j_password.get_secret_value() not in ingest_log
    assert store.counts() == expected_counts
    assert store.checksum() == expected_checksum
    print(
        f"\noutage: API noticed in {noticed:.1f} s; Neo4j restart took {back - restarted:.1f} s; "
        f"health 200 {recovered:.1f} s and GraphQL 200 {graphql_recovered + recovered:.1f} s after it answered; "
        f"ingest waited {summary['store_wait_seconds']:.1f} s over {summary['store_retries']} retries"
    )


class Pausing:
    """Wraps a connector: after ``after`` records it waits until the test has stopped Neo4j."""

    def __init__(self, inner: MaildirConnector, *, after: int) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.location = inner.location
        self.incremental = inner.incremental
        self.after = after
        self.reached = threading.Event()
        self.release = threading.Event()

    def read(self, *, checkpoints: dict[str, str]) -> Iterator[SourceRecord]:
        for index, record in enumerate(self.inner.read(checkpoints=checkpoints)):
            if index == self.after:
                self.reached.set()
                self.release.wait(120)
            yield record


def test_an_outage_past_the_limit_fails_cleanly_and_a_rerun_completes(
    server: LocalNeo4j, store: GraphStore, reference: tuple[StoreCounts, str]
) -> None:
    expected_counts, expected_checksum = reference
    connector = Pausing(MaildirConnector(path=ENRON_SAMPLE, checkpoint_every=20), after=75)
    ingest_store = _open(server, neo4j_max_retry_time=1.0)
    failure: list[BaseException] = []

    def run() -> None:
        retry = StoreRetry(timeout=3.0, initial_delay=0.2, max_delay=1.0)
        try:
            IngestRun(store=ingest_store, connector=connector, settings=_settings(server), retry=retry).run()
        except BaseException as exc:  # handed to the test thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert connector.reached.wait(120)
        assert server.stop()
        connector.release.set()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the run must give up within its limit"
    finally:
        connector.release.set()
        thread.join(timeout=60)
        ingest_store.close()
    assert len(failure) == 1 and isinstance(failure[0], StoreUnavailable), failure
    assert "gave up trying to" in str(failure[0])
    assert "TELLGRAPH_STORE_RETRY_TIMEOUT=3 s" in str(failure[0])

    server.start()
    _wait_for(lambda: _ping(store), timeout=60, what="the database to answer")
    [node] = store.get_nodes(label=NodeLabel.SOURCE, ids=[source_id(connector.kind, connector.location)])
    source = node.as_entity()
    assert isinstance(source, Source)
    cursor = source.cursor_map()["files"]
    # Every message up to the stored checkpoint is stored: the checkpoint never runs ahead.
    before_cursor: list[str] = []
    for record in MaildirConnector(path=ENRON_SAMPLE, checkpoint_every=20).read(checkpoints={}):
        if isinstance(record, CheckpointMark) and record.cursor == cursor:
            break
        if isinstance(record, Activity):
            before_cursor.append(record.key)
    stored = store.existing_ids(label=NodeLabel.COMMUNICATION, ids=before_cursor)
    assert before_cursor and stored == set(before_cursor)
    assert len(before_cursor) < expected_counts.nodes["Communication"]

    summary = IngestRun(
        store=store, connector=MaildirConnector(path=ENRON_SAMPLE, checkpoint_every=20), settings=_settings(server)
    ).run()
    assert summary.resumed
    assert store.counts() == expected_counts
    assert store.checksum() == expected_checksum


def _ping(store: GraphStore) -> bool:
    try:
        store.ping()
    except StoreUnavailable:
        return False
    return True
