"""Secrets never reach a log: API tokens, the Neo4j password, the body key, OAuth tokens, message bodies.

Every part runs at debug level and everything it prints is searched:

* ``tellgraph -v ingest maildir`` with raw bodies stored encrypted (stdout and stderr);
* ``tellgraph -v serve`` with tokens, answering right and wrong tokens, GET and POST,
  errors and erasure (the server's whole output, access log included);
* ``tellgraph -v ingest slack`` against a local Slack Web API with a bot token (CLI output and
  every log record, the Slack SDK's included);
* the Gmail connector's sign-in from a saved token file and a sync over recorded answers
  (every log record).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from typer.testing import CliRunner

from tellgraph.cli import app
from tellgraph.extractors.gmail import GmailConnector, build_gmail_service
from tellgraph.graph.factory import open_store
from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.crypto import BodyCipher
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel
from tellgraph.settings import Settings, get_settings
from tests.integration.api_server import free_port
from tests.stores import open_neo4j
from tests.unit.extractors import test_slack_api
from tests.unit.extractors.test_gmail import Recorded, _full_sync, _service

TAG = uuid.uuid4().hex[:12]
BODY = f"confidential-body-text-{TAG}"
VIEWER = f"viewer-secret-token-{TAG}"
ADMIN = f"admin-secret-token-{TAG}"
WRONG = f"wrong-secret-token-{TAG}"
BODY_KEY = Fernet.generate_key().decode()
NOISY = ("neo4j", "httpx", "httpcore", "urllib3", "googleapiclient", "google", "slack_sdk", "uvicorn", "tellgraph")


def _assert_clean(text: str, *secrets: str) -> None:
    assert text.strip(), "nothing was logged: the check would prove nothing"
    for secret in secrets:
        assert secret not in text, (
            f"{secret[:12]}... appears in the log:\n" + text[max(0, text.find(secret) - 300) :][:600]
        )


def _maildir(root: Path, count: int = 3) -> Path:
    (root / "cur").mkdir(parents=True)
    for i in range(count):
        (root / "cur" / f"{i}.msg").write_text(
            f"From: Ann Example <ann-{TAG}@example.org>\nTo: bob-{TAG}@example.org\n"
            f"Date: Mon, 0{i + 1} Jun 2024 10:00:00 +0000\nSubject: Quarterly numbers {i}\n\n"
            f"Hi Bob,\n{BODY} number {i}.\nRegards, Ann\n",
            encoding="utf-8",
        )
    return root


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, including the libraries the CLI quietens."""
    levels = {name: logging.getLogger(name).level for name in NOISY}
    caplog.set_level(logging.DEBUG)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield caplog
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TELLGRAPH_STORE": "neo4j",
        "TELLGRAPH_DATA_DIR": str(tmp_path / "data"),
        "TELLGRAPH_STORE_RAW_BODIES": "true",
        "TELLGRAPH_BODY_KEY": BODY_KEY,
        "TELLGRAPH_API_TOKENS": f"{VIEWER}:viewer,{ADMIN}:admin",
        **extra,
    }


def test_ingest_with_encrypted_bodies_logs_no_secret(tmp_path: Path) -> None:
    open_neo4j().close()  # clean database, schema applied
    password = Settings().neo4j_password.get_secret_value()
    done = subprocess.run(
        [sys.executable, "-m", "tellgraph.cli", "-v", "ingest", "maildir", str(_maildir(tmp_path / "mail")), "--json"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["new"] == 3
    _assert_clean(done.stdout + done.stderr, BODY, BODY_KEY, password, VIEWER, ADMIN)
    # The bodies were stored, encrypted with that key.
    store = open_store(settings=Settings())
    try:
        comms = store.list_nodes(label=NodeLabel.COMMUNICATION, limit=10)
    finally:
        store.close()
    cipher = BodyCipher(key=BODY_KEY)
    assert len(comms) == 3
    assert all(BODY in cipher.decrypt(str(c.props["body_encrypted"])) for c in comms)
    assert all(BODY not in str(c.props["body_encrypted"]) for c in comms)


def test_the_api_logs_no_token_body_or_query_text(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    password = Settings().neo4j_password.get_secret_value()
    with log.open("w") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tellgraph.cli", "-v", "serve", "--port", str(port)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=_env(tmp_path),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(log.read_text()[-2000:])
        for token in (VIEWER, ADMIN, WRONG, None):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            variables = {"e": f"{BODY}@example.org"}
            query = "query($e: String) { person(email: $e) { name } }"
            httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30)
            httpx.get(
                f"{url}/graphql",
                params={"query": query, "variables": json.dumps(variables)},
                headers=headers,
                timeout=30,
            )
            httpx.post(
                f"{url}/graphql",
                json={"query": f'mutation {{ forgetPerson(id: "{BODY}") {{ __typename }} }}'},
                headers=headers,
                timeout=30,
            )
            httpx.post(f"{url}/graphql", json={"query": f"{{ {BODY} }}"}, headers=headers, timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text()
    assert "POST /graphql" in text  # the access log is on, and was searched
    _assert_clean(text, VIEWER, ADMIN, WRONG, BODY, BODY_KEY, password)


def test_slack_ingest_logs_no_bot_token(
    tmp_path: Path,
    shared_data: Path,
    fixtures_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    token = f"xoxb-secret-{TAG}"
    monkeypatch.setattr(test_slack_api, "TOKEN", token)
    export = shared_data / "slack-export-sample" / test_slack_api.OLAKE
    for api in test_slack_api._serve(export, fixtures_dir / "slack_api"):
        monkeypatch.setenv("TELLGRAPH_STORE", "memory")
        monkeypatch.setenv("TELLGRAPH_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("TELLGRAPH_SLACK_TOKEN", token)
        monkeypatch.setenv("TELLGRAPH_SLACK_BASE_URL", api.base_url)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(
                app, ["-v", "ingest", "slack", "--workspace", api.auth["team_id"], "--json", "--no-nlp"]
            )
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["new"] > 0
        records = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in debug_logs.records)
        _assert_clean(result.output + records, token)


def test_gmail_sign_in_and_sync_log_no_oauth_secret(
    tmp_path: Path, fixtures_dir: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    secrets = {
        "token": f"ya29.access-{TAG}",
        "refresh_token": f"1//refresh-{TAG}",
        "client_secret": f"GOCSPX-client-secret-{TAG}",
    }
    token_file = tmp_path / "gmail-token.json"
    token_file.write_text(
        json.dumps(
            {
                **secrets,
                "client_id": "1234.apps.googleusercontent.com",
                "token_uri": "https://oauth2.googleapis.com/token",
                "scopes": [
                    "https://www.googleapis.com/auth/gmail.readonly",
                    "https://www.googleapis.com/auth/gmail.compose",
                ],
                "expiry": "2099-01-01T00:00:00Z",
            }
        )
    )
    token_file.chmod(0o600)
    service = build_gmail_service(credentials_file=tmp_path / "client.json", token_file=token_file)
    assert service is not None
    recorded, _ = _service(_full_sync(Recorded(fixtures_dir / "gmail")))
    settings = Settings(data_dir=tmp_path, store_raw_bodies=True, body_key=SecretStr(BODY_KEY))
    store = MemoryStore()
    summary = IngestRun(store=store, connector=GmailConnector(service=recorded), settings=settings).run()
    assert summary.new > 0
    records = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in debug_logs.records)
    _assert_clean(records, *secrets.values(), BODY_KEY)
