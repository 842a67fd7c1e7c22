"""Carry approved actions out: an email becomes a Gmail draft, a Slack message is posted.

Each executor sends a deterministic marker with the call (the draft's
``Message-ID``, the Slack message's metadata) and can look for it afterwards, so
an execution interrupted between the call and recording its result is recovered
by a retry instead of being repeated.
"""

from __future__ import annotations

import base64
import logging
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

from tellgraph.errors import ConfigError, ConnectorError, TellgraphError
from tellgraph.schema.actions import ActionChannel, SuggestedAction

if TYPE_CHECKING:
    from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

MESSAGE_ID_DOMAIN = "tellgraph.local"
SLACK_EVENT_TYPE = "tellgraph_action"


class ExecutionFailed(TellgraphError):
    """The external service refused or failed the call."""

    def __init__(self, channel: str, reason: str) -> None:
        self.channel = channel
        self.reason = reason
        super().__init__(f"Could not carry out the {channel} action: {reason}")


class Executor(Protocol):
    """Sends one kind of action out of the system."""

    channel: ActionChannel

    def find(self, action: SuggestedAction) -> str | None:
        """The external id of what an earlier attempt created for this action, if it did."""
        ...

    def execute(self, action: SuggestedAction) -> str:
        """Carry the action out; return the external id (a draft id, a message ts)."""
        ...


def message_id_for(action: SuggestedAction) -> str:
    """The Message-ID of the draft an action creates (from its execution key)."""
    return f"<{action.execution_key or action.id}@{MESSAGE_ID_DOMAIN}>"


class GmailDraftExecutor:
    """Creates Gmail drafts (``users.drafts.create``); never sends.

    Args:
        service: a googleapiclient Gmail v1 resource with the ``gmail.compose`` scope.
        user_id: the mailbox (``"me"``).
        sender: an optional From address.
    """

    channel = ActionChannel.EMAIL

    def __init__(self, *, service: Any, user_id: str = "me", sender: str | None = None) -> None:
        self._service = service
        self._user_id = user_id
        self._sender = sender

    def _call(self, what: str, request: Any) -> dict[str, Any]:
        from googleapiclient.errors import HttpError

        try:
            result = request.execute()
        except HttpError as exc:
            raise ExecutionFailed("email", f"Gmail {what} answered HTTP {exc.resp.status}") from exc
        except OSError as exc:
            raise ExecutionFailed("email", f"Gmail {what}: connection error ({type(exc).__name__})") from exc
        return result if isinstance(result, dict) else {}

    def find(self, action: SuggestedAction) -> str | None:
        query = f"rfc822msgid:{message_id_for(action).strip('<>')}"
        answer = self._call("drafts.list", self._service.users().drafts().list(userId=self._user_id, q=query))
        for draft in answer.get("drafts") or []:
            if isinstance(draft, dict) and isinstance(draft.get("id"), str):
                return str(draft["id"])
        return None

    def execute(self, action: SuggestedAction) -> str:
        if not action.recipients:
            raise ExecutionFailed("email", "the action has no recipient address")
        message = EmailMessage()
        message["To"] = ", ".join(action.recipients)
        if self._sender:
            message["From"] = self._sender
        message["Subject"] = action.subject or action.title
        message["Message-ID"] = message_id_for(action)
        message["X-Tellgraph-Action"] = action.id
        message.set_content(action.draft or "")
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        answer = self._call(
            "drafts.create",
            self._service.users().drafts().create(userId=self._user_id, body={"message": {"raw": raw}}),
        )
        draft_id = answer.get("id")
        if not isinstance(draft_id, str):
            raise ExecutionFailed("email", "Gmail drafts.create returned no draft id")
        logger.info("action %s: Gmail draft %s created", action.id, draft_id)
        return draft_id


class SlackMessageExecutor:
    """Posts a message with ``chat.postMessage``; the action id travels in the message metadata.

    Args:
        client: a ``slack_sdk.WebClient`` (see :func:`tellgraph.extractors.slack_api.make_slack_client`).
    """

    channel = ActionChannel.SLACK

    def __init__(self, *, client: Any) -> None:
        self._client = client

    def _channel_of(self, action: SuggestedAction) -> str:
        if not action.recipients:
            raise ExecutionFailed("slack", "the action names no channel")
        return action.recipients[0]

    def find(self, action: SuggestedAction) -> str | None:
        from slack_sdk.errors import SlackApiError

        try:
            answer = self._client.conversations_history(
                channel=self._channel_of(action), limit=200, include_all_metadata=True
            )
        except SlackApiError as exc:
            raise ExecutionFailed("slack", f"conversations.history failed: {exc.response.get('error')}") from exc
        for message in answer.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("action_id") == action.id:
                return str(message.get("ts"))
        return None

    def execute(self, action: SuggestedAction) -> str:
        from slack_sdk.errors import SlackApiError

        try:
            answer = self._client.chat_postMessage(
                channel=self._channel_of(action),
                text=action.draft or action.title,
                metadata={
                    "event_type": SLACK_EVENT_TYPE,
                    "event_payload": {"action_id": action.id, "key": action.execution_key or action.id},
                },
            )
        except SlackApiError as exc:
            raise ExecutionFailed("slack", f"chat.postMessage failed: {exc.response.get('error')}") from exc
        ts = answer.get("ts")
        if not ts:
            raise ExecutionFailed("slack", "chat.postMessage returned no ts")
        logger.info("action %s: Slack message %s posted", action.id, ts)
        return str(ts)


def executors_from_settings(settings: Settings) -> dict[ActionChannel, Executor]:
    """Executors for whatever is configured: Gmail when a token file exists, Slack when a token is set.

    Never starts an interactive sign-in: without a saved Gmail token, email actions
    stay approved until one is configured (``tellgraph ingest gmail`` signs in).
    """
    executors: dict[ActionChannel, Executor] = {}
    token_file = settings.gmail_token_file
    if token_file is not None and token_file.exists() and settings.gmail_credentials_file is not None:
        from tellgraph.extractors.gmail import build_gmail_service

        try:
            service = build_gmail_service(credentials_file=settings.gmail_credentials_file, token_file=token_file)
            executors[ActionChannel.EMAIL] = GmailDraftExecutor(service=service, sender=settings.owner_email)
        except (ConfigError, ConnectorError) as exc:
            logger.warning("Gmail drafts unavailable: %s", exc)
    if settings.slack_token is not None:
        from tellgraph.extractors.slack_api import make_slack_client

        client = make_slack_client(token=settings.slack_token.get_secret_value(), base_url=settings.slack_base_url)
        executors[ActionChannel.SLACK] = SlackMessageExecutor(client=client)
    return executors
