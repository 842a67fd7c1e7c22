"""Reads run as auto-commit transactions that ``Neo4jStore`` retries itself, within a time limit.

The driver retries only managed transactions; a read is one ``RUN`` with no ``COMMIT``,
so the store retries what the driver would have: a server that is down or restarting.
A failing query is the caller's error and comes back at once. With ``query_timeout``
(the API's request timeout) Neo4j itself stops a query that runs too long.
"""

from __future__ import annotations

import socket
import time

import pytest

from tellgraph.errors import StoreError, StoreTimeout, StoreUnavailable
from tellgraph.graph.factory import open_store
from tellgraph.graph.neo4j_store import Neo4jStore
from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel
from tellgraph.settings import Settings, StoreKind

SLOW = "UNWIND range(1, 2000000000) AS x WITH x WHERE x % 7919 = 7920 RETURN count(x) AS never"
"""Seconds to minutes of work that returns nothing useful: a query only a time limit stops."""


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


def _running(store: Neo4jStore, fragment: str) -> list[str]:
    rows = store._run("SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery")
    return [r["currentQuery"] for r in rows if fragment in (r["currentQuery"] or "")]


def test_a_query_past_the_time_limit_is_stopped_by_neo4j(neo4j_store: GraphStore) -> None:
    assert isinstance(neo4j_store, Neo4jStore)
    limited = open_store(settings=Settings(), kind=StoreKind.NEO4J, query_timeout=1.0)
    assert isinstance(limited, Neo4jStore)
    try:
        started = time.monotonic()
        with pytest.raises(StoreTimeout) as caught:
            limited._run(SLOW)
        assert 0.9 <= time.monotonic() - started < 10.0
        assert caught.value.seconds == 1.0 and "x % 7919" not in str(caught.value)
        assert _running(neo4j_store, "x % 7919") == []  # rolled back on the server, not left running
        assert limited.get_nodes(label=NodeLabel.PERSON, ids=["nobody"]) == []  # quick queries still answer
        with pytest.raises(StoreTimeout):
            limited._run("CREATE (:Person {id: 'p_timeout'}) WITH 1 AS one " + SLOW, write=True)
        assert neo4j_store.get_nodes(label=NodeLabel.PERSON, ids=["p_timeout"]) == []  # rolled back
    finally:
        limited.close()
