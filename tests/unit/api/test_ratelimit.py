"""Per-token rate limits: token buckets, and 429 with Retry-After over HTTP."""

from __future__ import annotations

import time

from tellgraph.api.ratelimit import RateLimiter
from tellgraph.graph.memory import MemoryStore
from tests.unit.api.conftest import EDITOR, VIEWER, api_settings, make_api


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.acquire("a") for _ in range(3)] == [None, None, None]
    wait = limiter.acquire("a")
    assert wait is not None and abs(wait - 0.5) < 1e-9
    assert limiter.acquire("b") is None  # another token has its own bucket
    clock.now += 0.5
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") is not None
    clock.now += 60  # refills up to the burst, never beyond
    assert [limiter.acquire("a") for _ in range(4)][-1] is not None
    assert RateLimiter.retry_after(0.01) == "1" and RateLimiter.retry_after(2.2) == "3"


def test_zero_rate_means_no_limit() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    assert not limiter.enabled
    assert all(limiter.acquire("a") is None for _ in range(1000))


def test_http_429_with_retry_after_per_token(store: MemoryStore) -> None:
    for api in make_api(store, api_settings(api_rate_limit=5.0, api_rate_burst=2)):
        assert [api.post("{ __typename }").status_code for _ in range(2)] == [200, 200]
        refused = api.post("{ __typename }", accept="application/graphql-response+json")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED" and "5 requests per second" in error["message"]
        # Another token is not affected, and no token is not limited but refused.
        assert api.post("{ __typename }", token=EDITOR).status_code == 200
        assert api.post("{ __typename }", token=None).status_code == 401
        time.sleep(0.25)
        assert api.post("{ __typename }", token=VIEWER).status_code == 200


def test_an_open_api_is_not_limited(store: MemoryStore) -> None:
    settings = api_settings(api_rate_limit=1.0, api_rate_burst=1)
    settings = settings.model_copy(update={"api_tokens": settings.api_tokens.__class__("")})
    for api in make_api(store, settings):
        assert {api.post("{ __typename }", token=None).status_code for _ in range(5)} == {200}
