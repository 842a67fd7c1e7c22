"""Run the API with uvicorn, refusing an open API on a public interface.

With ``workers > 1`` uvicorn starts that many processes, each building the
application with :func:`app_factory` (its own store connection and thread pool)
and sharing the listening socket; the parent restarts a worker that dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.supervisors import Multiprocess

from tellgraph.api.app import create_app
from tellgraph.api.auth import TokenTable
from tellgraph.errors import ConfigError
from tellgraph.graph.factory import open_store
from tellgraph.settings import Settings, StoreKind

if TYPE_CHECKING:
    from rich.console import Console
    from starlette.applications import Starlette

logger = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

KEEP_ALIVE_SECONDS = 75
"""How long an idle client connection stays open. uvicorn's default of 5 s closes connections that
pooling clients and proxies (whose idle timeouts are often 60 s) still count on, and a request sent
as the server closes one fails (bench/load_test.py saw ReadErrors). Longer than common proxy idle
timeouts, so the proxy, not the server, closes first."""


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """uvicorn's listening socket for worker processes, declared as TCP.

    uvicorn before 0.55 opened it with protocol 0, so asyncio never set TCP_NODELAY on the
    connections it accepted, and Nagle's algorithm meeting the client's delayed ACK added ~40 ms
    to every response with ``--workers`` (found by bench/load_test.py: 2 ms became 44 ms).
    Newer uvicorn declares TCP itself; re-declaring it is harmless.
    """
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


def app_factory() -> Starlette:
    """uvicorn ``--factory`` entry point (used for multi-worker serving): one application per worker process."""
    from tellgraph.settings import get_settings

    settings = get_settings()
    # Not pinged: a worker (re)started while Neo4j is down answers 503 until it is back.
    store = open_store(settings=settings, check=False, query_timeout=settings.api_timeout)
    return create_app(store=store, settings=settings, warm_up=True, owns_store=True)


def run_server(
    *, settings: Settings, host: str | None, port: int | None, workers: int = 1, console: Console | None = None
) -> None:
    """Serve until interrupted."""
    bind_host = host or settings.api_host
    bind_port = port or settings.api_port
    tokens = TokenTable(settings.api_tokens.get_secret_value())
    if tokens.open and bind_host not in LOOPBACK:
        raise ConfigError(
            "--host", "no API tokens are configured (TELLGRAPH_API_TOKENS), so the API only binds to 127.0.0.1"
        )
    base = f"http://{bind_host}:{bind_port}"
    if console is not None:
        console.print(f"Web page:     {base}/  (asks for an API token)")
        console.print(f"GraphQL API:  {base}/graphql  (GraphiQL in a browser)")
        console.print(f"Health:       {base}/healthz")
        console.print(f"Neo4j Browser guide: run  :play {base}/browser-guide  in Neo4j Browser")
        if tokens.open:
            console.print("[yellow]No API tokens configured: the API is open to anyone on this machine.[/yellow]")
    if workers > 1:
        if settings.store is StoreKind.MEMORY:
            raise ConfigError(
                "--workers",
                "the embedded store lives inside one process, so several workers would each hold their own copy; "
                "use --workers 1, or Neo4j (TELLGRAPH_STORE=neo4j)",
            )
        open_store(settings=settings).close()  # fail now, clearly, if the store cannot be reached at all
        # Workers are new processes that read their settings from the environment: pass on --store.
        os.environ["TELLGRAPH_STORE"] = settings.store.value
        if console is not None:
            console.print(f"Workers:      {workers} processes")
        config = uvicorn.Config(
            "tellgraph.api.server:app_factory",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_level="info",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        # What uvicorn.run does for workers, with a listening socket that gets TCP_NODELAY through.
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=[listening_socket(config)]).run()
        return
    store = open_store(settings=settings, query_timeout=settings.api_timeout)
    try:
        uvicorn.run(
            create_app(store=store, settings=settings, warm_up=True),
            host=bind_host,
            port=bind_port,
            log_level="info",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    finally:
        store.close()
