"""The API over real HTTP: `tellgraph serve` in its own process, backed by the real Neo4j."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from tellgraph.demo import load_demo
from tellgraph.errors import StoreUnavailable
from tellgraph.graph.factory import open_store
from tellgraph.settings import Settings, StoreKind
from tests.stores import open_neo4j

VIEWER = "viewer-token-for-tests-0001"
ADMIN = "admin-token-for-tests-00001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Load the demo into Neo4j, then run `tellgraph serve` as a separate process."""
    store = open_neo4j()
    store.close()
    load_demo(settings=Settings(), console=Console(quiet=True))
    port = _free_port()
    env = {**os.environ, "TELLGRAPH_API_TOKENS": f"{VIEWER}:viewer,{ADMIN}:admin", "TELLGRAPH_STORE": "neo4j"}
    log = tmp_path_factory.mktemp("api") / "serve.log"
    with log.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tellgraph.cli", "serve", "--port", str(port)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"API did not start: {log.read_text()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def gql(url: str, query: str, variables: dict[str, Any] | None = None, token: str | None = VIEWER) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
    )


def test_health_and_typename(api_url: str) -> None:
    health = httpx.get(f"{api_url}/healthz").json()
    assert health["status"] == "ok" and health["store"].startswith("bolt://")
    assert gql(api_url, "{ __typename }").json() == {"data": {"__typename": "Query"}}


def test_no_token_no_data(api_url: str) -> None:
    assert gql(api_url, "{ __typename }", token=None).status_code == 401
    assert gql(api_url, "{ __typename }", token="wrong-token-00000000000").status_code == 401


def test_person_and_relationships(api_url: str) -> None:
    body = gql(
        api_url,
        """
      query($email: String) { person(email: $email) {
        id name emails company { name domain }
        relationships(first: 3) { totalCount pageInfo { hasNextPage endCursor }
          edges { node { strength interactionCount lastInteraction other { name } } } } } }""",
        {"email": "maya.chen@northlight.tv"},
    ).json()
    person = body["data"]["person"]
    assert person["name"] == "Maya Chen"
    assert "maya.chen@northlight.tv" in person["emails"]
    rels = person["relationships"]
    assert rels["totalCount"] >= 3 and rels["pageInfo"]["hasNextPage"] is True
    strengths = [e["node"]["strength"] for e in rels["edges"]]
    assert strengths == sorted(strengths, reverse=True)


def test_relationship_counts_distinct_messages(api_url: str) -> None:
    body = gql(
        api_url,
        """{ relationship(a: "maya.chen@northlight.tv", b: "daniel.wu@meridian.example") {
        strength interactionCount firstInteraction lastInteraction breakdown { components explanation } } }""",
    ).json()
    rel = body["data"]["relationship"]
    assert rel["interactionCount"] >= 20
    assert 0.5 < rel["strength"] <= 1.0
    assert set(rel["breakdown"]["components"]) >= {"frequency", "recency", "reciprocity"}


def test_warm_intro_paths_to_the_gap(api_url: str) -> None:
    body = gql(
        api_url,
        """{ warmIntroPaths(from: ["maya.chen@northlight.tv", "tom.okafor@northlight.tv"],
        to: "omar.haddad@the-afc.example", maxHops: 3, first: 3) {
        score explanation hops { from { name } to { name } strength } } }""",
    ).json()
    paths = body["data"]["warmIntroPaths"]
    assert paths, body
    assert paths[0]["hops"][-1]["to"]["name"] == "Omar Haddad"
    assert [p["score"] for p in paths] == sorted((p["score"] for p in paths), reverse=True)
    assert "knows" in paths[0]["explanation"]


def test_clear_errors_never_stack_traces(api_url: str) -> None:
    body = gql(api_url, '{ person(email: "nobody@nowhere.example") { id } }').json()
    assert body["errors"][0]["message"] == "No person found for 'nobody@nowhere.example'"
    injection = 'x"}) MATCH (n) DETACH DELETE n //'
    body = gql(api_url, "query($e: String) { person(email: $e) { id } }", {"e": injection}).json()
    assert "No person found" in body["errors"][0]["message"]
    assert gql(api_url, "{ stats { nodes { name count } } }").json()["data"]["stats"]["nodes"]
    deep = '{ person(email: "maya.chen@northlight.tv") { ' + "company { name } " * 1 + "id } }"
    assert "errors" not in gql(api_url, deep).json()
    bad = gql(api_url, '{ warmIntroPaths(from: [], to: "x@y.z") { score } }').json()
    assert "at least one team member" in bad["errors"][0]["message"]
    huge = gql(api_url, '{ warmIntroPaths(from: ["a@b.c"], to: "x@y.z", first: 100000) { score } }').json()
    assert "errors" in huge and "Traceback" not in str(huge)


def test_store_unavailable_names_the_uri() -> None:
    settings = Settings(neo4j_uri="bolt://127.0.0.1:1", neo4j_connect_timeout=1.0)
    with pytest.raises(StoreUnavailable, match=r"bolt://127\.0\.0\.1:1"):
        open_store(settings=settings, kind=StoreKind.NEO4J)


def test_memory_fallback_serves_the_same_contract(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from tellgraph.api.app import create_app

    settings = Settings(store=StoreKind.MEMORY, data_dir=tmp_path)
    load_demo(settings=settings, console=Console(quiet=True))
    store = open_store(settings=settings)
    client = TestClient(create_app(store=store, settings=settings))
    body = client.post("/graphql", json={"query": '{ person(email: "maya.chen@northlight.tv") { name } }'}).json()
    assert body == {"data": {"person": {"name": "Maya Chen"}}}
