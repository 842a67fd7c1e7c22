"""Ingest waits out a store outage with bounded backoff, and gives up cleanly past the limit.

The store here is the embedded one with an outage switched on and off by the test;
the same behaviour against a real Neo4j that is stopped and started is in
``tests/integration/test_store_outage.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tellgraph.errors import StoreError, StoreUnavailable
from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.retry import StoreRetry
from tellgraph.ingest.service import IngestRun, source_id
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Edge, Entity, Source
from tellgraph.settings import Settings
from tests.activity_factory import ListConnector, email

URI = "bolt://db.example:7687"


def _records() -> list[Any]:
    people = ["ann@a.com", "bo@b.com", "cy@c.com", "di@d.com"]
    return [email(n, people[n % 4], [people[(n + 1) % 4]], days=n) for n in range(12)]


class Clock:
    """A fake monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


class OutageStore(MemoryStore):
    """An embedded store that is 'down' for the next ``fail_next`` calls once ``after_writes`` batches are stored."""

    def __init__(self, *, path: Path | None = None) -> None:
        super().__init__(path=path)
        self.after_writes: int | None = None
        self.fail_next = 0
        self.writes = 0
        self.failures = 0

    def _maybe_down(self) -> None:
        if self.after_writes is not None and self.writes >= self.after_writes and self.fail_next > 0:
            self.fail_next -= 1
            self.failures += 1
            raise StoreUnavailable(URI, "Couldn't connect to db.example:7687 (connection refused)")

    def existing_ids(self, *, label: NodeLabel, ids: Sequence[str]) -> set[str]:
        self._maybe_down()
        return super().existing_ids(label=label, ids=ids)

    def write_batch(self, *, entities: Sequence[Entity], edges: Sequence[Edge], now: datetime) -> None:
        self._maybe_down()
        super().write_batch(entities=entities, edges=edges, now=now)
        self.writes += 1


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, batch_size=2)


def test_backoff_doubles_up_to_the_cap_then_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    retry = StoreRetry(timeout=60, initial_delay=0.5, max_delay=3.0, sleep=clock.sleep, clock=clock)
    calls = iter([StoreUnavailable(URI, "refused")] * 5 + [None])

    def call() -> str:
        failure = next(calls)
        if failure is not None:
            raise failure
        return "ok"

    with caplog.at_level(logging.WARNING, logger="tellgraph.ingest.retry"):
        assert retry.call("write batch 3", call) == "ok"
    assert clock.sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert retry.retries == 5
    assert retry.waited == pytest.approx(9.5)
    assert "unavailable while trying to write batch 3 (attempt 1): refused; retrying in 0.5 s" in caplog.text
    assert "graph store is back: write batch 3 succeeded after 5 failed attempt(s)" in caplog.text


def test_an_outage_past_the_limit_is_store_unavailable_saying_how_long() -> None:
    clock = Clock()
    retry = StoreRetry(timeout=5, initial_delay=1, max_delay=10, sleep=clock.sleep, clock=clock)

    def down() -> None:
        raise StoreUnavailable(URI, "refused")

    with pytest.raises(StoreUnavailable) as caught:
        retry.call("read the checkpoints", down)
    assert clock.sleeps == [1, 2, 2]  # the last wait is cut to what is left of the 5 s
    message = str(caught.value)
    assert message.startswith(f"Graph store at {URI} is unavailable: refused")
    assert "gave up trying to read the checkpoints after 4 attempt(s) over 5.0 s" in message
    assert "TELLGRAPH_STORE_RETRY_TIMEOUT=5 s" in message


def test_a_failing_query_is_not_retried() -> None:
    clock = Clock()
    retry = StoreRetry(timeout=60, sleep=clock.sleep, clock=clock)

    def broken() -> None:
        raise StoreError("write", "Neo.ClientError.Statement.SyntaxError: ...")

    with pytest.raises(StoreError):
        retry.call("write", broken)
    assert clock.sleeps == []


def test_a_zero_timeout_never_retries() -> None:
    clock = Clock()
    retry = StoreRetry(timeout=0, sleep=clock.sleep, clock=clock)
    with pytest.raises(StoreUnavailable, match="after 1 attempt"):
        retry.call("write", lambda: (_ for _ in ()).throw(StoreUnavailable(URI, "refused")))
    assert clock.sleeps == []


def test_settings_configure_the_policy() -> None:
    settings = Settings(store_retry_timeout=30, store_retry_initial_delay=0.25, store_retry_max_delay=4)
    retry = StoreRetry.from_settings(settings)
    assert (retry.timeout, retry.initial_delay, retry.max_delay) == (30, 0.25, 4)
    with pytest.raises(ValueError, match="must not be negative"):
        Settings(store_retry_timeout=-1)


def test_ingest_rides_out_an_outage_and_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    reference = MemoryStore()
    expected = IngestRun(store=reference, connector=ListConnector(_records()), settings=_settings(tmp_path)).run()

    store = OutageStore()
    store.after_writes, store.fail_next = 2, 4  # the store goes away after two batches, for four calls
    clock = Clock()
    retry = StoreRetry(timeout=60, initial_delay=0.5, max_delay=10, sleep=clock.sleep, clock=clock)
    summary = IngestRun(
        store=store, connector=ListConnector(_records()), settings=_settings(tmp_path), retry=retry
    ).run()

    assert store.failures == 4
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]
    # a retried batch is counted once
    assert (summary.read, summary.new, summary.duplicate, summary.batches) == (
        expected.read,
        expected.new,
        expected.duplicate,
        expected.batches,
    )
    assert (summary.store_retries, summary.store_wait_seconds) == (4, 7.5)
    assert store.counts() == reference.counts()
    assert store.checksum() == reference.checksum()


def test_an_outage_past_the_limit_stops_the_run_and_the_checkpoint_covers_only_what_was_stored(
    tmp_path: Path,
) -> None:
    reference = MemoryStore()
    IngestRun(store=reference, connector=ListConnector(_records()), settings=_settings(tmp_path)).run()

    path = tmp_path / "snapshot.json"
    store = OutageStore(path=path)
    store.after_writes, store.fail_next = 3, 1000
    clock = Clock()
    retry = StoreRetry(timeout=10, initial_delay=1, max_delay=4, sleep=clock.sleep, clock=clock)
    connector = ListConnector(_records())
    with pytest.raises(StoreUnavailable, match="gave up trying to store a checkpoint"):
        IngestRun(store=store, connector=connector, settings=_settings(tmp_path), retry=retry).run()

    # What is durable is the last snapshot (flushed with every checkpoint), as after a crash.
    survivor = MemoryStore(path=path)
    [node] = survivor.get_nodes(label=NodeLabel.SOURCE, ids=[source_id(connector.kind, connector.location)])
    source = node.as_entity()
    assert isinstance(source, Source)
    cursor = int(source.cursor_map()["items"])
    stored = survivor.existing_ids(label=NodeLabel.COMMUNICATION, ids=[r.key for r in _records()])
    assert 0 < cursor < len(_records())
    assert {r.key for r in _records()[:cursor]} <= stored, "everything before the checkpoint is stored"

    summary = IngestRun(store=survivor, connector=ListConnector(_records()), settings=_settings(tmp_path)).run()
    assert summary.resumed and summary.new == len(_records()) - cursor
    assert survivor.checksum() == reference.checksum()
