"""Per-token rate limits: a token bucket for each API token.

Each token gets ``burst`` requests at once and ``rate`` more every second. A request
over the limit is answered ``429 Too Many Requests`` with ``Retry-After`` (whole
seconds) before anything is parsed, so a flood costs the server a dictionary lookup.
Buckets are keyed by the token's fingerprint (a digest, never the token itself) and
live in the worker process: with several uvicorn workers each enforces its own share.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by key.

    Args:
        rate: requests added per second (0 or less: no limit).
        burst: the bucket's size, the most requests allowed at once (at least 1).
        clock: a monotonic clock in seconds (tests pass their own).
    """

    def __init__(self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self.rate > 0

    def acquire(self, key: str) -> float | None:
        """Take one request from ``key``'s bucket: None when allowed, else the seconds to wait before retrying."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
            else:
                bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / self.rate

    @staticmethod
    def retry_after(seconds: float) -> str:
        """The ``Retry-After`` header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(seconds)))
