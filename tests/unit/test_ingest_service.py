from __future__ import annotations

from pathlib import Path

import pytest

from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.records import Rejected
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.settings import Settings
from tests.activity_factory import ListConnector, email

ANN, BO, CY, DI = "ann@enron.com", "bo@enron.com", "cy@enron.com", "di@gmail.com"


def records() -> list:
    return [
        email(1, ANN, [BO], [CY]),
        email(2, BO, [ANN]),
        email(1, ANN, [BO], [CY]),  # the same mail filed in another folder
        Rejected(source="test", source_key="mail/bad", reason="bad date: 1979-12-31"),
        email(3, CY, [ANN, DI], days=3),
        email(4, "ANN@enron.com", [DI], days=10),
    ]


def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, batch_size=2)


def test_ingest_counts_dedupes_and_is_idempotent(tmp_path: Path) -> None:
    store = MemoryStore()
    summary = IngestRun(store=store, connector=ListConnector(records()), settings=settings(tmp_path)).run()
    assert (summary.read, summary.new, summary.duplicate, summary.rejected) == (6, 4, 1, 1)
    assert summary.rejected_reasons == {"bad date": 1}
    counts = store.counts()
    assert counts.nodes["Communication"] == 4
    assert counts.nodes["Person"] == 4  # ANN@enron.com is ann@enron.com
    before = store.checksum()
    again = IngestRun(store=store, connector=ListConnector(records()), settings=settings(tmp_path)).run()
    assert (again.new, again.duplicate) == (0, 5)
    assert store.checksum() == before


def test_resume_after_interruption_equals_uninterrupted_run(tmp_path: Path) -> None:
    reference = MemoryStore()
    IngestRun(store=reference, connector=ListConnector(records()), settings=settings(tmp_path)).run()

    class Crash(Exception):
        pass

    class CrashingConnector(ListConnector):
        def read(self, *, checkpoints):  # type: ignore[no-untyped-def]
            for i, record in enumerate(super().read(checkpoints=checkpoints)):
                if i == 5:
                    raise Crash
                yield record

    path = tmp_path / "snap.json"
    store = MemoryStore(path=path)
    with pytest.raises(Crash):
        IngestRun(store=store, connector=CrashingConnector(records()), settings=settings(tmp_path)).run()
    # what survived the crash is the last durable snapshot, as after kill -9
    resumed_store = MemoryStore(path=path)
    summary = IngestRun(store=resumed_store, connector=ListConnector(records()), settings=settings(tmp_path)).run()
    assert summary.resumed
    assert resumed_store.checksum() == reference.checksum()


def test_interaction_count_follows_the_contract(tmp_path: Path) -> None:
    store = MemoryStore()
    IngestRun(store=store, connector=ListConnector(records()), settings=settings(tmp_path)).run()
    report = rebuild_knows(store, settings=settings(tmp_path))
    assert report.communications == 4
    ids = store.resolve_identities(keys=[f"email:{a}" for a in (ANN, BO, CY, DI)])
    ann, bo, cy, di = (ids[f"email:{a}"] for a in (ANN, BO, CY, DI))

    def count(x: str, y: str) -> int:
        edge = store.get_edge(
            rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id=x, dst_label=NodeLabel.PERSON, dst_id=y
        )
        return 0 if edge is None else int(edge.props["interaction_count"])

    assert count(ann, bo) == 2  # one each way, the duplicate copy not counted again
    assert count(ann, cy) == 2  # ann cc'd cy; cy mailed ann
    assert count(bo, cy) == 0  # co-recipients only
    assert count(ann, di) == 1 and count(cy, di) == 1
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id=ann, dst_label=NodeLabel.PERSON, dst_id=bo
    )
    assert edge is not None
    assert 0.0 < edge.props["strength"] <= 1.0
    assert edge.props["score_reciprocity"] == 1.0
    assert "communications" in edge.props["explanation"]
