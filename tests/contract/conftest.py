"""Every contract test runs against both stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tellgraph.graph.store import GraphStore
from tests.stores import store_fixture


@pytest.fixture(params=["memory", "neo4j"])
def store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    yield from store_fixture(request.param)
