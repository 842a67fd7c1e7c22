"""``tellgraph ingest maildir --workers N``: worker processes sharing one Neo4j give the serial run's graph.

The maildir holds the bundled demo team's four mailboxes, whose members mail each
other (so the same message is filed in several mailboxes, and the same people are
written by several workers at once), plus the Enron sample's mailbox.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tellgraph.graph.store import GraphStore
from tellgraph.ingest.parallel import _copies_to_skip, iter_partition_sources, maildir_partitions
from tellgraph.ingest.service import source_id
from tellgraph.schema.labels import NodeLabel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def maildir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mailboxes")
    for mailbox in [*(ROOT / "demo" / "maildir").iterdir(), ROOT / "demo" / "enron-sample" / "maildir" / "badeer-r"]:
        shutil.copytree(mailbox, root / mailbox.name)
    return root


@pytest.fixture(scope="module")
def serial(maildir: Path) -> dict[str, Any]:
    """A serial run's summary, counts and checksum (computed once)."""
    from tests.stores import open_neo4j

    store = open_neo4j()
    try:
        summary = _ingest(maildir)
        summary["counts"], summary["checksum"] = store.counts(), store.checksum()
        store.clear()
    finally:
        store.close()
    return summary


def _ingest(maildir: Path, *extra: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tellgraph.cli", "ingest", "maildir", str(maildir), "--no-nlp", "--json", *extra],
        env={**os.environ, "TELLGRAPH_STORE": "neo4j", "TELLGRAPH_BATCH_SIZE": "20", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout)
    summary["log"] = done.stderr
    return summary


def test_the_partitions_and_who_stores_a_shared_message() -> None:
    assert _copies_to_skip({"b": ["k1", "k2"], "a": ["k2", "k3"], "c": ["k1", "k2", "k4"]}) == {
        "a": frozenset(),
        "b": frozenset({"k2"}),
        "c": frozenset({"k1", "k2"}),
    }


def test_parallel_workers_give_the_serial_graph_without_duplicates(
    neo4j_store: GraphStore, maildir: Path, serial: dict[str, Any]
) -> None:
    expected_counts, expected_checksum = serial["counts"], serial["checksum"]

    started = time.monotonic()
    parallel = _ingest(maildir, "--workers", "2")
    seconds = time.monotonic() - started
    assert "5 mailboxes, 2 worker processes" in " ".join(parallel["log"].split())
    assert neo4j_store.counts() == expected_counts
    assert neo4j_store.checksum() == expected_checksum
    # Every message stored once: as many communications as distinct content keys, and the same tally.
    assert {k: parallel[k] for k in ("read", "new", "duplicate", "rejected")} == {
        k: serial[k] for k in ("read", "new", "duplicate", "rejected")
    }
    assert expected_counts.nodes["Communication"] == serial["new"]
    assert serial["duplicate"] > 0, "the mailboxes share messages"
    # The root source is recorded as by a serial run; the per-mailbox ones are gone.
    assert neo4j_store.get_nodes(label=NodeLabel.SOURCE, ids=[source_id("maildir", str(maildir.resolve()))])
    assert list(iter_partition_sources(neo4j_store, path=maildir)) == []

    again = _ingest(maildir, "--workers", "3")
    assert (again["new"], again["duplicate"]) == (0, again["read"] - again["rejected"])
    assert neo4j_store.checksum() == expected_checksum
    print(f"\nparallel ingest of {serial['read']} files with 2 workers: {seconds:.1f} s")


def test_a_killed_parallel_run_completes_on_the_next_run(
    neo4j_store: GraphStore, maildir: Path, serial: dict[str, Any]
) -> None:
    expected_counts, expected_checksum = serial["counts"], serial["checksum"]
    total = expected_counts.nodes["Communication"]

    proc = subprocess.Popen(
        [sys.executable, "-m", "tellgraph.cli", "ingest", "maildir", str(maildir), "--no-nlp", "--workers", "2"],
        env={**os.environ, "TELLGRAPH_STORE": "neo4j", "TELLGRAPH_BATCH_SIZE": "5"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers die with it
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and neo4j_store.counts().nodes.get("Communication", 0) < 20:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    interrupted = neo4j_store.counts().nodes.get("Communication", 0)
    assert 0 < interrupted < total, "the kill must land mid-run"

    # These mailboxes are smaller than the maildir's checkpoint interval, so the rerun reads them again
    # and finds what was stored by content identity: nothing is lost, nothing is stored twice.
    resumed = _ingest(maildir, "--workers", "2")
    assert resumed["new"] == total - interrupted
    assert neo4j_store.counts() == expected_counts
    assert neo4j_store.checksum() == expected_checksum


def test_workers_need_a_maildir_of_mailboxes_and_neo4j(tmp_path: Path) -> None:
    single = tmp_path / "single"
    for sub in ("cur", "new", "tmp"):
        (single / sub).mkdir(parents=True)
    with pytest.raises(Exception, match="single maildir"):
        maildir_partitions(single)
    cases = [
        (["ingest", "mbox", str(ROOT / "tests" / "fixtures" / "mail" / "takeout.mbox"), "--workers", "2"], "neo4j"),
        (["ingest", "maildir", str(ROOT / "demo" / "maildir"), "--workers", "2"], "memory"),
    ]
    for args, store in cases:
        done = subprocess.run(
            [sys.executable, "-m", "tellgraph.cli", *args, "--no-nlp"],
            env={**os.environ, "TELLGRAPH_STORE": store, "TELLGRAPH_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1
        message = " ".join(done.stderr.split())
        assert ("only a maildir is split" in message) or ("parallel ingest needs Neo4j" in message), message
