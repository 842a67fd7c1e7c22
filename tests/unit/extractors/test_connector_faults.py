"""A connector's remote failing: retried within limits, and checkpoints never pass what was stored.

Gmail runs on a real ``googleapiclient`` resource, over recorded answers
(``HttpMockSequence``) or, for timeouts, over HTTP against a local server that
stalls. Slack runs on the real ``slack_sdk.WebClient`` against the local Slack
Web API of ``test_slack_api`` (the olake-community export), with faults injected
per method and conversation: HTTP 5xx, 429 and answers slower than the client's
timeout. Each exhausted case goes through :class:`IngestRun` into the embedded
store, to check what the stored checkpoints say and that a rerun completes the
graph exactly.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httplib2  # type: ignore[import-untyped]
import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence

from tellgraph.errors import ConnectorError
from tellgraph.extractors.gmail import GmailConnector
from tellgraph.extractors.slack_api import SlackApiConnector, make_slack_client
from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.service import IngestRun, source_id
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Activity, Source
from tellgraph.schema.records import CheckpointMark
from tellgraph.settings import Settings
from tests.unit.extractors.test_gmail import (
    ALTERNATIVE,
    PLAIN,
    PROFILE_HISTORY_ID,
    TEXT_ATTACHMENT,
    WITH_JPEGS,
    Recorded,
)
from tests.unit.extractors.test_slack_api import OLAKE, TOKEN, SlackWebApi, _handler_for

SETTINGS = Settings(batch_size=1)
OLD_HISTORY_ID = "694300"


def _cursors(store: MemoryStore, kind: str, location: str) -> dict[str, str]:
    nodes = store.get_nodes(label=NodeLabel.SOURCE, ids=[source_id(kind, location)])
    if not nodes:
        return {}
    source = nodes[0].as_entity()
    assert isinstance(source, Source)
    return source.cursor_map()


# -- Gmail ---------------------------------------------------------------------------------


@pytest.fixture
def rec(fixtures_dir: Path) -> Recorded:
    return Recorded(fixtures_dir / "gmail")


def _gmail(responses: list[Any], *, max_retries: int = 2) -> tuple[GmailConnector, list[float]]:
    service = build("gmail", "v1", http=HttpMockSequence(responses), static_discovery=True)
    sleeps: list[float] = []
    return GmailConnector(service=service, max_retries=max_retries, sleep=sleeps.append), sleeps


def _incremental(rec: Recorded) -> list[Any]:
    return [rec.ok("history.page1"), rec.ok("history.page2"), rec.raw(WITH_JPEGS), rec.raw(TEXT_ATTACHMENT)]


def _seeded() -> MemoryStore:
    """A store that a previous run left at historyId 694300."""
    store = MemoryStore()
    store.upsert_entities(
        entities=[
            Source(
                id=source_id("gmail", "gmail:me"),
                kind="gmail",
                location="gmail:me",
                cursors=Source.encode_cursors({"history": OLD_HISTORY_ID}),
            )
        ]
    )
    return store


def test_gmail_500_and_429_are_retried_with_backoff_into_the_same_graph(rec: Recorded) -> None:
    reference = _seeded()
    connector, _ = _gmail(_incremental(rec))
    IngestRun(store=reference, connector=connector, settings=SETTINGS).run()

    store = _seeded()
    flaky = [
        rec.error(500),
        rec.ok("history.page1"),
        rec.error(429, **{"retry-after": "3"}),
        rec.ok("history.page2"),
        rec.raw(WITH_JPEGS),
        rec.error(503),
        rec.error(500),
        rec.raw(TEXT_ATTACHMENT),
    ]
    connector, sleeps = _gmail(flaky)
    summary = IngestRun(store=store, connector=connector, settings=SETTINGS).run()
    assert sleeps == [1.0, 3.0, 1.0, 2.0]  # backoff per request; Retry-After when it is longer
    assert summary.new == 2
    assert _cursors(store, "gmail", "gmail:me") == {"history": PROFILE_HISTORY_ID}
    assert store.checksum() == reference.checksum()


def test_gmail_exhausted_retries_leave_the_stored_history_id_and_a_rerun_completes(rec: Recorded) -> None:
    reference = _seeded()
    connector, _ = _gmail(_incremental(rec))
    IngestRun(store=reference, connector=connector, settings=SETTINGS).run()

    store = _seeded()
    failing = [rec.ok("history.page1"), rec.ok("history.page2"), rec.raw(WITH_JPEGS), *[rec.error(429)] * 3]
    connector, sleeps = _gmail(failing)
    with pytest.raises(ConnectorError, match=r"users\.messages\.get still failing with HTTP 429 after 2 retries"):
        IngestRun(store=store, connector=connector, settings=SETTINGS).run()
    assert sleeps == [1.0, 2.0]
    # The first message was stored, but the mailbox's checkpoint has not moved past the old historyId.
    assert store.counts().nodes["Communication"] == 1
    assert _cursors(store, "gmail", "gmail:me") == {"history": OLD_HISTORY_ID}

    connector, _ = _gmail(_incremental(rec))
    summary = IngestRun(store=store, connector=connector, settings=SETTINGS).run()
    assert (summary.new, summary.duplicate) == (1, 1)
    assert _cursors(store, "gmail", "gmail:me") == {"history": PROFILE_HISTORY_ID}
    assert store.checksum() == reference.checksum()


def test_gmail_full_sync_failing_midway_stores_no_checkpoint(rec: Recorded) -> None:
    failing = [rec.ok("profile"), rec.ok("list.page1"), rec.raw(TEXT_ATTACHMENT), *[rec.error(503)] * 3]
    connector, _ = _gmail(failing)
    store = MemoryStore()
    with pytest.raises(ConnectorError, match="HTTP 503 after 2 retries"):
        IngestRun(store=store, connector=connector, settings=SETTINGS).run()
    assert _cursors(store, "gmail", "gmail:me") == {}  # the next run syncs fully again


@dataclass
class StallingGmail:
    """Serves recorded Gmail answers over HTTP, the first ``stall`` requests slower than the client waits."""

    folder: Path
    stall: int = 0
    delay: float = 1.5
    paths: list[str] = field(default_factory=list)

    def answer(self, path: str, query: dict[str, list[str]]) -> str:
        self.paths.append(path)
        if self.stall > 0:
            self.stall -= 1
            time.sleep(self.delay)
        name = path.rsplit("/", 1)[-1]
        if name == "profile":
            fixture = "profile"
        elif name == "messages":
            fixture = "list.page2" if "pageToken" in query else "list.page1"
        else:
            fixture = f"raw.{name}"
        return (self.folder / f"{fixture}.json").read_text()


@pytest.fixture
def stalling_gmail(fixtures_dir: Path) -> Iterator[tuple[StallingGmail, str]]:
    state = StallingGmail(folder=fixtures_dir / "gmail")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            body = state.answer(url.path, parse_qs(url.query)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    yield from _serve(Handler, lambda port: (state, f"http://127.0.0.1:{port}/"))


def _gmail_over_http(endpoint: str, *, max_retries: int) -> tuple[GmailConnector, list[float]]:
    service = build(
        "gmail",
        "v1",
        http=httplib2.Http(timeout=0.5),
        static_discovery=True,
        client_options={"api_endpoint": endpoint},
    )
    sleeps: list[float] = []
    return GmailConnector(service=service, max_retries=max_retries, sleep=sleeps.append), sleeps


def test_gmail_timeouts_are_retried(stalling_gmail: tuple[StallingGmail, str]) -> None:
    state, endpoint = stalling_gmail
    state.stall = 2
    connector, sleeps = _gmail_over_http(endpoint, max_retries=3)
    records = list(connector.read(checkpoints={}))
    assert sleeps == [1.0, 2.0]
    assert state.paths[:3] == ["/gmail/v1/users/me/profile"] * 3
    assert [r.source_key for r in records if isinstance(r, Activity)] == [
        TEXT_ATTACHMENT,
        WITH_JPEGS,
        ALTERNATIVE,
        PLAIN,
    ]
    assert records[-1] == CheckpointMark(stream="history", cursor=PROFILE_HISTORY_ID)


def test_gmail_timeouts_past_the_limit_are_a_connector_error(stalling_gmail: tuple[StallingGmail, str]) -> None:
    state, endpoint = stalling_gmail
    state.stall = 10
    connector, sleeps = _gmail_over_http(endpoint, max_retries=1)
    with pytest.raises(ConnectorError, match=r"users\.getProfile still failing with connection error \(TimeoutError\)"):
        list(connector.read(checkpoints={}))
    assert sleeps == [1.0]


# -- Slack ---------------------------------------------------------------------------------


@dataclass
class Fault:
    """Answer ``method`` (for one conversation, or any) with ``status``, or stall ``delay`` seconds, ``times`` times."""

    method: str
    times: int
    status: int = 0
    delay: float = 0.0
    channel: str | None = None

    def matches(self, method: str, params: dict[str, str]) -> bool:
        return (
            self.times > 0 and method == self.method and (self.channel is None or params.get("channel") == self.channel)
        )


class FaultySlack(SlackWebApi):
    """The local Slack Web API with faults injected per method."""

    faults: list[Fault]

    def answer(self, method: str, params: dict[str, str], authorization: str) -> tuple[int, dict[str, str], Any]:
        for fault in getattr(self, "faults", []):
            if fault.matches(method, params):
                fault.times -= 1
                if fault.delay:
                    time.sleep(fault.delay)  # the client has given up by now; the answer goes nowhere
                    break
                with self.lock:
                    self.calls.append((method, params))
                error = {500: "internal_error", 503: "service_unavailable"}.get(fault.status, "fatal_error")
                return fault.status, {}, {"ok": False, "error": error}
        return super().answer(method, params, authorization)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a stalled answer to a client that timed out fails to send; that is the point


def _serve(handler: type[BaseHTTPRequestHandler], make: Any) -> Iterator[Any]:
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield make(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def slack(shared_data: Path, fixtures_dir: Path) -> Iterator[FaultySlack]:
    api = FaultySlack.from_export(shared_data / "slack-export-sample" / OLAKE, fixtures_dir / "slack_api")
    api.faults = []

    def make(port: int) -> FaultySlack:
        api.base_url = f"http://127.0.0.1:{port}/api/"
        return api

    yield from _serve(_handler_for(api), make)


CHANNELS = ["announcements", "discussions", "general"]
DISCUSSIONS = "C081K4RM07P"


def _slack_run(api: FaultySlack, store: MemoryStore, *, max_retries: int = 2, timeout: int = 5) -> Any:
    client = make_slack_client(token=TOKEN, base_url=api.base_url, max_retries=max_retries, timeout=timeout)
    connector = SlackApiConnector(
        client=client, workspace=api.auth["team_id"], channels=CHANNELS, max_retries=max_retries
    )
    return IngestRun(store=store, connector=connector, settings=Settings(batch_size=50)).run()


def test_slack_5xx_429_and_timeouts_are_retried_into_the_same_graph(slack: FaultySlack) -> None:
    reference = MemoryStore()
    expected = _slack_run(slack, reference)
    normal_calls = len(slack.calls)
    slack.calls.clear()

    slack.faults = [
        Fault("users.list", times=1, status=500),
        Fault("conversations.history", times=1, status=503, channel=DISCUSSIONS),
        Fault("conversations.history", times=1, status=502),
        Fault("conversations.replies", times=1, status=504),
        Fault("auth.test", times=1, delay=1.6),
    ]
    slack.rate_limit_once.add("conversations.list")
    store = MemoryStore()
    summary = _slack_run(slack, store, max_retries=3, timeout=1)
    assert all(fault.times == 0 for fault in slack.faults)
    # every failed call was made again: four 5xx answers, one 429 and one answer too slow for the client
    assert len(slack.calls) == normal_calls + 6
    assert (summary.new, summary.contacts) == (expected.new, expected.contacts)
    assert store.checksum() == reference.checksum()


def test_slack_errors_past_the_limit_stop_the_run_and_keep_checkpoints_honest(slack: FaultySlack) -> None:
    reference = MemoryStore()
    _slack_run(slack, reference)
    location = f"slack:{slack.auth['team_id']}"
    slack.calls.clear()

    store = MemoryStore()
    slack.faults = [Fault("conversations.history", times=100, status=503, channel=DISCUSSIONS)]
    with pytest.raises(ConnectorError, match=r"conversations\.history still failing with HTTP 503 after 2 retries"):
        _slack_run(slack, store)
    assert slack.count("conversations.history") == 1 + 3  # announcements once, discussions 1 + 2 retries
    cursors = _cursors(store, "slack", location)
    # The first conversation and the users were stored with their checkpoints; the failing one has none.
    assert "C081GUXUQ5U" in cursors and "users" in cursors
    assert DISCUSSIONS not in cursors
    # What came before the failure is stored: all of the first conversation, nothing of the others.
    assert _by_conversation(store) == {"C081GUXUQ5U": _by_conversation(reference)["C081GUXUQ5U"]}

    slack.faults = []
    summary = _slack_run(slack, store)
    assert summary.resumed
    assert store.checksum() == reference.checksum()


def _by_conversation(store: MemoryStore) -> dict[str, int]:
    found: dict[str, int] = {}
    for node in store.list_nodes(label=NodeLabel.COMMUNICATION, limit=10_000):
        conversation = str(node.props["source_keys"][0]).split("#", 1)[0]
        found[conversation] = found.get(conversation, 0) + 1
    return found


def test_slack_timeouts_past_the_limit_are_a_connector_error(slack: FaultySlack) -> None:
    slack.faults = [Fault("auth.test", times=10, delay=1.3)]
    client = make_slack_client(token=TOKEN, base_url=slack.base_url, max_retries=1, timeout=1)
    connector = SlackApiConnector(client=client, workspace=slack.auth["team_id"], max_retries=1)
    started = time.monotonic()
    with pytest.raises(ConnectorError, match=r"auth\.test: cannot reach Slack: .*timed out.* \(after 1 retries\)"):
        list(connector.read(checkpoints={}))
    assert time.monotonic() - started < 6
    assert slack.faults[0].times == 8  # tried twice


def test_slack_failures_are_logged_without_the_token(slack: FaultySlack, caplog: pytest.LogCaptureFixture) -> None:
    slack.faults = [Fault("users.list", times=5, status=500)]
    with caplog.at_level("DEBUG"), pytest.raises(ConnectorError):
        _slack_run(slack, MemoryStore(), max_retries=1)
    assert TOKEN not in caplog.text
    assert json.dumps(TOKEN)[1:-1] not in caplog.text
