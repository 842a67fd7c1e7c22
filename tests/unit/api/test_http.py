"""GraphQL over HTTP: methods, media types, status codes, error codes, persisted queries, outages."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tellgraph.api.http import GRAPHQL_RESPONSE, negotiate
from tellgraph.api.persisted import sha256_hex
from tellgraph.errors import StoreError, StoreTimeout, StoreUnavailable
from tellgraph.graph.memory import MemoryStore
from tests.unit.api.conftest import VIEWER, Api, api_settings, make_api

PERSON = '{ person(email: "maya@north.tv") { name } }'


def test_post_and_get_queries(api: Api) -> None:
    assert api.data(PERSON) == {"person": {"name": "Maya Chen"}}
    response = api.client.get(
        "/graphql",
        params={
            "query": "query($e: String) { person(email: $e) { name } }",
            "variables": json.dumps({"e": "maya@north.tv"}),
        },
        headers={"Authorization": f"Bearer {VIEWER}"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"person": {"name": "Maya Chen"}}}
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"


def test_mutations_need_post(api: Api) -> None:
    response = api.client.get(
        "/graphql",
        params={"query": 'mutation { forgetPerson(id: "t1") { __typename } }'},
        headers={"Authorization": f"Bearer {VIEWER}"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        ("text/plain", None),
        (f"{GRAPHQL_RESPONSE};q=0", None),
    ],
)
def test_negotiation(accept: str | None, media: str | None) -> None:
    assert negotiate(accept) == media


def test_response_media_types(api: Api) -> None:
    plain = api.post("{ __typename }", accept=None)
    assert plain.headers["content-type"] == "application/json; charset=utf-8"
    modern = api.post("{ __typename }", accept=GRAPHQL_RESPONSE)
    assert modern.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert api.post("{ __typename }", accept="text/plain").status_code == 406


def test_request_errors(api: Api) -> None:
    for accept, status in ((GRAPHQL_RESPONSE, 400), ("application/json", 200)):
        parse = api.post("{ person(", accept=accept)
        assert parse.status_code == status
        body = parse.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        invalid = api.post("{ nope }", accept=accept)
        assert invalid.status_code == status
        assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        coercion = api.post("query($n: Int!) { people(first: $n) { totalCount } }", {"n": "many"}, accept=accept)
        assert coercion.status_code == status
        assert "data" not in coercion.json()
        assert coercion.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_field_errors_keep_data_and_codes(api: Api) -> None:
    response = api.post(
        '{ a: person(email: "nobody@x.example") { name } b: person(email: "maya@north.tv") { name } }',
        accept=GRAPHQL_RESPONSE,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"a": None, "b": {"name": "Maya Chen"}}
    [error] = body["errors"]
    assert error["message"] == "No person found for 'nobody@x.example'"
    assert error["extensions"] == {"code": "NOT_FOUND"}
    assert error["path"] == ["a"]
    bad = api.post("{ people(first: -1) { totalCount } }").json()
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "first"}


def _headers(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {VIEWER}", **extra}


def test_malformed_http_requests(api: Api) -> None:
    client = api.client
    assert (
        client.post("/graphql", content=b"{nope", headers=_headers(**{"Content-Type": "application/json"})).status_code
        == 400
    )
    assert (
        client.post("/graphql", content=b"[]", headers=_headers(**{"Content-Type": "application/json"})).status_code
        == 400
    )
    assert client.post("/graphql", json={"query": 1}, headers=_headers()).status_code == 400
    assert (
        client.post("/graphql", json={"query": "{ __typename }", "variables": "x"}, headers=_headers()).status_code
        == 400
    )
    assert client.post("/graphql", json={}, headers=_headers()).status_code == 400
    assert (
        client.post("/graphql", content=b"", headers=_headers(**{"Content-Type": "application/json"})).status_code
        == 400
    )
    form = client.post("/graphql", content=b"query={__typename}", headers=_headers(**{"Content-Type": "text/plain"}))
    assert form.status_code == 415
    assert client.post("/graphql", content=b"{}", headers=_headers()).status_code == 415
    latin = client.post(
        "/graphql",
        content=b'{"query":"{ __typename }"}',
        headers=_headers(**{"Content-Type": "application/json; charset=latin-1"}),
    )
    assert latin.status_code == 415
    put = client.put("/graphql", json={"query": "{ __typename }"}, headers=_headers())
    assert put.status_code == 405 and put.headers["allow"] == "GET, POST"
    assert (
        client.get("/graphql", params={"query": "{ __typename }", "variables": "{oops"}, headers=_headers()).status_code
        == 400
    )


def test_size_limits(store: MemoryStore) -> None:
    for api in make_api(store, api_settings(api_max_body_bytes=2000, api_max_query_bytes=500)):
        long_query = "{ " + " ".join(f"a{i}: __typename" for i in range(60)) + " }"
        too_long = api.post(long_query)
        assert too_long.status_code == 413
        assert too_long.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        huge = api.post("{ __typename }", {"x": "y" * 5000})
        assert huge.status_code == 413


def test_no_token_no_data(api: Api) -> None:
    for token in (None, "wrong-token-0000000000000"):
        response = api.post(PERSON, token=token)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "data" not in response.json()


def test_browsers_get_graphiql(api: Api) -> None:
    page = api.client.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_persisted_queries(api: Api) -> None:
    digest = sha256_hex(PERSON)
    apq = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = api.client.get("/graphql", params={"extensions": json.dumps(apq)}, headers=_headers())
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = api.client.post("/graphql", json={"query": PERSON, "extensions": apq}, headers=_headers())
    assert registered.json()["data"] == {"person": {"name": "Maya Chen"}}
    by_hash = api.client.get("/graphql", params={"extensions": json.dumps(apq)}, headers=_headers())
    assert by_hash.status_code == 200 and by_hash.json()["data"] == {"person": {"name": "Maya Chen"}}
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    mismatch = api.client.post(
        "/graphql", json={"query": PERSON, "extensions": wrong}, headers=_headers(Accept=GRAPHQL_RESPONSE)
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


def test_persisted_query_file(store: MemoryStore, tmp_path: Path) -> None:
    path = tmp_path / "queries.json"
    path.write_text(json.dumps({sha256_hex(PERSON): PERSON}))
    for api in make_api(store, api_settings(api_persisted_queries=path)):
        apq = {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(PERSON)}}
        response = api.client.get("/graphql", params={"extensions": json.dumps(apq)}, headers=_headers())
        assert response.json() == {"data": {"person": {"name": "Maya Chen"}}}


class FlakyStore(MemoryStore):
    """A store whose reads fail the way a test asks."""

    def __init__(self, failure: BaseException | None = None, delay: float = 0.0) -> None:
        super().__init__()
        self.failure = failure
        self.delay = delay

    def resolve_identities(self, *, keys: Any) -> dict[str, str]:
        if self.delay:
            time.sleep(self.delay)
        if self.failure is not None:
            raise self.failure
        return super().resolve_identities(keys=keys)

    def ping(self) -> None:
        if isinstance(self.failure, StoreUnavailable):
            raise self.failure


@pytest.fixture
def flaky() -> Iterator[FlakyStore]:
    yield FlakyStore()


def test_store_down_is_503(flaky: FlakyStore) -> None:
    flaky.failure = StoreUnavailable("bolt://db:7687", "connection refused")
    for api in make_api(flaky, api_settings()):
        response = api.post(PERSON)
        assert response.status_code == 503
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "UNAVAILABLE"
        assert "bolt://db:7687" in error["message"]
        health = api.client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable" and "connection refused" in health.json()["reason"]


@pytest.mark.parametrize("failure", [RuntimeError("secret detail /etc/passwd"), StoreError("MATCH (n)", "boom")])
def test_internal_errors_are_masked(
    flaky: FlakyStore, failure: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    flaky.failure = failure
    for api in make_api(flaky, api_settings()):
        response = api.post(PERSON)
        assert response.status_code == 200
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        error_id = error["extensions"]["errorId"]
        assert error["message"] == f"Internal error (id {error_id}); it has been logged."
        assert "secret" not in response.text and "MATCH" not in response.text and "Traceback" not in response.text
        assert any(error_id in record.getMessage() for record in caplog.records)


def test_slow_requests_time_out(flaky: FlakyStore) -> None:
    flaky.delay = 2.0
    for api in make_api(flaky, api_settings(api_timeout=0.3)):
        started = time.monotonic()
        response = api.post(PERSON)
        assert time.monotonic() - started < 1.5
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"


def test_a_query_the_database_stopped_is_a_timeout_without_its_text(flaky: FlakyStore) -> None:
    flaky.failure = StoreTimeout("MATCH (p:Person) WHERE p.secret", 15.0)
    for api in make_api(flaky, api_settings()):
        response = api.post(PERSON)
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "TIMEOUT"
        assert error["message"] == "The graph store stopped a query after 15 s; ask for less"
        assert "MATCH" not in response.text and "secret" not in response.text


def test_introspection_can_be_disabled(store: MemoryStore) -> None:
    for api in make_api(store, api_settings(api_introspection=False)):
        response = api.post("{ __schema { types { name } } }")
        assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert api.data("{ __typename }") == {"__typename": "Query"}
    for api in make_api(store, api_settings()):
        assert api.data("{ __schema { queryType { name } } }") == {"__schema": {"queryType": {"name": "Query"}}}


def test_a_known_outage_is_refused_at_once_and_recovery_is_noticed(flaky: FlakyStore) -> None:
    import asyncio

    from tellgraph.api.health import StoreHealth
    from tellgraph.api.runner import StoreRunner

    runner = StoreRunner(max_workers=2)
    health = StoreHealth(store=flaky, run=runner, probe_timeout=1.0, recheck_after=0.0)
    try:
        flaky.failure = StoreUnavailable("bolt://db:7687", "refused")
        assert "refused" in (asyncio.run(health.probe()) or "")
        assert asyncio.run(health.unavailable()) is not None
        flaky.failure = None
        assert asyncio.run(health.unavailable()) is None, "a stale verdict is probed again"
    finally:
        runner.shutdown()
