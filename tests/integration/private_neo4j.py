"""A throw-away Neo4j for tests that stop and start the server.

It runs in its own home on free ports and reuses the default home's jars, so it
never touches the suite's server (which other tests need running) and downloads
nothing. Small heap and page cache: these tests hold a few hundred nodes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tellgraph.graph.neo4j_server import LocalNeo4j, java_available, maven_available
from tellgraph.settings import Settings


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on right now (held open together so they differ)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def shared_lib_dir() -> Path:
    """The default home's jar folder (skips the test when there is no Java or no jars to reuse)."""
    if not java_available():
        pytest.skip("java is not on PATH")
    default = LocalNeo4j(settings=Settings())
    if not default.is_provisioned() and not maven_available():
        pytest.skip("Neo4j jars are not provisioned and mvn is not on PATH")
    return default.lib_dir


def private_server(home: Path, **overrides: object) -> LocalNeo4j:
    """A server (not started) in ``home`` on free ports with the suite's password and the shared jars.

    ``overrides`` are further settings (tests that need particular ports pass them here).
    """
    bolt_port, http_port = free_ports(2)
    values: dict[str, object] = {
        "cache_dir": home,
        "neo4j_bolt_port": bolt_port,
        "neo4j_http_port": http_port,
        "neo4j_heap": "512m",
        "neo4j_pagecache": "64m",
        **overrides,
    }
    values["neo4j_uri"] = f"bolt://127.0.0.1:{values['neo4j_bolt_port']}"
    return LocalNeo4j(settings=Settings(**values), lib_dir=shared_lib_dir())  # type: ignore[arg-type]


@contextmanager
def private_neo4j(home: Path, **overrides: object) -> Iterator[LocalNeo4j]:
    """A started server in ``home``; stopped afterwards whatever happens.

    ``server.settings`` holds its URI, ports and password (the suite's).
    """
    server = private_server(home, **overrides)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def env_for(server: LocalNeo4j) -> dict[str, str]:
    """Environment variables that point a ``tellgraph`` process at ``server``."""
    return {
        "TELLGRAPH_STORE": "neo4j",
        "TELLGRAPH_NEO4J_URI": server.settings.neo4j_uri,
        "TELLGRAPH_NEO4J_BOLT_PORT": str(server.settings.neo4j_bolt_port),
        "TELLGRAPH_NEO4J_HTTP_PORT": str(server.settings.neo4j_http_port),
    }
