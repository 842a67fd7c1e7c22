"""The live Slack Web API as contacts and chat activities.

Records have the same shapes, handles and keys as those of
:class:`~tellgraph.extractors.slack_export.SlackExportConnector`, so an export and the
live API of the same workspace collapse to the same communications.

Token scopes needed: ``users:read`` (``users:read.email`` for addresses),
``channels:read``/``channels:history`` and, for private conversations,
``groups:*``, ``im:*``, ``mpim:*``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from http.client import RemoteDisconnected
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlparse

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from tellgraph.errors import ConnectorError
from tellgraph.extractors.slack_export import (
    DEFAULT_MAX_AUDIENCE,
    SYSTEM_MESSAGE,
    USERS_STREAM,
    SlackChannel,
    SlackDirectory,
    SlackUser,
    message_to_record,
    normalise_ts,
    records_digest,
    ts_after,
    ts_sort_key,
    user_to_contact,
)
from tellgraph.schema.model import Activity
from tellgraph.schema.records import CheckpointMark, Rejected, SourceRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.response import HttpResponse
    from slack_sdk.http_retry.state import RetryState
    from slack_sdk.web import SlackResponse

logger = logging.getLogger(__name__)

KIND = "slack"

DEFAULT_MAX_RETRIES = 5
"""How often a rate-limited (429), failed (5xx), timed-out or dropped request is retried before giving up."""

SERVER_ERRORS = frozenset({500, 502, 503, 504})
"""Statuses that mean Slack (or a proxy before it) failed for now; worth retrying."""

_CONNECTION_ERRORS: list[type[Exception]] = [URLError, ConnectionResetError, RemoteDisconnected, TimeoutError]
"""slack_sdk retries the first three by default; a read timeout (TimeoutError) is just as transient."""

DEFAULT_PAGE_SIZE = 200
"""Slack recommends no more than 200 items per page."""

_FATAL_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "org_login_required",
        "ekm_access_denied",
        "invalid_arguments",
        "ratelimited",
    }
)
"""Slack error codes that make the whole run impossible, not just one channel."""

_CONVERSATION_TYPES = "public_channel,private_channel,mpim,im"


class ServerErrorRetryHandler(RetryHandler):
    """Retries HTTP 500, 502, 503 and 504 with exponential backoff (slack_sdk's own handler knows only 500 and 503)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in SERVER_ERRORS


def _ensure_retry_handlers(client: WebClient, *, max_retries: int) -> None:
    """Give ``client`` bounded retries on 429 (honouring Retry-After), 5xx, timeouts and dropped connections."""
    # slack_sdk gives every WebClient a ConnectionErrorRetryHandler that retries once and not on read
    # timeouts; ours replaces it.
    handlers = [
        h
        for h in client.retry_handlers or []
        if not (type(h) is ConnectionErrorRetryHandler and TimeoutError not in h.error_types_to_do_retries)
    ]
    if not any(isinstance(h, RateLimitErrorRetryHandler) for h in handlers):
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=max_retries))
    if not any(isinstance(h, ServerErrorRetryHandler) for h in handlers):
        handlers.append(ServerErrorRetryHandler(max_retry_count=max_retries))
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in handlers):
        handlers.append(ConnectionErrorRetryHandler(max_retry_count=max_retries, error_types=list(_CONNECTION_ERRORS)))
    client.retry_handlers = handlers


def make_slack_client(
    *, token: str, base_url: str | None = None, max_retries: int = DEFAULT_MAX_RETRIES, timeout: int = 30
) -> WebClient:
    """A ``WebClient`` with bounded retries on rate limits, server errors, timeouts and connection errors.

    Args:
        token: a bot or user token (``xoxb-...``/``xoxp-...``); it is never logged.
        base_url: the Web API root, ``https://slack.com/api/`` by default (tests point it at 127.0.0.1).
        max_retries: retries per call on 429 (waiting ``Retry-After``), on 5xx, timeouts and connection
            errors (waiting 0.5, 1, 2... seconds plus jitter).
        timeout: seconds per HTTP request.
    """
    kwargs: dict[str, Any] = {"token": token, "timeout": timeout}
    if base_url is not None:
        kwargs["base_url"] = base_url
    client = WebClient(**kwargs)
    _ensure_retry_handlers(client, max_retries=max_retries)
    return client


