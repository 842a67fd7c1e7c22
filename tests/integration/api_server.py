"""Run ``tellgraph serve`` in its own process for HTTP tests (real uvicorn, real Neo4j)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

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
