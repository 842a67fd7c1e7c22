"""Every connector end to end into the real Neo4j: counts, provenance, idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence
from slack_sdk import WebClient

from tellgraph.extractors.base import Connector
from tellgraph.extractors.gmail import GmailConnector
from tellgraph.extractors.registry import ConnectorOptions, make_connector
from tellgraph.extractors.slack_api import SlackApiConnector
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel
from tellgraph.settings import Settings
from tests.unit.extractors.test_gmail import Recorded
from tests.unit.extractors.test_slack_api import _serve

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo"

FILE_SOURCES: list[tuple[str, str, dict[str, Any]]] = [
    ("maildir", "maildir", {}),
    ("slack-export", "slack", {}),
    ("ics", "calendar", {}),
    ("transcript", "transcripts", {"participants": DEMO / "transcripts" / "participants.json"}),
    ("linkedin", "linkedin/Connections.csv", {"owner_email": "maya.chen@northlight.tv", "owner_name": "Maya Chen"}),
    ("contacts", "contacts/crm-export.csv", {}),
    ("attendees", "attendees", {}),
]


def _run(store: GraphStore, connector: Connector, *, full: bool = False) -> Any:
    return IngestRun(store=store, connector=connector, settings=Settings(batch_size=50), full=full).run()


@pytest.mark.parametrize(("kind", "rel_path", "options"), FILE_SOURCES, ids=[s[0] for s in FILE_SOURCES])
def test_file_connector_into_neo4j_is_idempotent(
    neo4j_store: GraphStore, kind: str, rel_path: str, options: dict[str, Any]
) -> None:
    connector = make_connector(
        kind=kind, path=DEMO / rel_path, options=ConnectorOptions(**options), settings=Settings()
    )
    first = _run(neo4j_store, connector)
    assert first.read > 0
    assert first.new + first.contacts + first.events > 0
    counts = neo4j_store.counts()
    assert counts.nodes.get("Person", 0) > 0
    checksum = neo4j_store.checksum()
    # again, honouring checkpoints, then again re-reading everything: nothing changes
    again = _run(
        neo4j_store,
        make_connector(kind=kind, path=DEMO / rel_path, options=ConnectorOptions(**options), settings=Settings()),
    )
    assert again.new == 0
    full = _run(
        neo4j_store,
        make_connector(kind=kind, path=DEMO / rel_path, options=ConnectorOptions(**options), settings=Settings()),
        full=True,
    )
    assert full.new == 0
    assert neo4j_store.counts() == counts
    assert neo4j_store.checksum() == checksum


def test_maildir_dedupes_copies_and_keeps_provenance(neo4j_store: GraphStore) -> None:
    connector = make_connector(kind="maildir", path=DEMO / "maildir", options=ConnectorOptions(), settings=Settings())
    summary = _run(neo4j_store, connector)
    assert summary.new == neo4j_store.counts().nodes["Communication"]
    assert summary.duplicate > 0  # the same mail filed in sent and inbox folders
    [comm] = neo4j_store.list_nodes(label=NodeLabel.COMMUNICATION, limit=1)
    assert comm.props["source"] == "maildir"
    assert comm.props["source_keys"] and comm.props["ingested_at"]


def test_gmail_api_into_neo4j(neo4j_store: GraphStore, fixtures_dir: Path) -> None:
    rec = Recorded(fixtures_dir / "gmail")
    responses = [rec.ok("profile"), rec.ok("list.page1")]
    responses += [rec.raw(i) for i in _ids_in(fixtures_dir / "gmail" / "list.page1.json")]
    responses += [rec.ok("list.page2")]
    responses += [rec.raw(i) for i in _ids_in(fixtures_dir / "gmail" / "list.page2.json")]
    service = build("gmail", "v1", http=HttpMockSequence(responses), static_discovery=True)
    summary = _run(neo4j_store, GmailConnector(service=service, account="test@example.com", sleep=lambda _: None))
    assert summary.new >= 1
    assert neo4j_store.counts().nodes["Communication"] == summary.new


def _ids_in(path: Path) -> list[str]:
    return [m["id"] for m in json.loads(path.read_text()).get("messages", [])]


def test_slack_api_into_neo4j(neo4j_store: GraphStore, shared_data: Path, fixtures_dir: Path) -> None:
    for api in _serve(
        shared_data / "slack-export-sample" / "slack-export-viewer-testarchive", fixtures_dir / "slack_api"
    ):
        connector = SlackApiConnector(
            client=WebClient(token="xoxb-test", base_url=api.base_url), workspace=api.auth["team_id"]
        )
        summary = _run(neo4j_store, connector)
        assert summary.new > 100
        checksum = neo4j_store.checksum()
        again = _run(
            neo4j_store,
            SlackApiConnector(
                client=WebClient(token="xoxb-test", base_url=api.base_url), workspace=api.auth["team_id"]
            ),
        )
        assert again.new == 0
        assert neo4j_store.checksum() == checksum
