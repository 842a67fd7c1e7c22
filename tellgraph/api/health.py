"""Is the store up? A small circuit breaker so an outage answers 503 fast instead of hanging.

The Neo4j driver retries a refused connection for several seconds before it gives
up, so a request during an outage would otherwise wait for the request timeout.
Once a probe (``store.ping`` with a short deadline) or a request has seen the
store down, requests are answered with 503 at once; the next request after
``recheck_after`` seconds probes again, and traffic resumes when the store answers.
"""

from __future__ import annotations

import asyncio
import time

from tellgraph.api.runner import StoreRunner
from tellgraph.errors import StoreUnavailable, TellgraphError
from tellgraph.graph.store import GraphStore


class StoreHealth:
    """The last known state of the store.

    Args:
        store: the graph.
        run: the thread pool store calls run in.
        probe_timeout: seconds a ping may take before the store counts as down.
        recheck_after: seconds a "down" verdict is trusted before probing again.
    """

    def __init__(
        self, *, store: GraphStore, run: StoreRunner, probe_timeout: float = 3.0, recheck_after: float = 5.0
    ) -> None:
        self._store = store
        self._run = run
        self._probe_timeout = probe_timeout
        self._recheck_after = recheck_after
        self._down_reason: str | None = None
        self._checked_at = 0.0

    @property
    def uri(self) -> str:
        """The store's URI, for messages."""
        return self._store.uri

    def mark_down(self, reason: str) -> None:
        """Remember that a request found the store unavailable."""
        self._down_reason = reason
        self._checked_at = time.monotonic()

    async def probe(self) -> str | None:
        """Ping the store now; returns why it is unavailable, or None when it answers."""
        try:
            # A ping reads nothing, so it need not queue behind a slow request on a serialised store.
            await asyncio.wait_for(self._run.unlocked(self._store.ping), timeout=self._probe_timeout)
        except TimeoutError:
            self.mark_down(str(StoreUnavailable(self.uri, f"no answer within {self._probe_timeout:g} s")))
        except TellgraphError as exc:
            self.mark_down(str(exc))
        else:
            self._down_reason = None
            self._checked_at = time.monotonic()
        return self._down_reason

    async def unavailable(self) -> str | None:
        """Why requests should get a 503 now (None: go ahead); probes again once the verdict is stale."""
        if self._down_reason is None:
            return None
        if time.monotonic() - self._checked_at < self._recheck_after:
            return self._down_reason
        return await self.probe()
