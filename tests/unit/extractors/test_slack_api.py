"""SlackApiConnector with the real slack_sdk WebClient against a local Slack Web API server.

The server on 127.0.0.1 answers like Slack's Web API (form-encoded POST or GET,
``ok``, ``response_metadata.next_cursor``, HTTP 429 with ``Retry-After``), serving the
user and message objects of the real exports in the shared data.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlparse

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from tellgraph.errors import ConnectorError
from tellgraph.extractors.base import Connector
from tellgraph.extractors.slack_api import ServerErrorRetryHandler, SlackApiConnector, make_slack_client
from tellgraph.extractors.slack_export import SlackExportConnector, ts_sort_key
from tellgraph.schema.model import Activity
from tellgraph.schema.records import CheckpointMark, ContactRecord, Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

T = TypeVar("T")
TOKEN = "xoxb-test"
OLAKE = "olake-community"
ARCHIVE = "slack-export-viewer-testarchive"


def _of(records: list[SourceRecord], kind: type[T]) -> list[T]:
    return [r for r in records if isinstance(r, kind)]


def _encode_cursor(offset: int) -> str:
    # Slack's cursors are opaque base64 strings such as "dXNlcjpVMEc5V0ZYTlo=".
    return base64.b64encode(f"next_offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.b64decode(cursor).decode().split(":", 1)[1])


@dataclass
class SlackWebApi:
    """The state of the local Slack: a real export's users, channels and messages."""

    export: Path
    auth: dict[str, Any]
    users: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    messages: dict[str, list[dict[str, Any]]]
    errors: dict[str, Any]
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    rate_limit_once: set[str] = field(default_factory=set)
    always_rate_limited: set[str] = field(default_factory=set)
    channel_errors: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    @classmethod
    def from_export(cls, export: Path, fixtures: Path) -> SlackWebApi:
        channels = json.loads((export / "channels.json").read_text())
        messages: dict[str, list[dict[str, Any]]] = {}
        for channel in channels:
            day_files = sorted((export / channel["name"]).glob("*.json"))
            messages[channel["id"]] = [m for f in day_files for m in json.loads(f.read_text())]
        return cls(
            export=export,
            auth=json.loads((fixtures / f"auth.test.{export.name}.json").read_text()),
            users=json.loads((export / "users.json").read_text()),
            channels=channels,
            messages=messages,
            errors={
                "ratelimited": json.loads((fixtures / "ratelimited.json").read_text()),
                "invalid_auth": json.loads((fixtures / "invalid_auth.json").read_text()),
            },
        )

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    def answer(self, method: str, params: dict[str, str], authorization: str) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            self.calls.append((method, params))
            if method in self.always_rate_limited or method in self.rate_limit_once:
                self.rate_limit_once.discard(method)
                return (
                    429,
                    {"Retry-After": "1" if method not in self.always_rate_limited else "0"},
                    self.errors["ratelimited"],
                )
        if authorization != f"Bearer {TOKEN}":
            return 200, {}, self.errors["invalid_auth"]
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        return 200, {}, handler(params)

    def _page(self, items: list[Any], params: dict[str, str], key: str, **extra: Any) -> dict[str, Any]:
        limit = int(params.get("limit") or 100)
        start = _decode_cursor(params.get("cursor"))
        end = start + limit
        more = end < len(items)
        return {
            "ok": True,
            key: items[start:end],
            **extra,
            **({"has_more": more} if key == "messages" else {}),
            "response_metadata": {"next_cursor": _encode_cursor(end) if more else ""},
        }

    def _auth_test(self, params: dict[str, str]) -> dict[str, Any]:
        return self.auth

    def _users_list(self, params: dict[str, str]) -> dict[str, Any]:
        return self._page(self.users, params, "members", cache_ts=1786111000)

    def _conversations_list(self, params: dict[str, str]) -> dict[str, Any]:
        listed = []
        for channel in self.channels:
            entry = {k: v for k, v in channel.items() if k != "members"}
            entry.update(is_channel=True, is_member=True, num_members=len(channel.get("members", [])))
            listed.append(entry)
        return self._page(listed, params, "channels")

    def _channel(self, params: dict[str, str]) -> dict[str, Any] | None:
        return next((c for c in self.channels if c["id"] == params.get("channel")), None)

    def _conversations_members(self, params: dict[str, str]) -> dict[str, Any]:
        channel = self._channel(params)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return self._page(channel.get("members", []), params, "members")

    def _in_window(self, message: dict[str, Any], params: dict[str, str]) -> bool:
        ts = ts_sort_key(message["ts"])
        oldest = params.get("oldest")
        latest = params.get("latest")
        return (not oldest or ts > ts_sort_key(oldest)) and (not latest or ts < ts_sort_key(latest))

    def _conversations_history(self, params: dict[str, str]) -> dict[str, Any]:
        channel_id = params.get("channel", "")
        if channel_id in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel_id]}
        if channel_id not in self.messages:
            return {"ok": False, "error": "channel_not_found"}
        top_level = [
            m
            for m in self.messages[channel_id]
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]
        newest_first = sorted(
            (m for m in top_level if self._in_window(m, params)),
            key=lambda m: ts_sort_key(m["ts"]),
            reverse=True,
        )
        return self._page(newest_first, params, "messages", pin_count=0)

    def _conversations_replies(self, params: dict[str, str]) -> dict[str, Any]:
        thread = [m for m in self.messages.get(params.get("channel", ""), []) if m.get("thread_ts") == params["ts"]]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        parent = [m for m in thread if m["ts"] == params["ts"]]
        replies = sorted(
            (m for m in thread if m["ts"] != params["ts"] and self._in_window(m, params)),
            key=lambda m: ts_sort_key(m["ts"]),
        )
        # Slack always lists the parent first, whatever ``oldest`` says.
        return self._page(parent + replies, params, "messages")


