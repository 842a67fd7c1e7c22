"""Local servers for agent tests: static files over HTTP and a small Slack Web API, both on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "agents"
SLACK_TOKEN = "xoxb-test-agents"
Response = tuple[dict[str, str], str]


def gmail_answer(name: str) -> Response:
    """A recorded Gmail API answer from the fixtures."""
    body = (FIXTURES / "gmail" / f"{name}.json").read_text()
    return {"status": "200", "content-type": "application/json; charset=UTF-8"}, body


def gmail_service(answers: list[Response]) -> tuple[Any, HttpMockSequence]:
    """A real googleapiclient Gmail resource over recorded answers (no network)."""
    http = HttpMockSequence(answers)
    return build("gmail", "v1", http=http, static_discovery=True), http


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve a folder's files on an ephemeral port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SlackState:
    """Messages posted to the local Slack, per channel, as Slack stores them."""

    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def answer(self, method: str, params: dict[str, str], authorization: str) -> dict[str, Any]:
        with self.lock:
            self.calls.append((method, params))
            if authorization != f"Bearer {SLACK_TOKEN}":
                return {"ok": False, "error": "invalid_auth"}
            channel = params.get("channel", "")
            if method == "chat.postMessage":
                if not channel.startswith("C"):
                    return {"ok": False, "error": "channel_not_found"}
                ts = f"{1789000000 + len(self.calls)}.{len(self.calls):06d}"
                message = {"type": "message", "user": "U0TELLGRAPH", "text": params.get("text", ""), "ts": ts}
                if params.get("metadata"):
                    message["metadata"] = json.loads(params["metadata"])
                self.messages.setdefault(channel, []).append(message)
                return {"ok": True, "channel": channel, "ts": ts, "message": message}
            if method == "conversations.history":
                found = list(reversed(self.messages.get(channel, [])))
                if params.get("include_all_metadata") not in ("1", "true", "True"):
                    found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
                return {"ok": True, "messages": found, "has_more": False, "response_metadata": {"next_cursor": ""}}
            return {"ok": False, "error": "unknown_method"}

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)


@contextmanager
def slack_server() -> Iterator[SlackState]:
    """A Slack Web API on 127.0.0.1 answering chat.postMessage and conversations.history."""
    state = SlackState()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, body: bytes) -> None:
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            content_type = self.headers.get("Content-Type", "")
            if "json" in content_type and body:
                params.update(
                    {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in json.loads(body).items()}
                )
            else:
                params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
            payload = json.dumps(
                state.answer(url.path.removeprefix("/api/"), params, self.headers.get("Authorization", ""))
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def do_GET(self) -> None:
            self._serve(b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        state.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/"
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        time.sleep(0)
