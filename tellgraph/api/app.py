"""The ASGI application: GraphQL at /graphql (GraphiQL in a browser), health at /healthz, the web page at /."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tellgraph.api.auth import Role, TokenTable
from tellgraph.api.context import Shared
from tellgraph.api.health import StoreHealth
from tellgraph.api.http import GraphQLEndpoint
from tellgraph.api.persisted import PersistedQueries
from tellgraph.api.runner import StoreRunner
from tellgraph.api.schema import build_schema
from tellgraph.api.web import web_routes
from tellgraph.errors import TellgraphError
from tellgraph.goals.embedding import Embedder
from tellgraph.graph.store import GraphStore
from tellgraph.logging_setup import quiet_access_log
from tellgraph.services.intros import IntroPolicy
from tellgraph.services.search import EmbeddingAvailability
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0


def _thread_safe(store: GraphStore) -> bool:
    # The Neo4j driver is thread-safe; the embedded networkx store is not (writes mutate dicts).
    return type(store).__name__ == "Neo4jStore"


def _warm_up(store: GraphStore, shared: Shared) -> None:
    """Start loading the query embedder if the graph has embeddings (a failure only means later)."""
    try:
        if shared.embeddings.labels(store):
            shared.ready_embedder()
    except TellgraphError:
        logger.warning("could not check the store for embeddings at start-up", exc_info=True)


def create_app(
    *,
    store: GraphStore,
    settings: Settings,
    warm_up: bool = False,
    embedder: Embedder | None = None,
    owns_store: bool = False,
) -> Starlette:
    """The tellgraph web application over an open store.

    Args:
        store: the graph (left open for the caller to close, unless ``owns_store``).
        settings: limits, tokens and policies.
        warm_up: start loading the embedding model at start-up when the graph has embeddings.
        embedder: the query embedder to use (tests); by default all-MiniLM-L6-v2, loaded in the background.
        owns_store: close the store when the application shuts down (a uvicorn worker built by a factory).
    """
    tokens = TokenTable(settings.api_tokens.get_secret_value())
    runner = StoreRunner(max_workers=settings.api_threads, serialise=not _thread_safe(store))
    shared = Shared(
        intro_policy=IntroPolicy(stale_after_days=settings.api_stale_after_days),
        embeddings=EmbeddingAvailability(),
        embedder=embedder,
    )
    health = StoreHealth(store=store, run=runner, probe_timeout=HEALTH_TIMEOUT)
    endpoint = GraphQLEndpoint(
        schema=build_schema(settings=settings),
        store=store,
        settings=settings,
        tokens=tokens,
        runner=runner,
        shared=shared,
        persisted=PersistedQueries.from_file(settings.api_persisted_queries),
        health=health,
    )

    async def healthz(request: Request) -> JSONResponse:
        down = await health.probe()
        if down is not None:
            return JSONResponse({"status": "unavailable", "store": store.uri, "reason": down}, status_code=503)
        return JSONResponse({"status": "ok", "store": store.uri})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        quiet_access_log()  # uvicorn has configured its loggers by now, in every worker
        if warm_up:
            threading.Thread(target=_warm_up, args=(store, shared), daemon=True).start()
        try:
            yield
        finally:
            runner.shutdown()
            if owns_store:
                store.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            # Every method reaches the endpoint, which answers wrong ones with a spec-conformant 405.
            Route("/graphql", endpoint),
            # The web page and the Neo4j Browser guide: public static files; their data needs a token.
            *web_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.tokens = tokens
    app.state.runner = runner
    return app


__all__ = ["Role", "create_app"]
