"""The API for HTTP tests: ``tellgraph serve`` in its own process (real uvicorn, real Neo4j), or the app in process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema
from pydantic import SecretStr
from starlette.testclient import TestClient

from tellgraph.api.app import create_app
from tellgraph.graph.store import GraphStore
from tellgraph.settings import Settings, StoreKind
from tests.contract.test_store_queries import build
from tests.graphql_walk import fetch_schema
from tests.stores import open_neo4j
from tests.unit.api.conftest import AxisEmbedder

VIEWER = "viewer-token-for-api-tests-01"
EDITOR = "editor-token-for-api-tests-01"
ADMIN = "admin-token-for-api-tests-001"
TOKENS = f"{VIEWER}:viewer,{EDITOR}:editor,{ADMIN}:admin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(log_dir: Path, **env: str) -> Iterator[str]:
    """``tellgraph serve`` on a free port with the test tokens; yields its base URL; stops it afterwards."""
    port = free_port()
    full_env = {**os.environ, "TELLGRAPH_API_TOKENS": TOKENS, "TELLGRAPH_STORE": "neo4j", **env}
    log = log_dir / "serve.log"
    with log.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tellgraph.cli", "serve", "--port", str(port)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=full_env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"tellgraph serve exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(f"API did not start: {log.read_text()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def in_process_api() -> Iterator[tuple[GraphStore, Settings, TestClient, GraphQLSchema]]:
    """The app over the suite's Neo4j holding the contract graph, behind Starlette's test client.

    Yields the store, the settings (test tokens, rate limit off: these tests send bursts on one
    token), the client and the schema as a viewer sees it by introspection; closes the store.
    """
    store = open_neo4j()
    build(store)
    settings = Settings(store=StoreKind.NEO4J, api_tokens=SecretStr(TOKENS), api_rate_limit=0)
    app = create_app(store=store, settings=settings, embedder=AxisEmbedder())
    try:
        with TestClient(app, raise_server_exceptions=False) as client:

            def post(query: str) -> Any:
                return client.post(
                    "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {VIEWER}"}
                ).json()

            yield store, settings, client, fetch_schema(post)
    finally:
        store.close()