def _handler_for(api: SlackWebApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, body: bytes) -> None:
            url = urlparse(self.path)
            method = url.path.removeprefix("/api/")
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
            status, headers, payload = api.answer(method, params, self.headers.get("Authorization", ""))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length))

        def do_GET(self) -> None:
            self._serve(b"")

        def log_message(self, format: str, *args: Any) -> None:  # keep test output readable
            pass

    return Handler


@pytest.fixture(params=[OLAKE, ARCHIVE])
def slack(request: pytest.FixtureRequest, shared_data: Path, fixtures_dir: Path) -> Iterator[SlackWebApi]:
    yield from _serve(shared_data / "slack-export-sample" / request.param, fixtures_dir / "slack_api")


@pytest.fixture
def olake_slack(shared_data: Path, fixtures_dir: Path) -> Iterator[SlackWebApi]:
    yield from _serve(shared_data / "slack-export-sample" / OLAKE, fixtures_dir / "slack_api")


def _serve(export: Path, fixtures: Path) -> Iterator[SlackWebApi]:
    """Run the server on an ephemeral port for one test; always shut it down."""
    api = SlackWebApi.from_export(export, fixtures)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/"
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _client(api: SlackWebApi, *, token: str = TOKEN) -> WebClient:
    return WebClient(token=token, base_url=api.base_url)


def _read(api: SlackWebApi, checkpoints: dict[str, str] | None = None, **kwargs: Any) -> list[SourceRecord]:
    kwargs.setdefault("client", _client(api))
    kwargs.setdefault("workspace", api.auth["team_id"])
    return list(SlackApiConnector(**kwargs).read(checkpoints=checkpoints or {}))


def _comparable(activity: Activity) -> dict[str, Any]:
    # Where a record came from differs between export and API; what it is must not.
    return activity.model_dump(exclude={"source", "source_key", "raw_hash"})


