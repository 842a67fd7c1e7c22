"""Wait for a graph store that went away: bounded exponential backoff around store calls.

A store call that raises :class:`~tellgraph.errors.StoreUnavailable` (Neo4j
stopped, restarting, unreachable, or still busy after the driver's own
retries) is tried again after 0.5, 1, 2, 4... seconds, each wait capped, until
it succeeds or the outage has lasted ``timeout`` seconds; then the last error
is raised with how long was waited. Only unavailability is retried: a query
that fails (:class:`~tellgraph.errors.StoreError`) would fail again.

Retrying a write is safe because every write is idempotent (``MERGE`` on
identity keys in one transaction): a batch that was committed just before the
connection dropped is found again and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from tellgraph.errors import StoreUnavailable
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


class StoreRetry:
    """Calls a function, waiting out store outages up to a time limit.

    Args:
        timeout: seconds an outage may last before giving up (0: never retry).
        initial_delay: the first wait; each next one doubles.
        max_delay: the longest single wait.
        sleep: how to wait (tests pass a recorder).
        clock: a monotonic clock in seconds.
    """

    def __init__(
        self,
        *,
        timeout: float,
        initial_delay: float = 0.5,
        max_delay: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self._sleep = sleep
        self._clock = clock
        self.retries = 0
        """Failed attempts that were retried, over every call."""
        self.waited = 0.0
        """Seconds spent in outages (failed attempts and waits), over every call."""

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreRetry:
        """The policy ``TELLGRAPH_STORE_RETRY_*`` configures."""
        return cls(
            timeout=settings.store_retry_timeout,
            initial_delay=settings.store_retry_initial_delay,
            max_delay=settings.store_retry_max_delay,
        )

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """``fn()``, retried while it raises StoreUnavailable and the outage is shorter than ``timeout``.

        Args:
            what: what the call does, for the log ("write batch 12").
            fn: the store call.

        Raises:
            StoreUnavailable: the store was still unavailable when the time ran out; the message
                says how long and how often it was tried.
        """
        failures = 0
        outage_started = 0.0
        while True:
            try:
                result = fn()
            except StoreUnavailable as exc:
                now = self._clock()
                if failures == 0:
                    # The failed attempt itself may have taken a while (the driver retries too);
                    # the outage is counted from when this attempt found the store gone.
                    outage_started = now
                failures += 1
                elapsed = now - outage_started
                remaining = self.timeout - elapsed
                if remaining <= 0:
                    self.waited += elapsed
                    raise StoreUnavailable(
                        exc.uri,
                        f"{exc.reason} (gave up trying to {what} after {failures} attempt(s) over {elapsed:.1f} s; "
                        f"the limit is TELLGRAPH_STORE_RETRY_TIMEOUT={self.timeout:g} s)",
                    ) from exc
                delay = min(self.max_delay, self.initial_delay * 2 ** (failures - 1), remaining)
                logger.warning(
                    "graph store at %s unavailable while trying to %s (attempt %d): %s; retrying in %.1f s "
                    "(giving up in %.0f s)",
                    exc.uri,
                    what,
                    failures,
                    exc.reason,
                    delay,
                    remaining,
                )
                self.retries += 1
                self._sleep(delay)
                continue
            if failures:
                elapsed = self._clock() - outage_started
                self.waited += elapsed
                logger.warning(
                    "graph store is back: %s succeeded after %d failed attempt(s) over %.1f s", what, failures, elapsed
                )
            return result


__all__ = ["StoreRetry"]
