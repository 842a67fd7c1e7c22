"""A Gmail mailbox through the Gmail API, as e-mail activities.

Messages are fetched in ``format=raw`` and parsed by the shared RFC 822 parser
(:func:`tellgraph.extractors.mail.parse_message`), so a mail read from Gmail gets
the same content key, participants and thread key as the same mail read from a
maildir or an mbox export.

Sync follows Google's guide: a full sync lists message ids (``users.messages.list``)
and remembers the mailbox's ``historyId`` taken *before* listing; later runs ask
``users.history.list`` for what was added since. A ``historyId`` Gmail no longer
knows (HTTP 404, typically after about a week) means a full sync again.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import stat
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tellgraph.errors import ConfigError, ConnectorError
from tellgraph.extractors.mail import parse_message
from tellgraph.schema.model import Activity
from tellgraph.schema.records import CheckpointMark, Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

logger = logging.getLogger(__name__)

KIND = "gmail"
HISTORY_STREAM = "history"
"""The one checkpoint stream: its cursor is the mailbox ``historyId`` everything up to which was yielded."""

GMAIL_SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.compose",
)
"""Read mail; ``compose`` lets the agents create drafts (never send) for a person to approve."""

DEFAULT_MAX_RETRIES = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_SKIPPED_LABELS = {"DRAFT": "draft (never sent)", "SPAM": "spam", "TRASH": "in trash"}
_PAGE_SIZE = 500  # the largest page users.messages.list and users.history.list allow


class GmailConnector:
    """Reads one Gmail mailbox into e-mail activities, fully once and incrementally after.

    Checkpoints: stream ``history`` whose cursor is a mailbox ``historyId``. It is
    yielded only after every message up to it has been yielded, so an interrupted
    run starts that sync again (its messages dedupe by content key).

    Drafts, spam and trash are reported as :class:`Rejected`. ``query`` uses Gmail's
    search syntax; on an incremental run the messages added since the cursor are
    kept only if they match it (one ``messages.list`` of the matching ids).

    Retries: HTTP 429, 5xx and Gmail's ``rateLimitExceeded`` 403s, and connection
    errors, are retried with exponential backoff (1, 2, 4... seconds, at most 60,
    or ``Retry-After`` when longer) up to ``max_retries`` times; then the run stops
    with a :class:`~tellgraph.errors.ConnectorError`.

    Args:
        service: a ``googleapiclient`` Gmail v1 resource (see :func:`build_gmail_service`).
        user_id: the mailbox (``"me"`` is the authorised user).
        label_ids: only messages carrying all these labels (``["INBOX"]``).
        query: only messages matching this Gmail search (``"from:alice newer_than:1y"``).
        account: a stable name for the mailbox (its address) used in :attr:`location`;
            defaults to ``user_id``. Set it when ``user_id`` is ``"me"`` and several
            accounts are ingested, so their checkpoints never mix.
        max_retries: retries per request before giving up.
        sleep: how to wait between retries (tests pass a recorder).
    """

    kind = KIND

    def __init__(
        self,
        *,
        service: Any,
        user_id: str = "me",
        label_ids: list[str] | None = None,
        query: str | None = None,
        account: str | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._service = service
        self._user_id = user_id
        self._label_ids = [label for label in label_ids or [] if label]
        self._query = query.strip() if query and query.strip() else None
        self._account = account or user_id
        self._max_retries = max_retries
        self._sleep = sleep
        self.stats: Counter[str] = Counter()
        """What the last :meth:`read` did: listed, activities, skipped (drafts/spam/trash), rejected."""

    @property
    def location(self) -> str:
        """``gmail:<account>`` (an address or ``me``; never a credential)."""
        return f"gmail:{self._account}"

    # -- requests ------------------------------------------------------------------------

    def _execute(self, what: str, request: Any) -> dict[str, Any]:
        """Run one API request with bounded retries; give up with a clear ConnectorError."""
        from google.auth.exceptions import TransportError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error  # type: ignore[import-untyped]

        attempt = 0
        while True:
            try:
                result = request.execute()
            except HttpError as exc:
                status = int(exc.resp.status)
                if not _retryable(status, exc.content):
                    raise
                problem = f"HTTP {status}"
                retry_after = _retry_after(exc.resp)
            except (HttpLib2Error, TransportError, OSError) as exc:
                problem = f"connection error ({type(exc).__name__})"
                retry_after = None
            else:
                return result if isinstance(result, dict) else {}
            if attempt >= self._max_retries:
                raise ConnectorError(KIND, f"{what} still failing with {problem} after {self._max_retries} retries")
            delay = max(min(2.0**attempt, 60.0), retry_after or 0.0)
            logger.warning("gmail %s: %s; retrying in %.0f s", what, problem, delay)
            self._sleep(delay)
            attempt += 1

    def _users(self) -> Any:
        return self._service.users()

    # -- reading -------------------------------------------------------------------------

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield the mailbox's messages: all of them, or those added since the stored ``historyId``."""
        from google.auth.exceptions import RefreshError
        from googleapiclient.errors import HttpError

        self.stats = Counter()
        cursor = checkpoints.get(HISTORY_STREAM)
        try:
            if cursor:
                yield from self._incremental(cursor)
            else:
                yield from self._full()
        except HttpError as exc:
            raise ConnectorError(KIND, f"Gmail refused the request: HTTP {exc.resp.status} {exc.reason}") from exc
        except RefreshError as exc:
            raise ConnectorError(KIND, "the Gmail token was revoked or has expired; sign in again") from exc
        finally:
            logger.info(
                "gmail %s: %d messages listed, %d activities, %d drafts/spam/trash skipped, %d rejected",
                self._account,
                self.stats["listed"],
                self.stats["activities"],
                self.stats["skipped"],
                self.stats["rejected"],
            )

    def _full(self) -> Iterator[SourceRecord]:
        # The historyId comes first: whatever changes while we list is caught by the next run.
        profile = self._execute("users.getProfile", self._users().getProfile(userId=self._user_id))
        start = str(profile.get("historyId") or "")
        if not start:
            raise ConnectorError(KIND, "users.getProfile did not return a historyId")
        logger.info("gmail %s: full sync from historyId %s", self._account, start)
        seen: set[str] = set()
        for message_id in self._list_ids(query=self._query):
            if message_id not in seen:
                seen.add(message_id)
                yield from self._fetch(message_id)
        yield CheckpointMark(stream=HISTORY_STREAM, cursor=start)

    def _list_ids(self, *, query: str | None) -> Iterator[str]:
        params: dict[str, Any] = {"userId": self._user_id, "maxResults": _PAGE_SIZE}
        if self._label_ids:
            params["labelIds"] = self._label_ids
        if query:
            params["q"] = query
        tokens: set[str] = set()
        while True:
            page = self._execute("users.messages.list", self._users().messages().list(**params))
            for ref in _dicts(page.get("messages")):
                if isinstance(ref.get("id"), str):
                    yield ref["id"]
            token = page.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return
            if token in tokens:
                raise ConnectorError(KIND, "users.messages.list returned a repeated page token")
            tokens.add(token)
            params["pageToken"] = token

    def _incremental(self, cursor: str) -> Iterator[SourceRecord]:
        from googleapiclient.errors import HttpError

        try:
            added, newest = self._history(cursor)
        except HttpError as exc:
            if int(exc.resp.status) != 404:
                raise
            logger.warning("gmail %s: historyId %s has expired; doing a full sync", self._account, cursor)
            yield from self._full()
            return
        if self._query and added:
            matching = set(self._list_ids(query=self._query))
            added = [message_id for message_id in added if message_id in matching]
        logger.info("gmail %s: %d messages added since historyId %s", self._account, len(added), cursor)
        for message_id in added:
            yield from self._fetch(message_id)
        if newest != cursor:
            yield CheckpointMark(stream=HISTORY_STREAM, cursor=newest)

    def _history(self, cursor: str) -> tuple[list[str], str]:
        """Ids of messages added since ``cursor`` (all pages read first), and the newest historyId."""
        params: dict[str, Any] = {
            "userId": self._user_id,
            "startHistoryId": cursor,
            "historyTypes": ["messageAdded"],
            "maxResults": _PAGE_SIZE,
        }
        if len(self._label_ids) == 1:
            params["labelId"] = self._label_ids[0]
        added: dict[str, None] = {}
        newest = cursor
        tokens: set[str] = set()
        while True:
            page = self._execute("users.history.list", self._users().history().list(**params))
            if isinstance(page.get("historyId"), str | int):
                newest = _newer(newest, str(page["historyId"]))
            for record in _dicts(page.get("history")):
                for entry in _dicts(record.get("messagesAdded")):
                    message = entry.get("message")
                    if isinstance(message, dict) and isinstance(message.get("id"), str):
                        if self._wanted(message):
                            added[message["id"]] = None
                        else:
                            self.stats["skipped"] += 1
            token = page.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return list(added), newest
            if token in tokens:
                raise ConnectorError(KIND, "users.history.list returned a repeated page token")
            tokens.add(token)
            params["pageToken"] = token

    def _wanted(self, message: Mapping[str, Any]) -> bool:
        listed = message.get("labelIds")
        labels = {str(label) for label in listed} if isinstance(listed, list) else set()
        if labels & _SKIPPED_LABELS.keys():
            return False
        return all(label in labels for label in self._label_ids)

    def _fetch(self, message_id: str) -> Iterator[SourceRecord]:
        from googleapiclient.errors import HttpError

        self.stats["listed"] += 1
        request = self._users().messages().get(userId=self._user_id, id=message_id, format="raw")
        try:
            message = self._execute("users.messages.get", request)
        except HttpError as exc:
            status = int(exc.resp.status)
            if status in {401, 403}:
                raise
            reason = "deleted before it could be read" if status == 404 else f"Gmail answered HTTP {status}"
            yield self._reject(message_id, reason)
            return
        listed = message.get("labelIds")
        labels = [str(label) for label in listed] if isinstance(listed, list) else []
        for label, why in _SKIPPED_LABELS.items():
            if label in labels:
                self.stats["skipped"] += 1
                yield Rejected(source=KIND, source_key=message_id, reason=why)
                return
        raw_text = message.get("raw")
        if not isinstance(raw_text, str) or not raw_text:
            yield self._reject(message_id, "no raw content in the answer")
            return
        try:
            raw = base64.urlsafe_b64decode(raw_text + "=" * (-len(raw_text) % 4))
        except (binascii.Error, ValueError):
            yield self._reject(message_id, "raw content is not base64url")
            return
        record = parse_message(raw, source=KIND, source_key=message_id)
        if isinstance(record, Rejected):
            self.stats["rejected"] += 1
            yield record
            return
        metadata = dict(record.metadata)
        metadata["gmail_id"] = message_id
        if isinstance(message.get("threadId"), str):
            metadata["gmail_thread_id"] = message["threadId"]
        if labels:
            metadata["gmail_labels"] = ",".join(labels)
        self.stats["activities"] += 1
        yield Activity.model_validate({**record.model_dump(), "metadata": metadata})

    def _reject(self, message_id: str, reason: str) -> Rejected:
        self.stats["rejected"] += 1
        return Rejected(source=KIND, source_key=message_id, reason=reason)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _newer(current: str, candidate: str) -> str:
    """The larger of two historyIds (decimal strings of 64-bit integers)."""
    try:
        return candidate if int(candidate) > int(current) else current
    except ValueError:
        return current


