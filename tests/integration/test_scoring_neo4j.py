"""Scoring on the real Neo4j: every KNOWS edge gets strength, breakdown, health and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tellgraph.extractors.registry import ConnectorOptions, make_connector
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.scoring.breakdown import HEALTH_FIELDS, ScoreBreakdown
from tellgraph.scoring.config import COMPONENTS
from tellgraph.scoring.derive import DECLARED_ONLY_STRENGTH, rebuild_knows
from tellgraph.scoring.history import strength_at
from tellgraph.scoring.incremental import rescore_communications
from tellgraph.scoring.team import team_view
from tellgraph.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "demo"
SOURCES = [
    ("maildir", "maildir", {}),
    ("ics", "calendar", {}),
    ("transcript", "transcripts", {"participants": DEMO / "transcripts" / "participants.json"}),
    ("linkedin", "linkedin/Connections.csv", {"owner_email": "maya.chen@northlight.tv", "owner_name": "Maya Chen"}),
    ("attendees", "attendees", {}),
]
NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


def _load(store: GraphStore, settings: Settings) -> None:
    for kind, rel_path, options in SOURCES:
        connector = make_connector(
            kind=kind, path=DEMO / rel_path, options=ConnectorOptions(**options), settings=settings
        )
        IngestRun(store=store, connector=connector, settings=settings).run()


def _pid(store: GraphStore, email: str) -> str:
    return store.resolve_identities(keys=[f"email:{email}"])[f"email:{email}"]


def test_every_knows_edge_is_scored_on_neo4j(neo4j_store: GraphStore, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, batch_size=200)
    _load(neo4j_store, settings)
    report = rebuild_knows(neo4j_store, settings=settings, now=NOW)
    assert report.pairs > 50 and report.declared_only > 0 and report.inferred > 0
    assert report.as_of is not None and report.as_of.year == 2026

    edges = list(neo4j_store.iter_edges(rel_type=RelType.KNOWS))
    assert len(edges) == report.pairs + report.declared_only
    for edge in edges:
        props = edge.props
        assert 0.0 <= props["strength"] <= 1.0
        assert isinstance(props["created_at"], datetime) and isinstance(props["scored_at"], datetime)
        if props["interaction_count"] == 0:
            assert props["strength"] == DECLARED_ONLY_STRENGTH
            continue
        for name in COMPONENTS:
            assert 0.0 <= props[f"score_{name}"] <= 1.0
        for name in HEALTH_FIELDS:
            assert name in props, name
        for name in ("first_interaction", "last_interaction", "next_contact_due", "as_of"):
            assert props[name].tzinfo is not None
        assert props["first_interaction"] <= props["last_interaction"] <= props["as_of"]
        assert isinstance(props["risk_reasons"], list) and isinstance(props["at_risk"], bool)
        assert props["history_2026_11"] == props["strength"]
        breakdown = ScoreBreakdown.from_props((edge.src_id, edge.dst_id), props)
        total = sum(breakdown.weights[c] * breakdown.components[c] for c in COMPONENTS)
        assert abs(total - breakdown.strength) < 1e-4
        assert breakdown.explanation.startswith("Strength")

    for edge in neo4j_store.iter_edges(rel_type=RelType.INFERRED_KNOWS):
        assert 0.0 < edge.props["confidence"] <= 0.9
        assert edge.props["evidence"] and edge.props["inferred_by"]

    tom, rajesh = _pid(neo4j_store, "tom.okafor@northlight.tv"), _pid(neo4j_store, "rajesh.kumar@psn.example")
    [cooling] = neo4j_store.get_edges(rel_type=RelType.KNOWS, pairs=[(tom, rajesh)])
    assert cooling.props["at_risk"] is True and cooling.props["trend"] == "falling"

    summer = strength_at(
        neo4j_store, a="tom.okafor@northlight.tv", b="rajesh.kumar@psn.example", at=datetime(2026, 7, 28, tzinfo=UTC)
    )
    assert summer.strength > cooling.props["strength"]

    maya = _pid(neo4j_store, "maya.chen@northlight.tv")
    view = team_view(neo4j_store, team=[maya, tom], contacts=["daniel.wu@meridian.example"])
    assert view[0].member_id == maya


def test_incremental_rescore_on_neo4j(neo4j_store: GraphStore, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, batch_size=200)
    _load(neo4j_store, settings)
    rebuild_knows(neo4j_store, settings=settings, now=NOW)
    maya, daniel = _pid(neo4j_store, "maya.chen@northlight.tv"), _pid(neo4j_store, "daniel.wu@meridian.example")
    [before] = neo4j_store.get_edges(rel_type=RelType.KNOWS, pairs=[(maya, daniel)])
    ids = [n.id for n in neo4j_store.list_nodes(label=NodeLabel.COMMUNICATION, limit=20)]
    report = rescore_communications(neo4j_store, communication_ids=ids, settings=settings, now=NOW)
    assert report.pairs > 0
    [after] = neo4j_store.get_edges(rel_type=RelType.KNOWS, pairs=[(maya, daniel)])
    # Nothing new was ingested: rescoring any subset reproduces the rebuild exactly.
    assert after.props["strength"] == before.props["strength"]
    assert after.props["history_2026_11"] == before.props["history_2026_11"]
