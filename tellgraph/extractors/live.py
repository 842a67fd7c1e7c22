"""Connectors for live APIs (Gmail, Slack), built from credentials in settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tellgraph.errors import ConfigError, InvalidInput
from tellgraph.extractors.base import Connector
from tellgraph.settings import Settings

if TYPE_CHECKING:
    from tellgraph.extractors.registry import ConnectorOptions


def make_live_connector(*, kind: str, options: ConnectorOptions, settings: Settings) -> Connector:
    """The Slack or Gmail connector, or a clear error naming the missing setting."""
    if kind == "slack":
        from tellgraph.extractors.slack_api import SlackApiConnector, make_slack_client

        if settings.slack_token is None:
            raise ConfigError("TELLGRAPH_SLACK_TOKEN", "is required for `ingest slack` (a bot token, xoxb-...)")
        if not options.workspace:
            raise InvalidInput("--workspace", "slack needs the workspace (team id, name or subdomain)")
        client = make_slack_client(token=settings.slack_token.get_secret_value(), base_url=settings.slack_base_url)
        return SlackApiConnector(client=client, workspace=options.workspace, channels=options.channels)
    if kind == "gmail":
        from tellgraph.extractors.gmail import GmailConnector, build_gmail_service

        if settings.gmail_credentials_file is None:
            raise ConfigError(
                "TELLGRAPH_GMAIL_CREDENTIALS_FILE", "is required for `ingest gmail` (an OAuth client JSON file)"
            )
        token_file = settings.gmail_token_file or settings.data_dir / "gmail-token.json"
        service = build_gmail_service(credentials_file=settings.gmail_credentials_file, token_file=token_file)
        return GmailConnector(
            service=service,
            label_ids=options.label,
            query=options.query,
            account=options.workspace or settings.owner_email,
        )
    raise InvalidInput("kind", f"{kind!r} is not a live connector")
