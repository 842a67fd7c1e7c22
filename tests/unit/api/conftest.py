"""An in-process API over a small embedded graph (Maya's world from the contract suite)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from tellgraph.api.app import create_app
from tellgraph.goals.embedding import Embedder
from tellgraph.graph.memory import MemoryStore
from tellgraph.settings import Settings, StoreKind
from tests.contract.test_store_queries import build

VIEWER = "viewer-token-for-unit-0001"
EDITOR = "editor-token-for-unit-0001"
ADMIN = "admin-token-for-unit-00001"
TOKENS = f"{VIEWER}:viewer,{EDITOR}:editor,{ADMIN}:admin"


def api_settings(**overrides: Any) -> Settings:
    """Settings for an in-process API with the three test tokens."""
    return Settings(store=StoreKind.MEMORY, api_tokens=SecretStr(TOKENS), **overrides)


@pytest.fixture
def store() -> MemoryStore:
    graph = MemoryStore()
    build(graph)
    return graph


class Api:
    """A test client with GraphQL helpers."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = VIEWER,
        accept: str | None = "application/json",
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Response:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if accept:
            headers["Accept"] = accept
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if extensions is not None:
            body["extensions"] = extensions
        return self.client.post("/graphql", json=body, headers=headers)

    def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = VIEWER) -> Any:
        body = self.post(query, variables, token=token).json()
        assert "errors" not in body, body
        return body["data"]


class AxisEmbedder:
    """Deterministic 384-d query vectors, one axis per known word (the real model takes seconds to load)."""

    WORDS = {"organiser": 0, "broadcast": 1, "football": 2}

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            vector = [0.0] * 384
            for word, axis in self.WORDS.items():
                if word in text.lower():
                    vector[axis] = 1.0
            vector[383] = 0.01
            vectors.append(vector)
        return vectors


def make_api(store: MemoryStore, settings: Settings, *, embedder: Embedder | None = None) -> Iterator[Api]:
    app = create_app(store=store, settings=settings, embedder=embedder or AxisEmbedder())
    with TestClient(app) as client:
        yield Api(client)


@pytest.fixture
def api(store: MemoryStore) -> Iterator[Api]:
    yield from make_api(store, api_settings())