def test_full_sync_gives_the_same_communications_as_the_export(slack: SlackWebApi) -> None:
    from_export = list(SlackExportConnector(path=slack.export).read(checkpoints={}))
    from_api = _read(slack, page_size=50)

    assert len(_of(from_api, ContactRecord)) == len(slack.users)
    assert [c.handles for c in _of(from_api, ContactRecord)] == [c.handles for c in _of(from_export, ContactRecord)]
    api_activities = {a.key: a for a in _of(from_api, Activity)}
    export_activities = {a.key: a for a in _of(from_export, Activity)}
    assert set(api_activities) == set(export_activities)
    for key, activity in api_activities.items():
        assert _comparable(activity) == _comparable(export_activities[key])
        assert activity.source == "slack"
        assert activity.source_key == f"{activity.metadata['channel_id']}#{activity.metadata['ts']}"
    assert Counter(r.reason for r in _of(from_api, Rejected)) == Counter(r.reason for r in _of(from_export, Rejected))
    # Paging: users came in pages of 50 and follow-up pages were asked for with the cursor.
    assert slack.count("users.list") == -(-len(slack.users) // 50)
    assert any("cursor" in params for name, params in slack.calls if name == "users.list") == (len(slack.users) > 50)


def test_counts_on_the_real_workspaces(slack: SlackWebApi) -> None:
    records = _read(slack)
    counts = (len(_of(records, ContactRecord)), len(_of(records, Activity)), len(_of(records, Rejected)))
    assert counts == {"T0820LGJGRF": (681, 294, 2), "T0BMHLSRH": (4, 147, 11)}[slack.auth["team_id"]]


def test_threads_are_fetched_with_replies_and_history_is_paged(olake_slack: SlackWebApi) -> None:
    records = _read(olake_slack, page_size=5)
    activities = _of(records, Activity)
    assert len(activities) == 294
    # 28 threads: one conversations.replies call per thread, more for threads longer than a page.
    thread_calls = {params["ts"] for name, params in olake_slack.calls if name == "conversations.replies"}
    assert len(thread_calls) == 28
    help_pages = [p for n, p in olake_slack.calls if n == "conversations.history" and p["channel"] == "C081MV728N7"]
    assert len(help_pages) >= 2
    assert all("cursor" in p for p in help_pages[1:])
    # Each channel's activities come oldest first, then its checkpoint.
    marks = {m.stream: m.cursor for m in _of(records, CheckpointMark)}
    help_ts = [a.metadata["ts"] for a in activities if a.metadata["channel_id"] == "C081MV728N7"]
    assert help_ts == sorted(help_ts, key=ts_sort_key)
    assert marks["C081MV728N7"] == help_ts[-1] == "1786110914.375639"


def test_a_rate_limit_is_retried_after_retry_after(olake_slack: SlackWebApi) -> None:
    olake_slack.rate_limit_once.add("conversations.history")
    started = time.monotonic()
    records = _read(olake_slack, channels=["announcements"])
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    history = [p for n, p in olake_slack.calls if n == "conversations.history"]
    assert len(history) == 2 and history[0] == history[1]
    assert len(_of(records, Activity)) == 18


def test_a_rate_limit_that_does_not_end_is_a_connector_error(olake_slack: SlackWebApi) -> None:
    olake_slack.always_rate_limited.add("users.list")
    client = make_slack_client(token=TOKEN, base_url=olake_slack.base_url, max_retries=1)
    with pytest.raises(ConnectorError, match=r"users.list is still rate limited \(HTTP 429\)"):
        _read(olake_slack, client=client, max_retries=1)
    assert olake_slack.count("users.list") == 2


def test_resume_from_checkpoints_fetches_nothing_old(olake_slack: SlackWebApi) -> None:
    first = _read(olake_slack)
    cursors = {m.stream: m.cursor for m in _of(first, CheckpointMark)}
    assert len(cursors) == 6  # users + 5 channels
    olake_slack.calls.clear()

    again = _read(olake_slack, cursors)
    assert again == []
    history = [p for n, p in olake_slack.calls if n == "conversations.history"]
    assert {p["channel"]: p["oldest"] for p in history} == {k: v for k, v in cursors.items() if k != "users"}
    assert olake_slack.count("conversations.replies") == 0

    # A new message and a reply to it: only those come, and the cursor moves on.
    new: dict[str, Any] = {
        "type": "message",
        "user": "U09BK0WKBQR",
        "text": "New release <@U08CR7HUWDC>",
        "ts": "1786200000.000100",
    }
    reply = {
        "type": "message",
        "user": "U08CR7HUWDC",
        "text": "thanks",
        "ts": "1786200100.000200",
        "thread_ts": "1786200000.000100",
        "parent_user_id": "U09BK0WKBQR",
    }
    new.update(thread_ts=new["ts"], reply_count=1, latest_reply=reply["ts"])
    olake_slack.messages["C081GUXUQ5U"] += [new, reply]
    third = _read(olake_slack, cursors)
    assert [a.metadata["ts"] for a in _of(third, Activity)] == [new["ts"], reply["ts"]]
    assert _of(third, CheckpointMark) == [CheckpointMark(stream="C081GUXUQ5U", cursor=reply["ts"])]


def test_channel_filter_and_unknown_channels(olake_slack: SlackWebApi) -> None:
    records = _read(olake_slack, channels=["#general", "C081K4RM07P", "no-such-channel"])
    channels = {a.metadata["channel"] for a in _of(records, Activity)}
    assert channels == {"general", "discussions"}
    assert [(r.source_key, r.reason) for r in _of(records, Rejected)] == [
        ("no-such-channel", "conversation not found or not visible to the token")
    ]


def test_a_channel_that_cannot_be_read_is_rejected_and_the_rest_is_read(olake_slack: SlackWebApi) -> None:
    olake_slack.channel_errors["C081MV728N7"] = "not_in_channel"
    records = _read(olake_slack)
    problems = [r for r in _of(records, Rejected) if not r.reason.startswith("system message")]
    assert [(r.source_key, r.reason) for r in problems] == [("C081MV728N7", "cannot read conversation: not_in_channel")]
    assert len(_of(records, Activity)) == 294 - 245  # help holds 245 of the 294 activities
    assert "C081MV728N7" not in {m.stream for m in _of(records, CheckpointMark)}


def test_a_bad_token_is_a_connector_error(olake_slack: SlackWebApi) -> None:
    with pytest.raises(ConnectorError, match=r"auth\.test failed: invalid_auth"):
        _read(olake_slack, client=_client(olake_slack, token="xoxb-wrong"))


def test_the_workspace_must_be_the_tokens(olake_slack: SlackWebApi) -> None:
    with pytest.raises(ConnectorError, match="belongs to workspace T0820LGJGRF"):
        _read(olake_slack, workspace="T0SOMEONEELSE")
    # The name or subdomain are accepted too; records are keyed by the team id regardless.
    by_domain = _of(_read(olake_slack, workspace="getolake", channels=["general"]), Activity)
    assert {a.metadata["workspace"] for a in by_domain} == {"T0820LGJGRF"}


def test_an_unreachable_server_is_a_connector_error() -> None:
    # A port that was just free: nothing listens there, so connections are refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_slack_client(token=TOKEN, base_url=f"http://127.0.0.1:{port}/api/", max_retries=1)
    with pytest.raises(ConnectorError, match="cannot reach Slack"):
        list(SlackApiConnector(client=client, workspace="T1").read(checkpoints={}))


def test_connector_basics_and_retry_handlers() -> None:
    client = WebClient(token=TOKEN, base_url="http://127.0.0.1:9/api/")
    connector = SlackApiConnector(client=client, workspace="T0820LGJGRF", max_retries=3)
    assert isinstance(connector, Connector)
    assert connector.kind == "slack"
    assert connector.location == "slack:T0820LGJGRF"
    rate = [h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)]
    conn = [h for h in client.retry_handlers if isinstance(h, ConnectionErrorRetryHandler)]
    assert len(rate) == 1 and rate[0].max_retry_count == 3
    # slack_sdk's default connection handler (one retry, not on timeouts) is replaced by a bounded one
    assert len(conn) == 1 and conn[0].max_retry_count == 3 and TimeoutError in conn[0].error_types_to_do_retries
    made = make_slack_client(token=TOKEN, max_retries=2)
    assert made.base_url == "https://slack.com/api/"
    assert {type(h) for h in made.retry_handlers} == {
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
        ConnectionErrorRetryHandler,
    }
    with pytest.raises(ConnectorError, match="workspace"):
        SlackApiConnector(client=client, workspace=" ")
