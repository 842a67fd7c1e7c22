"""Depth, size, alias and cost limits refuse expensive queries before anything runs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import parse

from tellgraph.api.http import GRAPHQL_RESPONSE
from tellgraph.api.limits import operation_cost
from tellgraph.api.schema import build_schema
from tellgraph.graph.memory import MemoryStore
from tests.unit.api.conftest import Api, api_settings, make_api

SCHEMA = build_schema()._schema


def cost(query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None) -> int:
    return operation_cost(SCHEMA, parse(query), operation_name=operation_name, variables=variables)


def test_fields_cost_one_times_the_pages_around_them() -> None:
    assert cost("{ __typename }") == 1
    assert cost('{ person(email: "x") { name emails } }') == 3
    # people (1) + edges (20) + node (20) + name (20): the default page is 20
    assert cost("{ people { edges { node { name } } } }") == 61
    assert cost("{ people(first: 5) { edges { node { name } } } }") == 16
    nested = "{ people(first: 5) { edges { node { relationships(first: 3) { edges { node { strength } } } } } } }"
    # 1 + 5 (edges) + 5 (node) + 5 (relationships) + 15 (edges) + 15 (node) + 15 (strength)
    assert cost(nested) == 61


def test_variables_fragments_and_operation_names() -> None:
    query = """
    query A($n: Int = 4) { people(first: $n) { edges { ...P } } }
    query B { stats { nodes { name } } }
    fragment P on PersonEdge { node { name ... on Person { emails } } }
    """
    assert cost(query, {"n": 10}, "A") == 1 + 10 * 4
    assert cost(query, {}, "A") == 1 + 4 * 4
    assert cost(query, {}, "B") == 3
    assert cost('{ search(query: "x") { edges { node { node { ... on Person { name } } } } } }') == 1 + 10 * 4


def _refused_fast(api: Api, query: str) -> dict[str, Any]:
    started = time.monotonic()
    response = api.post(query, accept=GRAPHQL_RESPONSE)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    return body["errors"][0]  # type: ignore[no-any-return]


def test_deep_queries_are_refused(api: Api) -> None:
    inner = "name"
    for _ in range(8):
        inner = f"relationships(first: 1) {{ edges {{ node {{ other {{ {inner} }} }} }} }}"
    error = _refused_fast(api, f'{{ person(email: "maya@north.tv") {{ {inner} }} }}')
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "maximum operation depth" in error["message"]


def test_costly_queries_are_refused_with_their_cost(api: Api) -> None:
    query = (
        "{ people(first: 100) { edges { node { relationships(first: 100) { edges { node { "
        "other { name emails } } } } } } } }"
    )
    error = _refused_fast(api, query)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"] == 5000


def test_huge_documents_and_alias_floods_are_refused(api: Api) -> None:
    flood = "{ " + " ".join(f"a{i}: __typename" for i in range(200)) + " }"
    assert _refused_fast(api, flood)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    tokens = "{ __typename " + "n " * 3000 + "}"
    assert "tokens" in _refused_fast(api, tokens)["message"]


def test_cost_is_reported_on_request(api: Api) -> None:
    body = api.post("{ stats { nodes { name } } }", extensions={"cost": True}).json()
    assert body["extensions"] == {"cost": 3}
    assert "extensions" not in api.post("{ stats { nodes { name } } }").json()


def test_page_size_cap(store: MemoryStore) -> None:
    for api in make_api(store, api_settings(api_max_page=5)):
        error = api.post("{ people(first: 6) { totalCount } }").json()["errors"][0]
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": "first"}
        assert error["message"] == "Invalid first: at most 5 per page"


@pytest.mark.parametrize("first", [0, 1, 3])
def test_small_pages_are_fine(api: Api, first: int) -> None:
    data = api.data("query($n: Int) { people(first: $n) { totalCount edges { node { id } } } }", {"n": first})
    assert len(data["people"]["edges"]) == first and data["people"]["totalCount"] == 7
