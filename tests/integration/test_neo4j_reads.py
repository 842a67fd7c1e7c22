"""Reads run as auto-commit transactions that ``Neo4jStore`` retries itself.

The driver retries only managed transactions; a read is one ``RUN`` with no ``COMMIT``,
so the store retries what the driver would have: a server that is down or restarting.
A failing query is the caller's error and comes back at once.
"""

from __future__ import annotations

import socket
import time

import pytest

from tellgraph.errors import StoreError, StoreUnavailable
from tellgraph.graph.neo4j_store import Neo4jStore
from tellgraph.graph.store import GraphStore


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_read_with_no_server_is_retried_then_unavailable() -> None:
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    store = Neo4jStore(uri=uri, user="neo4j", password="unused", connect_timeout=0.5, max_retry_time=1.0)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1"):
            store.ping()
        elapsed = time.monotonic() - started
    finally:
        store.close()
    # Backoff 0.05, 0.1, 0.2, 0.4 s: retried for most of the second, then given up.
    assert 0.5 <= elapsed < 5.0


def test_a_failing_read_is_not_retried(neo4j_store: GraphStore) -> None:
    assert isinstance(neo4j_store, Neo4jStore)
    started = time.monotonic()
    with pytest.raises(StoreError, match="ArithmeticError"):
        neo4j_store._run("RETURN 1 / 0 AS boom")
    assert time.monotonic() - started < 2.0  # the default retry window is 15 s
    neo4j_store.ping()  # the session it failed in is gone; the next read works
