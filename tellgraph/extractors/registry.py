"""Which connector reads which ``tellgraph ingest <kind>``.

Connectors are imported on demand: reading a CSV never loads the Slack or Google clients.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from tellgraph.errors import InvalidInput
from tellgraph.extractors.base import Connector
from tellgraph.settings import Settings

KINDS = (
    "maildir",
    "mbox",
    "gmail",
    "slack",
    "slack-export",
    "linkedin",
    "ics",
    "transcript",
    "contacts",
    "attendees",
)


class ConnectorOptions(BaseModel):
    """Options some connectors take (``tellgraph ingest --help`` lists them)."""

    owner_email: str | None = None
    owner_name: str | None = None
    mapping: Path | None = None
    event_name: str | None = None
    event_date: date | None = None
    participants: Path | None = None
    workspace: str | None = None
    channels: list[str] | None = None
    label: list[str] | None = None
    query: str | None = None


def _require_path(kind: str, path: Path | None) -> Path:
    if path is None:
        raise InvalidInput("path", f"{kind} needs a PATH")
    if not path.exists():
        raise InvalidInput("path", f"{path} does not exist")
    return path


def make_connector(*, kind: str, path: Path | None, options: ConnectorOptions, settings: Settings) -> Connector:
    """Build the connector for ``kind``.

    Raises:
        InvalidInput: unknown kind, missing path or a missing required option.
    """
    if kind not in KINDS:
        raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    if kind == "maildir":
        from tellgraph.extractors.maildir import MaildirConnector

        return MaildirConnector(path=_require_path(kind, path))
    if kind == "mbox":
        from tellgraph.extractors.mbox import MboxConnector

        return MboxConnector(path=_require_path(kind, path))
    if kind == "slack-export":
        from tellgraph.extractors.slack_export import SlackExportConnector

        return SlackExportConnector(path=_require_path(kind, path))
    if kind == "linkedin":
        from tellgraph.extractors.linkedin import LinkedInConnector

        owner = options.owner_email or settings.owner_email
        if not owner:
            raise InvalidInput("--owner-email", "linkedin needs the email of the account owner")
        return LinkedInConnector(path=_require_path(kind, path), owner_email=owner, owner_name=options.owner_name)
    if kind == "ics":
        from tellgraph.extractors.ics import IcsConnector

        return IcsConnector(path=_require_path(kind, path))
    if kind == "transcript":
        from tellgraph.extractors.transcript import TranscriptConnector

        participants: Mapping[str, str] | None = None
        if options.participants is not None:
            try:
                participants = json.loads(options.participants.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InvalidInput("--participants", f"cannot read {options.participants}: {exc}") from exc
        return TranscriptConnector(path=_require_path(kind, path), participants=participants)
    if kind == "contacts":
        from tellgraph.extractors.contacts import ContactsConnector, load_mapping

        mapping = load_mapping(options.mapping) if options.mapping else None
        return ContactsConnector(path=_require_path(kind, path), mapping=mapping)
    if kind == "attendees":
        from tellgraph.extractors.attendees import AttendeesConnector

        return AttendeesConnector(
            path=_require_path(kind, path), event_name=options.event_name, event_date=options.event_date
        )
    # Live APIs: built from credentials in settings.
    module = importlib.import_module("tellgraph.extractors.live")
    connector: Connector = module.make_live_connector(kind=kind, options=options, settings=settings)
    return connector
