"""Store fixtures shared by the contract and integration suites."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tellgraph.errors import StoreUnavailable
from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.store import GraphStore
from tellgraph.settings import Settings


def neo4j_settings() -> Settings:
    """Settings for the test Neo4j (the one ``make test`` starts), from the environment."""
    return Settings()


_SCHEMA_APPLIED = False


def open_neo4j() -> GraphStore:
    """A clean Neo4jStore, or a clear failure naming how to start Neo4j."""
    from tellgraph.graph.factory import open_store
    from tellgraph.settings import StoreKind

    settings = neo4j_settings()
    try:
        store = open_store(settings=settings, kind=StoreKind.NEO4J)
    except StoreUnavailable as exc:
        if os.environ.get("TELLGRAPH_SKIP_NEO4J") == "1":
            pytest.skip(f"Neo4j not running and TELLGRAPH_SKIP_NEO4J=1: {exc}")
        pytest.fail(f"{exc}. Start it with `tellgraph neo4j start` (make test does).")
    global _SCHEMA_APPLIED
    if not _SCHEMA_APPLIED:
        store.apply_schema()
        _SCHEMA_APPLIED = True
    store.clear()
    return store


def store_fixture(kind: str) -> Iterator[GraphStore]:
    """A clean store of the given kind, closed afterwards."""
    store = MemoryStore() if kind == "memory" else open_neo4j()
    try:
        store.clear()
        yield store
    finally:
        store.close()
