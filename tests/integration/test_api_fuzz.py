"""Fuzzing the GraphQL API with schemathesis (its GraphQL support generates queries and mutations from
the schema it reads by introspection, with nested selections and random arguments).

This bounded run goes through the ASGI application over the real Neo4j with an admin token,
so every query and mutation is reached. Each response must be a GraphQL answer or a clear
error: never a 5xx, an ``INTERNAL_SERVER_ERROR``, a timeout, or text that looks like a stack
trace or a driver message. Schemathesis' own "positive data" check is not used: a random
person id legitimately answers ``NOT_FOUND``.

A longer run against a real ``tellgraph serve`` over HTTP (case count in the CLI summary)::

    TELLGRAPH_API_TOKENS=fuzz-token-000000000001:admin TELLGRAPH_API_RATE_LIMIT=0 tellgraph serve --port 8765 &
    st run http://127.0.0.1:8765/graphql -H "Authorization: Bearer fuzz-token-000000000001" \\
        --checks not_a_server_error --max-examples 200 --phases fuzzing
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode

from tellgraph.api.app import create_app
from tellgraph.settings import Settings, StoreKind
from tests.contract.test_store_queries import build
from tests.hypothesis_profiles import examples
from tests.integration.api_server import ADMIN, TOKENS
from tests.integration.test_api_hostile import LEAKS
from tests.stores import open_neo4j
from tests.unit.api.conftest import AxisEmbedder

AUTH = {"Authorization": f"Bearer {ADMIN}"}
CLEAR_CODES = {
    "NOT_FOUND",
    "INVALID_INPUT",
    "GRAPHQL_VALIDATION_FAILED",
    "GRAPHQL_PARSE_FAILED",
    "QUERY_TOO_COMPLEX",
    "QUERY_TOO_DEEP",
    "FORBIDDEN",
}
CASES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_app() -> Iterator[Any]:
    store = open_neo4j()
    build(store)
    settings_ = Settings(store=StoreKind.NEO4J, api_tokens=SecretStr(TOKENS), api_rate_limit=0)
    try:
        yield create_app(store=store, settings=settings_, embedder=AxisEmbedder())
    finally:
        modes = Counter(label.rsplit(" ", 1)[1] for label in CASES.elements())
        print(f"\nschemathesis: {sum(CASES.values())} cases over {len(CASES)} operation/mode pairs {dict(modes)}")
        store.close()


@pytest.fixture(scope="module")
def operations(fuzz_app: Any) -> list[Any]:
    """Every query and mutation, as schemathesis reads them from the app by introspection."""
    loaded = schemathesis.graphql.from_asgi("/graphql", fuzz_app, headers=AUTH)
    found = [result.ok() for result in loaded.get_all_operations()]
    assert len(found) >= 20, [op.label for op in found]
    return found


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_graphql_fuzz(operations: list[Any], data: st.DataObject) -> None:
    # schemathesis' pytest integration (from_fixture) does not run on pytest 9, so the cases are drawn here:
    # an operation, then a schema-valid (positive) or schema-violating (negative) request for it.
    operation = data.draw(st.sampled_from(operations), label="operation")
    mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]), label="mode")
    case = data.draw(operation.as_strategy(generation_mode=mode), label="case")
    started = time.monotonic()
    response = case.call(headers=AUTH)
    elapsed = time.monotonic() - started
    CASES[f"{operation.label} ({mode.value})"] += 1
    sent = json.dumps(case.body, ensure_ascii=False) if case.body is not None else ""
    assert response.status_code < 500, (response.status_code, response.text[:1000], sent[:1000])
    assert elapsed < 10.0, (elapsed, sent[:1000])
    text = response.text
    for marker in LEAKS:
        assert marker not in text or marker in sent, (marker, text[:1000])
    body = response.json()
    for error in body.get("errors", []):
        code = (error.get("extensions") or {}).get("code")
        assert code in CLEAR_CODES, (code, error, sent[:1000])
