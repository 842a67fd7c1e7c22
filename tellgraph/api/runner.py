"""Run blocking store calls off the event loop.

Stores are synchronous (the Neo4j driver's sync API, networkx). Each call runs
in a bounded thread pool so one slow query never stalls other requests. The
embedded store is not safe for concurrent writes, so its calls are serialised.
Health probes get threads of their own: under load every pool thread can be busy
with slow queries, and a probe queued behind them would time out and report a busy
but healthy store as down (found by bench/load_test.py: 503s for every request).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class StoreRunner:
    """A thread pool for store calls, counting them.

    Args:
        max_workers: threads (and so concurrent store calls).
        serialise: one call at a time (for stores that are not thread-safe).
    """

    def __init__(self, *, max_workers: int = 8, serialise: bool = False) -> None:
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="tellgraph-store")
        # Two: one probe may hang on a store that is really gone while the next one still runs.
        self._probes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tellgraph-probe")
        self._lock = threading.Lock() if serialise else None
        self._count_lock = threading.Lock()
        self.calls = 0

    def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self._count_lock:
            self.calls += 1
        if self._lock is None:
            return fn(*args, **kwargs)
        with self._lock:
            return fn(*args, **kwargs)

    async def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in the pool, awaited."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self._call, fn, *args, **kwargs))

    async def unlocked(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """For read-only probes: on the probe threads, never queued behind store calls or the serialising lock."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._probes, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        """Stop the threads (at application shutdown)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._probes.shutdown(wait=False, cancel_futures=True)
