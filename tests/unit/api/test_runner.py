"""The store runner under load: health probes are not queued behind busy store threads."""

from __future__ import annotations

import asyncio
import threading

from tellgraph.api.health import StoreHealth
from tellgraph.api.runner import StoreRunner
from tellgraph.graph.memory import MemoryStore


def test_a_probe_answers_while_every_store_thread_is_busy() -> None:
    runner = StoreRunner(max_workers=2)
    health = StoreHealth(store=MemoryStore(), run=runner, probe_timeout=1.0)
    release = threading.Event()
    started = threading.Barrier(3)

    def slow_query() -> None:
        started.wait(timeout=5)
        release.wait(timeout=10)

    async def scenario() -> str | None:
        # Every store thread is taken by a slow query, as under saturation.
        busy = [asyncio.ensure_future(runner(slow_query)) for _ in range(2)]
        await asyncio.to_thread(started.wait, 5)
        try:
            return await health.probe()
        finally:
            release.set()
            await asyncio.gather(*busy)

    try:
        assert asyncio.run(scenario()) is None, "a busy store is not a store that is down"
        assert asyncio.run(health.unavailable()) is None
    finally:
        release.set()
        runner.shutdown()
