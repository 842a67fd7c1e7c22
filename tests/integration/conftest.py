"""Integration fixtures: the real Neo4j (started by ``make test``) and real HTTP servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tellgraph.graph.store import GraphStore
from tests.stores import store_fixture


@pytest.fixture
def neo4j_store() -> Iterator[GraphStore]:
    """A clean Neo4jStore on the test server."""
    yield from store_fixture("neo4j")
