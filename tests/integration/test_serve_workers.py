"""``tellgraph serve --workers 2``: two processes share the port, each serves on its own, a dead one is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tellgraph.graph.store import GraphStore
from tests.integration.api_server import TOKENS, VIEWER, free_port

QUERY = '{ __typename person(email: "nobody@example.org") { id } }'


def _workers(parent: psutil.Process) -> list[psutil.Process]:
    """uvicorn's worker processes (multiprocessing children, not its resource tracker)."""
    found = []
    for child in parent.children():
        try:
            cmdline = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        if "spawn_main" in cmdline and "resource_tracker" not in cmdline:
            found.append(child)
    return found


def _ask(url: str) -> int:
    # A new connection each time, so the kernel hands it to whichever worker is accepting.
    response = httpx.post(
        f"{url}/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {VIEWER}"}, timeout=15
    )
    return response.status_code


@pytest.fixture
def served(neo4j_store: GraphStore, tmp_path: Path) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "TELLGRAPH_API_TOKENS": TOKENS, "TELLGRAPH_STORE": "neo4j"}
    with log.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tellgraph.cli", "serve", "--port", str(port), "--workers", "2"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    parent = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if len(_workers(parent)) == 2 and httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(f"two workers did not start: {log.read_text()[-3000:]}")
        yield url, parent
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert "Workers:      2 processes" in log.read_text()


def test_two_workers_each_serve_and_a_killed_one_is_replaced(served: tuple[str, psutil.Process]) -> None:
    url, parent = served
    workers = _workers(parent)
    assert len(workers) == 2 and len({w.pid for w in workers}) == 2

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(lambda _: _ask(url), range(40))) == {200}

    # Each worker serves alone while the other is frozen.
    for frozen in workers:
        frozen.send_signal(signal.SIGSTOP)
        try:
            assert [_ask(url) for _ in range(5)] == [200] * 5
        finally:
            frozen.send_signal(signal.SIGCONT)

    # kill -9 of one worker: the other goes on serving and uvicorn starts a replacement.
    victim, survivor = workers
    victim.send_signal(signal.SIGKILL)
    assert [_ask(url) for _ in range(5)] == [200] * 5
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = _workers(parent)
        if len(now) == 2 and victim.pid not in {w.pid for w in now}:
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"no replacement worker: {[w.pid for w in _workers(parent)]}")
    assert survivor.pid in {w.pid for w in _workers(parent)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(lambda _: _ask(url), range(20))) == {200}


def test_several_workers_refuse_the_embedded_store(tmp_path: Path) -> None:
    env = {**os.environ, "TELLGRAPH_STORE": "memory", "TELLGRAPH_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "tellgraph.cli", "serve", "--port", str(free_port()), "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "embedded store lives inside one process" in " ".join(done.stderr.split())