def _retryable(status: int, content: bytes) -> bool:
    if status in RETRY_STATUSES:
        return True
    if status != 403:
        return False
    # Gmail reports some quota errors as 403 with a rate-limit reason.
    try:
        errors = json.loads(content.decode("utf-8"))["error"]["errors"]
        return any(e.get("reason") in _RATE_LIMIT_REASONS for e in errors)
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def _retry_after(resp: Any) -> float | None:
    value = resp.get("retry-after") if hasattr(resp, "get") else None
    try:
        return min(float(value), 300.0) if value is not None else None
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- OAuth


def _check_token_file(token_file: Path) -> None:
    """Refuse a token file that other users could read or replace."""
    info = token_file.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise ConfigError("gmail token file", f"{token_file} is not a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigError("gmail token file", f"{token_file} belongs to another user")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigError(
            "gmail token file",
            f"{token_file} is accessible by other users (mode {mode:04o}); run `chmod 600 {token_file}`",
        )


def save_token(token_file: Path, token_json: str) -> None:
    """Write the OAuth token atomically, readable by the owner only (0600) from the first byte."""
    token_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp_name = tempfile.mkstemp(prefix=".token-", dir=token_file.parent)  # mkstemp creates it 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token_json)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(0o600)
        tmp.replace(token_file)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _load_token(token_file: Path) -> Any:
    from google.oauth2.credentials import Credentials

    if not token_file.exists() and not token_file.is_symlink():
        return None
    _check_token_file(token_file)
    try:
        return Credentials.from_authorized_user_file(  # type: ignore[no-untyped-call]
            str(token_file), list(GMAIL_SCOPES)
        )
    except (ValueError, KeyError, OSError) as exc:
        # The message names the problem only: the file holds secrets.
        raise ConfigError(
            "gmail token file",
            f"{token_file} is not a usable token ({type(exc).__name__}); delete it to sign in again",
        ) from exc