class _ChannelFailed(Exception):
    """One conversation cannot be read (not a member, gone, missing scope)."""

    def __init__(self, error: str) -> None:
        self.error = error
        super().__init__(error)


class SlackApiConnector:
    """Reads users and conversation history of one workspace through the Slack Web API.

    First the users (``users.list``) as contacts, then for every conversation
    (``conversations.list``, or only ``channels``) its history
    (``conversations.history``) and thread replies (``conversations.replies``),
    oldest first. Rate limits (``Retry-After``), server errors, timeouts and dropped
    connections are retried by the client, a bounded number of times; past that the
    run stops with :class:`ConnectorError`, and since a conversation's checkpoint is
    yielded only after all of its messages, nothing unread is ever marked as read.
    A conversation the token cannot read is reported as :class:`Rejected` and the
    others are still read.

    Checkpoints: one stream per conversation (its id) whose cursor is the newest
    ``ts`` yielded; a resumed run asks only for newer messages (``oldest=<cursor>``)
    and skips anything not newer. Known limit of the Web API: a new reply to a
    thread whose parent is older than the cursor is not listed by
    ``conversations.history`` and so is not picked up by an incremental run (unless
    it was also sent to the channel). Stream ``users`` holds a hash of the contacts.

    Args:
        client: a real ``slack_sdk.WebClient`` (see :func:`make_slack_client`); bounded
            retry handlers are added to it if it has none.
        workspace: the workspace's team id (``T...``), or its name or subdomain; records
            are always keyed by the team id that ``auth.test`` reports.
        channels: conversation ids or names (``general`` or ``#general``) to read; all by default.
        max_audience: channels with more members are broadcasts (members not listed as recipients).
        page_size: items per page requested from Slack.
        max_retries: retries added to a client that has no retry handlers.
    """

    kind = KIND

    def __init__(
        self,
        *,
        client: WebClient,
        workspace: str,
        channels: list[str] | None = None,
        max_audience: int = DEFAULT_MAX_AUDIENCE,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        if not workspace.strip():
            raise ConnectorError(KIND, "a workspace (team id or name) is required")
        self._client = client
        self._workspace = workspace.strip()
        self._channels = [c.strip().lstrip("#") for c in channels or [] if c.strip()]
        self._max_audience = max_audience
        self._page_size = page_size
        self._max_retries = max_retries
        _ensure_retry_handlers(client, max_retries=max_retries)
        self.stats: Counter[str] = Counter()
        """What the last :meth:`read` did: users, activities, system messages, rejected."""

    @property
    def location(self) -> str:
        """``slack:<workspace>`` as configured (never the token)."""
        return f"slack:{self._workspace}"

    # -- calls ---------------------------------------------------------------------------

    def _call(self, method: str, fn: Callable[..., SlackResponse], **params: Any) -> dict[str, Any]:
        """One Web API call; errors that end the run become :class:`ConnectorError`."""
        try:
            response = fn(**params)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", None)
            error = _error_code(exc.response)
            if status == 429:
                raise ConnectorError(
                    KIND, f"{method} is still rate limited (HTTP 429) after {self._max_retries} retries"
                ) from exc
            if isinstance(status, int) and status >= 500:
                raise ConnectorError(
                    KIND, f"{method} still failing with HTTP {status} after {self._max_retries} retries"
                ) from exc
            if error in _FATAL_ERRORS or method in {"auth.test", "users.list", "conversations.list"}:
                raise ConnectorError(KIND, f"{method} failed: {error} (HTTP {status})") from exc
            raise _ChannelFailed(error) from exc
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc) or type(exc).__name__
            raise ConnectorError(
                KIND, f"{method}: cannot reach Slack: {reason} (after {self._max_retries} retries)"
            ) from exc
        except SlackClientError as exc:
            raise ConnectorError(KIND, f"{method} failed: {type(exc).__name__}") from exc
        data = response.data
        if not isinstance(data, dict):
            raise ConnectorError(KIND, f"{method} answered with something that is not a JSON object")
        return data

    def _paged(
        self, method: str, fn: Callable[..., SlackResponse], key: str, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every object of a cursor-paged list (``response_metadata.next_cursor``)."""
        for item in self._pages(method, fn, key, **params):
            if isinstance(item, dict):
                yield item

    def _pages(self, method: str, fn: Callable[..., SlackResponse], key: str, **params: Any) -> Iterator[Any]:
        """Every item of a cursor-paged list, whatever its type."""
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            page_params = dict(params, limit=self._page_size)
            if cursor:
                page_params["cursor"] = cursor
            data = self._call(method, fn, **page_params)
            items = data.get(key)
            if isinstance(items, list):
                yield from items
            meta = data.get("response_metadata")
            cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
            if not isinstance(cursor, str) or not cursor:
                return
            if cursor in seen_cursors:
                # A server that hands out the same cursor twice would otherwise loop forever.
                raise ConnectorError(KIND, f"{method} returned a repeated page cursor")
            seen_cursors.add(cursor)

    # -- reading -------------------------------------------------------------------------

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        """Yield contacts, then each conversation's new messages oldest first, then its checkpoint."""
        self.stats = Counter()
        try:
            yield from self._read(checkpoints)
        finally:
            logger.info(
                "slack %s: %d users, %d activities, %d system messages skipped, %d other rejections",
                self._workspace,
                self.stats["users"],
                self.stats["activities"],
                self.stats["system"],
                self.stats["rejected"],
            )

    def _read(self, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        auth = self._call("auth.test", self._client.auth_test)
        team_id = str(auth.get("team_id") or "")
        if not team_id:
            raise ConnectorError(KIND, "auth.test did not name the workspace's team id")
        if not self._matches(auth):
            raise ConnectorError(
                KIND, f"the token belongs to workspace {team_id}, not to {self._workspace!r} as configured"
            )
        self_user = auth.get("user_id") if isinstance(auth.get("user_id"), str) else None
        directory = SlackDirectory(team_id=team_id)

        users = [
            user
            for user in (SlackUser.from_json(m) for m in self._paged("users.list", self._client.users_list, "members"))
            if user is not None
        ]
        for user in users:
            directory.users[user.id] = user
        yield from self._contacts(directory, users, checkpoints)

        conversations = list(
            self._paged(
                "conversations.list",
                self._client.conversations_list,
                "channels",
                types=_CONVERSATION_TYPES,
                exclude_archived=False,
            )
        )
        for conv in conversations:
            channel = _channel_from_api(conv, self_user=self_user)
            if channel is not None:
                directory.channels[channel.id] = channel
        selected, missing = self._select(conversations)
        for name in missing:
            yield self._reject(
                Rejected(source=KIND, source_key=name, reason="conversation not found or not visible to the token")
            )
        for conv in selected:
            channel = directory.channels[conv["id"]]
            yield from self._conversation(directory, channel, conv, checkpoints.get(channel.id))

    def _matches(self, auth: Mapping[str, Any]) -> bool:
        wanted = self._workspace.lower()
        names = {str(auth.get("team_id") or "").lower(), str(auth.get("team") or "").lower()}
        host = urlparse(str(auth.get("url") or "")).hostname or ""
        names.add(host.split(".", 1)[0].lower())
        return wanted in names

    def _contacts(
        self, directory: SlackDirectory, users: list[SlackUser], checkpoints: Mapping[str, str]
    ) -> Iterator[SourceRecord]:
        contacts = [
            user_to_contact(user, directory=directory, source=KIND, source_key=f"users.list#{user.id}")
            for user in users
        ]
        digest = records_digest(contacts)
        if checkpoints.get(USERS_STREAM) == digest:
            logger.info("slack %s: users unchanged since the last run", self._workspace)
            return
        for contact in contacts:
            self.stats["users"] += 1
            yield contact
        yield CheckpointMark(stream=USERS_STREAM, cursor=digest)

    def _select(self, conversations: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
        valid = [c for c in conversations if isinstance(c.get("id"), str)]
        if not self._channels:
            return sorted(valid, key=lambda c: str(c.get("name") or c["id"])), []
        selected: list[dict[str, Any]] = []
        missing: list[str] = []
        for wanted in self._channels:
            match = [c for c in valid if wanted in (c["id"], c.get("name"))]
            if not match:
                missing.append(wanted)
            selected.extend(c for c in match if c not in selected)
        return selected, missing

    def _conversation(
        self,
        directory: SlackDirectory,
        channel: SlackChannel,
        conv: Mapping[str, Any],
        cursor_raw: str | None,
    ) -> Iterator[SourceRecord]:
        cursor = normalise_ts(cursor_raw) if cursor_raw else None
        try:
            if not channel.members and _wants_members(channel, conv, max_audience=self._max_audience):
                listed = self._pages(
                    "conversations.members", self._client.conversations_members, "members", channel=channel.id
                )
                members = tuple(dict.fromkeys(m for m in listed if isinstance(m, str) and m))
                channel = SlackChannel(
                    id=channel.id,
                    name=channel.name,
                    members=members,
                    kind=channel.kind,
                    member_count=len(members),
                )
                directory.channels[channel.id] = channel
            messages = self._history(channel.id, cursor)
        except _ChannelFailed as exc:
            yield self._reject(
                Rejected(source=KIND, source_key=channel.id, reason=f"cannot read conversation: {exc.error}")
            )
            return

        newest = cursor
        for ts, message in messages:
            record = message_to_record(
                message,
                directory=directory,
                channel=channel,
                source=KIND,
                source_key=f"{channel.id}#{ts}",
                max_audience=self._max_audience,
            )
            if isinstance(record, Activity):
                self.stats["activities"] += 1
            else:
                self._reject(record)
            newest = ts
            yield record
        if newest is not None and newest != cursor:
            # Only now is everything up to ``newest`` yielded, replies of new threads included.
            yield CheckpointMark(stream=channel.id, cursor=newest)

    def _history(self, channel_id: str, cursor: str | None) -> list[tuple[str, dict[str, Any]]]:
        """New messages of one conversation, thread replies included, oldest first, each once."""
        params: dict[str, Any] = {"channel": channel_id}
        if cursor is not None:
            params["oldest"] = cursor
        found: dict[str, dict[str, Any]] = {}
        threads: list[str] = []
        for message in self._paged("conversations.history", self._client.conversations_history, "messages", **params):
            ts = normalise_ts(message.get("ts"))
            if ts is None:
                continue
            if ts_after(ts, cursor):
                found.setdefault(ts, message)
            thread_ts = normalise_ts(message.get("thread_ts"))
            if thread_ts == ts and _has_replies(message) and ts not in threads:
                threads.append(ts)
        for thread_ts in threads:
            reply_params = dict(params, ts=thread_ts)
            for reply in self._paged(
                "conversations.replies", self._client.conversations_replies, "messages", **reply_params
            ):
                ts = normalise_ts(reply.get("ts"))
                # A thread_broadcast reply is listed by both calls: the first copy wins.
                if ts is not None and ts_after(ts, cursor) and ts not in found:
                    found[ts] = reply
        return sorted(found.items(), key=lambda item: ts_sort_key(item[0]))

    def _reject(self, record: Rejected) -> Rejected:
        if record.reason.startswith(SYSTEM_MESSAGE):
            self.stats["system"] += 1
        else:
            self.stats["rejected"] += 1
        return record


def _error_code(response: Any) -> str:
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return re.sub(r"[^a-z0-9_.-]", "", data["error"].lower())[:80] or "unknown_error"
    return "unknown_error"


def _has_replies(message: Mapping[str, Any]) -> bool:
    count = message.get("reply_count")
    return (isinstance(count, int) and count > 0) or isinstance(message.get("latest_reply"), str)


def _wants_members(channel: SlackChannel, conv: Mapping[str, Any], *, max_audience: int) -> bool:
    """Whether to list a conversation's members: only when they will become recipients."""
    count = conv.get("num_members")
    if isinstance(count, int) and not isinstance(count, bool):
        return count <= max_audience
    return channel.kind in {"mpim", "group"}


def _channel_from_api(conv: Mapping[str, Any], *, self_user: str | None) -> SlackChannel | None:
    if conv.get("is_im") is True:
        kind = "im"
    elif conv.get("is_mpim") is True:
        kind = "mpim"
    elif conv.get("is_private") is True or conv.get("is_group") is True:
        kind = "group"
    else:
        kind = "channel"
    channel = SlackChannel.from_json(conv, kind=kind)
    if channel is not None and kind == "im" and isinstance(conv.get("user"), str):
        # A DM's members are the other person and the token's own user.
        members = tuple(dict.fromkeys(m for m in (conv["user"], self_user) if m))
        channel = SlackChannel(id=channel.id, name=channel.name, members=members, kind=kind)
    return channel
