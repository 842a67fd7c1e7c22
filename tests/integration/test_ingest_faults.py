"""Faults during ingestion into the real Neo4j: kill -9 and resume, mbox, encrypted bodies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import SecretStr

from tellgraph.extractors.mbox import MboxConnector
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.crypto import BodyCipher
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel
from tellgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ENRON_SAMPLE = ROOT / "demo" / "enron-sample" / "maildir"


def _ingest_cmd() -> list[str]:
    return [
        sys.executable,
        "-m",
        "tellgraph.cli",
        "ingest",
        "maildir",
        str(ENRON_SAMPLE),
        "--store",
        "neo4j",
        "--no-nlp",
        "--json",
    ]


def test_kill_9_mid_run_then_resume_equals_an_uninterrupted_run(neo4j_store: GraphStore) -> None:
    env = {**os.environ, "TELLGRAPH_BATCH_SIZE": "10"}
    subprocess.run(_ingest_cmd(), env=env, check=True, capture_output=True, timeout=300)
    reference = neo4j_store.checksum()
    reference_counts = neo4j_store.counts()
    neo4j_store.clear()

    proc = subprocess.Popen(_ingest_cmd(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait until some, but not all, communications are stored, then kill without warning.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stored = neo4j_store.counts().nodes.get("Communication", 0)
        if stored >= 20:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    interrupted = neo4j_store.counts().nodes.get("Communication", 0)
    assert 0 < interrupted < reference_counts.nodes["Communication"], "the kill must land mid-run"

    resumed = subprocess.run(_ingest_cmd(), env=env, check=True, capture_output=True, timeout=300, text=True)
    summary = json.loads(resumed.stdout)
    # whatever was committed before the kill is found again (by content identity), nothing is lost
    assert summary["new"] == reference_counts.nodes["Communication"] - interrupted
    assert neo4j_store.counts() == reference_counts
    assert neo4j_store.checksum() == reference


def test_mbox_into_neo4j(neo4j_store: GraphStore, fixtures_dir: Path) -> None:
    settings = Settings(batch_size=10)
    summary = IngestRun(
        store=neo4j_store, connector=MboxConnector(path=fixtures_dir / "mail" / "takeout.mbox"), settings=settings
    ).run()
    assert (summary.new, summary.rejected) == (2, 1)
    checksum = neo4j_store.checksum()
    IngestRun(
        store=neo4j_store,
        connector=MboxConnector(path=fixtures_dir / "mail" / "takeout.mbox"),
        settings=settings,
        full=True,
    ).run()
    assert neo4j_store.checksum() == checksum


def test_raw_bodies_are_encrypted_at_rest(neo4j_store: GraphStore, fixtures_dir: Path) -> None:
    key = BodyCipher.generate_key()
    settings = Settings(store_raw_bodies=True, body_key=SecretStr(key), store_previews=False)
    IngestRun(
        store=neo4j_store, connector=MboxConnector(path=fixtures_dir / "mail" / "takeout.mbox"), settings=settings
    ).run()
    comms = neo4j_store.list_nodes(label=NodeLabel.COMMUNICATION)
    assert comms
    for comm in comms:
        token = comm.props["body_encrypted"]
        assert "lunch" not in token and "preview" not in comm.props
        assert BodyCipher(key=key).decrypt(token)
    bodies = {BodyCipher(key=key).decrypt(c.props["body_encrypted"]) for c in comms}
    assert any("Are you free for lunch?" in body for body in bodies)