def build_gmail_service(*, credentials_file: Path, token_file: Path) -> Any:
    """A Gmail v1 API resource for the signed-in user, signing in in the browser when needed.

    The OAuth client (a "Desktop app" client JSON from the Google Cloud console) is
    read from ``credentials_file``; the user's token is cached in ``token_file``
    with mode 0600 and refreshed when it expires. A token file that other users can
    read is refused. Scopes: :data:`GMAIL_SCOPES`. Nothing secret is logged.

    Raises:
        ConfigError: the client file is missing or the token file is unsafe or unusable.
    """
    from google.auth.exceptions import RefreshError, TransportError
    from google.auth.transport.requests import Request
    from google_auth_oauthlib.flow import InstalledAppFlow
    from googleapiclient.discovery import build

    credentials = _load_token(token_file)
    if credentials is not None and not credentials.has_scopes(list(GMAIL_SCOPES)):
        logger.info("gmail token lacks the needed scopes; signing in again")
        credentials = None
    if credentials is not None and not credentials.valid and credentials.refresh_token:
        try:
            credentials.refresh(Request())
            save_token(token_file, credentials.to_json())
            logger.info("gmail token refreshed and saved to %s", token_file)
        except RefreshError:
            logger.warning("gmail token could not be refreshed (revoked or expired); signing in again")
            credentials = None
        except TransportError as exc:
            raise ConnectorError(KIND, f"cannot reach Google to refresh the token: {type(exc).__name__}") from exc
    if credentials is None or not credentials.valid:
        if not credentials_file.is_file():
            raise ConfigError(
                "gmail credentials file",
                f"{credentials_file} not found; download an OAuth client of type 'Desktop app' "
                "from the Google Cloud console",
            )
        flow = InstalledAppFlow.from_client_secrets_file(str(credentials_file), scopes=list(GMAIL_SCOPES))
        # A loopback redirect on an ephemeral port: the browser hands the code back to us.
        credentials = flow.run_local_server(
            host="localhost", bind_addr="127.0.0.1", port=0, open_browser=True, timeout_seconds=600
        )
        save_token(token_file, credentials.to_json())
        logger.info("gmail sign-in complete; token saved to %s", token_file)
    return build("gmail", "v1", credentials=credentials, cache_discovery=False, static_discovery=True)
