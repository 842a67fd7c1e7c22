"""GmailConnector with a real googleapiclient Gmail resource over recorded HTTP answers."""

from __future__ import annotations

import base64
import json
import logging
import stat
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence

from tellgraph.errors import ConfigError, ConnectorError
from tellgraph.extractors.base import Connector
from tellgraph.extractors.gmail import GMAIL_SCOPES, GmailConnector, build_gmail_service, save_token
from tellgraph.extractors.mail import parse_message
from tellgraph.schema.model import Activity, Channel, Role
from tellgraph.schema.records import CheckpointMark, Rejected, SourceRecord

if TYPE_CHECKING:
    from pathlib import Path

T = TypeVar("T")
Response = tuple[dict[str, str], str]

PLAIN = "151e0bf2c42e466a"
ALTERNATIVE = "151e0bfaf2fff98c"
WITH_JPEGS = "151e0c038fd6b3b0"
DRAFT = "1528457ea4ca6803"
TEXT_ATTACHMENT = "156576c760d1abcd"
PROFILE_HISTORY_ID = "2163530"


@pytest.fixture(scope="module")
def gmail_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "gmail"


def _of(records: list[SourceRecord], kind: type[T]) -> list[T]:
    return [r for r in records if isinstance(r, kind)]


class Recorded:
    """Recorded Gmail API answers, by fixture name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def ok(self, name: str) -> Response:
        return {"status": "200", "content-type": "application/json; charset=UTF-8"}, (
            self.folder / f"{name}.json"
        ).read_text()

    def raw(self, message_id: str) -> Response:
        return self.ok(f"raw.{message_id}")

    def error(self, status: int, **headers: str) -> Response:
        return {"status": str(status), "content-type": "application/json; charset=UTF-8", **headers}, (
            self.folder / f"error.{status}.json"
        ).read_text()


@pytest.fixture
def rec(gmail_dir: Path) -> Recorded:
    return Recorded(gmail_dir)


def _service(responses: list[Response]) -> tuple[Any, HttpMockSequence]:
    http = HttpMockSequence(responses)
    return build("gmail", "v1", http=http, static_discovery=True), http


def _read(
    responses: list[Response], checkpoints: dict[str, str] | None = None, **kwargs: Any
) -> tuple[list[SourceRecord], HttpMockSequence, list[float]]:
    service, http = _service(responses)
    sleeps: list[float] = []
    connector = GmailConnector(service=service, sleep=sleeps.append, **kwargs)
    records = list(connector.read(checkpoints=checkpoints or {}))
    return records, http, sleeps


def _uris(http: HttpMockSequence) -> list[str]:
    return [str(request[0]) for request in http.request_sequence]


def _full_sync(rec: Recorded) -> list[Response]:
    return [
        rec.ok("profile"),
        rec.ok("list.page1"),
        rec.raw(TEXT_ATTACHMENT),
        rec.raw(DRAFT),
        rec.raw(WITH_JPEGS),
        rec.ok("list.page2"),
        rec.raw(ALTERNATIVE),
        rec.raw(PLAIN),
    ]


def test_is_a_connector() -> None:
    service, _ = _service([])
    connector = GmailConnector(service=service)
    assert isinstance(connector, Connector)
    assert connector.kind == "gmail"
    assert connector.location == "gmail:me"
    assert GmailConnector(service=service, account="ann@example.com").location == "gmail:ann@example.com"


def test_full_sync_over_two_pages(rec: Recorded, gmail_dir: Path) -> None:
    records, http, sleeps = _read(_full_sync(rec))
    activities = _of(records, Activity)
    assert [a.source_key for a in activities] == [TEXT_ATTACHMENT, WITH_JPEGS, ALTERNATIVE, PLAIN]
    assert [(r.source_key, r.reason) for r in _of(records, Rejected)] == [(DRAFT, "draft (never sent)")]
    # The checkpoint is the historyId read before listing, and it comes last.
    assert records[-1] == CheckpointMark(stream="history", cursor=PROFILE_HISTORY_ID)
    assert len(_of(records, CheckpointMark)) == 1
    assert sleeps == []

    uris = _uris(http)
    assert uris[0].startswith("https://gmail.googleapis.com/gmail/v1/users/me/profile")
    assert "/users/me/messages?" in uris[1] and "pageToken" not in uris[1]
    assert "pageToken=06417384739476271846" in uris[5]
    assert f"/users/me/messages/{PLAIN}?format=raw" in uris[7]

    plain = activities[-1]
    assert plain.channel is Channel.EMAIL
    assert plain.source == "gmail"
    assert plain.subject == "Subject Text"
    assert plain.text == "The actual message text goes here"
    assert [(p.role, p.email) for p in plain.participants] == [
        (Role.FROM, "example@gmail.com"),
        (Role.TO, "example@gmail.com"),
    ]
    assert plain.metadata["gmail_id"] == PLAIN
    assert plain.metadata["gmail_thread_id"] == PLAIN
    assert plain.metadata["gmail_labels"] == "SENT,INBOX"
    assert activities[1].attachments == ["a3Ln90e_460s.jpg", "feelthebern.jpg"]

    # The same bytes from a maildir or an mbox give the same communication.
    raw_answer = json.loads((gmail_dir / f"raw.{PLAIN}.json").read_text())
    raw = base64.urlsafe_b64decode(raw_answer["raw"])
    from_file = parse_message(raw, source="maildir", source_key="cur/1")
    assert isinstance(from_file, Activity)
    assert plain.key == from_file.key
    assert plain.thread_key == from_file.thread_key

    # The rebuilt raw message says what the captured format=full answer says.
    full = json.loads((gmail_dir / "plainTextMessage.json").read_text())
    assert base64.urlsafe_b64decode(full["payload"]["body"]["data"]).decode() == plain.text


def test_incremental_sync_reads_only_what_history_added(rec: Recorded) -> None:
    responses = [
        rec.ok("history.page1"),
        rec.ok("history.page2"),
        rec.raw(WITH_JPEGS),
        rec.raw(TEXT_ATTACHMENT),
    ]
    records, http, _ = _read(responses, {"history": "694300"})
    # The draft added in between is skipped by its label without being fetched.
    assert [a.source_key for a in _of(records, Activity)] == [WITH_JPEGS, TEXT_ATTACHMENT]
    assert records[-1] == CheckpointMark(stream="history", cursor=PROFILE_HISTORY_ID)
    uris = _uris(http)
    assert "/users/me/history?" in uris[0]
    assert "startHistoryId=694300" in uris[0] and "historyTypes=messageAdded" in uris[0]
    assert "pageToken=00695231487264539018" in uris[1]
    assert len(uris) == 4


def test_incremental_sync_with_nothing_new_yields_nothing(rec: Recorded) -> None:
    records, http, _ = _read([rec.ok("history.empty")], {"history": PROFILE_HISTORY_ID})
    assert records == []
    assert len(http.request_sequence) == 1


def test_a_server_error_is_retried_with_backoff(rec: Recorded) -> None:
    responses = [
        rec.error(500),
        rec.ok("profile"),
        rec.ok("list.page2"),
        rec.error(503),
        rec.error(500),
        rec.raw(ALTERNATIVE),
        rec.raw(PLAIN),
    ]
    records, http, sleeps = _read(responses)
    assert [a.source_key for a in _of(records, Activity)] == [ALTERNATIVE, PLAIN]
    assert sleeps == [1.0, 1.0, 2.0]  # each request backs off on its own: 1 s, then 1 s and 2 s
    assert len(http.request_sequence) == 7


def test_retry_after_is_honoured_when_longer(rec: Recorded) -> None:
    responses = [rec.error(429, **{"retry-after": "7"}), *_full_sync(rec)]
    _, _, sleeps = _read(responses)
    assert sleeps == [7.0]


def test_an_expired_history_id_falls_back_to_a_full_sync(rec: Recorded, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tellgraph.extractors.gmail"):
        records, http, _ = _read([rec.error(404), *_full_sync(rec)], {"history": "1000"})
    assert "historyId 1000 has expired" in caplog.text
    assert len(_of(records, Activity)) == 4
    assert records[-1] == CheckpointMark(stream="history", cursor=PROFILE_HISTORY_ID)
    assert "startHistoryId=1000" in _uris(http)[0]


def test_a_rate_limit_beyond_the_retry_limit_is_a_connector_error(rec: Recorded) -> None:
    responses = [rec.error(429), rec.error(429), rec.error(429)]
    service, http = _service(responses)
    sleeps: list[float] = []
    connector = GmailConnector(service=service, max_retries=2, sleep=sleeps.append)
    with pytest.raises(ConnectorError, match=r"users\.getProfile still failing with HTTP 429 after 2 retries"):
        list(connector.read(checkpoints={}))
    assert sleeps == [1.0, 2.0]
    assert len(http.request_sequence) == 3


def test_the_checkpoint_never_passes_what_was_yielded(rec: Recorded) -> None:
    # The run dies on the third message: everything before it was yielded, but no checkpoint.
    responses = [
        rec.ok("profile"),
        rec.ok("list.page1"),
        rec.raw(TEXT_ATTACHMENT),
        rec.raw(DRAFT),
        rec.error(429),
        rec.error(429),
    ]
    service, _ = _service(responses)
    connector = GmailConnector(service=service, max_retries=1, sleep=lambda _: None)
    seen: list[SourceRecord] = []
    with pytest.raises(ConnectorError):
        for record in connector.read(checkpoints={}):
            seen.append(record)
    assert [type(r).__name__ for r in seen] == ["Activity", "Rejected"]


def test_a_refused_token_is_a_connector_error(gmail_dir: Path) -> None:
    unauthorised = (
        {"status": "401"},
        json.dumps({"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}}),
    )
    with pytest.raises(ConnectorError, match="HTTP 401 Invalid Credentials"):
        _read([unauthorised])


def test_a_message_deleted_meanwhile_is_rejected(rec: Recorded) -> None:
    responses = [rec.ok("profile"), rec.ok("list.page2"), rec.error(404), rec.raw(PLAIN)]
    records, _, _ = _read(responses)
    assert [(r.source_key, r.reason) for r in _of(records, Rejected)] == [
        (ALTERNATIVE, "deleted before it could be read")
    ]
    assert [a.source_key for a in _of(records, Activity)] == [PLAIN]


def test_labels_and_query_filter_full_and_incremental_syncs(rec: Recorded) -> None:
    records, http, _ = _read(
        [rec.ok("profile"), rec.ok("list.page2"), rec.raw(ALTERNATIVE), rec.raw(PLAIN)],
        label_ids=["INBOX"],
        query="from:example@gmail.com",
    )
    assert "labelIds=INBOX" in _uris(http)[1] and "q=from%3Aexample%40gmail.com" in _uris(http)[1]
    assert len(_of(records, Activity)) == 2

    # Incremental: history names two new messages; only the one the query matches is fetched.
    query_matches = (
        {"status": "200"},
        json.dumps({"messages": [{"id": TEXT_ATTACHMENT, "threadId": "156576c760d1bcde"}], "resultSizeEstimate": 1}),
    )
    records, http, _ = _read(
        [rec.ok("history.page1"), rec.ok("history.page2"), query_matches, rec.raw(TEXT_ATTACHMENT)],
        {"history": "694300"},
        query="has:attachment filename:txt",
    )
    assert [a.source_key for a in _of(records, Activity)] == [TEXT_ATTACHMENT]
    assert "q=has%3Aattachment" in _uris(http)[2]


# --------------------------------------------------------------------------- OAuth


def _token_json(**overrides: Any) -> str:
    token = {
        "token": "ya29.test-access-token",
        "refresh_token": "1//test-refresh-token",
        "token_uri": "https://oauth2.googleapis.com/token",
        "client_id": "1234.apps.googleusercontent.com",
        "client_secret": "test-client-secret",
        "scopes": list(GMAIL_SCOPES),
        "expiry": "2999-01-01T00:00:00Z",
    }
    token.update(overrides)
    return json.dumps(token)


def test_save_token_writes_owner_only(tmp_path: Path) -> None:
    token_file = tmp_path / "secrets" / "gmail-token.json"
    save_token(token_file, _token_json())
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())["client_id"] == "1234.apps.googleusercontent.com"
    token_file.chmod(0o644)
    save_token(token_file, _token_json())  # overwriting tightens the mode again
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert [p.name for p in token_file.parent.iterdir()] == ["gmail-token.json"]


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token.json"
    token_file.write_text(_token_json())
    token_file.chmod(0o644)
    with pytest.raises(ConfigError, match=r"accessible by other users \(mode 0644\); run `chmod 600") as info:
        build_gmail_service(credentials_file=tmp_path / "client.json", token_file=token_file)
    assert "test-refresh-token" not in str(info.value)


def test_a_valid_cached_token_builds_the_service_without_signing_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "token.json"
    save_token(token_file, _token_json())

    def no_browser(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("must not sign in again")

    monkeypatch.setattr("google_auth_oauthlib.flow.InstalledAppFlow.from_client_secrets_file", no_browser)
    service = build_gmail_service(credentials_file=tmp_path / "client.json", token_file=token_file)
    request = service.users().messages().list(userId="me")
    assert request.uri.startswith("https://gmail.googleapis.com/gmail/v1/users/me/messages")


def test_an_unusable_token_file_is_a_config_error(tmp_path: Path) -> None:
    token_file = tmp_path / "token.json"
    save_token(token_file, "{not json")
    with pytest.raises(ConfigError, match="not a usable token"):
        build_gmail_service(credentials_file=tmp_path / "client.json", token_file=token_file)


def test_signing_in_needs_the_client_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"client\.json not found"):
        build_gmail_service(credentials_file=tmp_path / "client.json", token_file=tmp_path / "token.json")


def test_signing_in_saves_the_token_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from google.oauth2.credentials import Credentials

    client_file = tmp_path / "client.json"
    client_file.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "1234.apps.googleusercontent.com",
                    "client_secret": "test-client-secret",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": "https://oauth2.googleapis.com/token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    calls: dict[str, Any] = {}

    def run_local_server(self: Any, **kwargs: Any) -> Credentials:
        # The browser part of the flow cannot run here; everything around it does.
        calls["scopes"] = list(self.oauth2session.scope)
        calls["kwargs"] = kwargs
        return Credentials.from_authorized_user_info(json.loads(_token_json()), list(GMAIL_SCOPES))  # type: ignore[no-untyped-call,no-any-return]

    monkeypatch.setattr("google_auth_oauthlib.flow.InstalledAppFlow.run_local_server", run_local_server)
    token_file = tmp_path / "token.json"
    with caplog.at_level(logging.DEBUG):
        service = build_gmail_service(credentials_file=client_file, token_file=token_file)
    assert service.users() is not None
    assert calls["scopes"] == list(GMAIL_SCOPES)
    assert calls["kwargs"]["bind_addr"] == "127.0.0.1"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())["refresh_token"] == "1//test-refresh-token"
    assert "test-refresh-token" not in caplog.text and "test-client-secret" not in caplog.text
