"""The demo story (demo/README.md) as the scores should tell it, on the embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from rich.console import Console

from tellgraph.demo import load_demo
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.scoring.config import ScoringConfig
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.scoring.history import strength_at
from tellgraph.scoring.team import team_view
from tellgraph.settings import Settings, StoreKind

OLD_NEWSLETTER_STRENGTH = 0.30
"""What the first formula gave the newsletter sender's tie to Maya (demo/README.md)."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MemoryStore, Settings]]:
    settings = Settings(store=StoreKind.MEMORY, data_dir=tmp_path_factory.mktemp("demo"))
    load_demo(settings=settings, console=Console(quiet=True))
    store = MemoryStore(path=settings.memory_store_path)
    try:
        yield store, settings
    finally:
        store.close()


def pid(store: MemoryStore, email: str) -> str:
    return store.resolve_identities(keys=[f"email:{email}"])[f"email:{email}"]


def tie(store: MemoryStore, a: str, b: str) -> dict:
    x, y = sorted((pid(store, a), pid(store, b)))
    edge = store.get_edge(
        rel_type=RelType.KNOWS, src_label=NodeLabel.PERSON, src_id=x, dst_label=NodeLabel.PERSON, dst_id=y
    )
    assert edge is not None, (a, b)
    return edge.props


MAYA, TOM, RAJESH = "maya.chen@northlight.tv", "tom.okafor@northlight.tv", "rajesh.kumar@psn.example"
DANIEL, OMAR, HANA = "daniel.wu@meridian.example", "omar.haddad@the-afc.example", "hana.sato@the-afc.example"
LEO, SITI, NEWSLETTER = "leo.marsh@northlight.tv", "siti.rahman@the-afc.example", "editor@asiasportsbiz.example"


def test_tom_and_rajesh_are_cooling_and_at_risk(demo: tuple[MemoryStore, Settings]) -> None:
    store, _ = demo
    props = tie(store, TOM, RAJESH)
    assert props["interaction_count"] == 12
    assert props["at_risk"] is True
    assert props["trend"] == "falling"
    assert props["attention_in_days"] < 0
    reasons = " | ".join(props["risk_reasons"])
    assert "overdue" in reasons and "activity falling" in reasons
    # Rajesh's curt "not for us this cycle", 38 days after Tom's proposal.
    assert "replies slowing: the last took 38 days" in reasons
    assert props["sentiment_trend"] == "cooling"
    # It was a stronger tie in the summer than it is now.
    summer = strength_at(store, a=TOM, b=RAJESH, at=datetime(2026, 7, 28, tzinfo=UTC))
    assert summer.strength > props["strength"] + 0.1
    # ...and the first warning was already there: Rajesh's slow reply of 8 July (demo/README.md).
    assert summer.risk_reasons == ["replies slowing: the last took 6 days against a usual 0.7"]


def test_maya_and_daniel_is_mayas_strongest_tie(demo: tuple[MemoryStore, Settings]) -> None:
    store, _ = demo
    [strongest] = store.neighbours(label=NodeLabel.PERSON, node_id=pid(store, MAYA), rel_types=[RelType.KNOWS], limit=1)
    assert strongest.node.id == pid(store, DANIEL)
    props = tie(store, MAYA, DANIEL)
    assert props["at_risk"] is False
    assert set(props["channels"]) >= {"email", "meeting", "call"}
    assert (
        tie(store, MAYA, DANIEL)["strength"] > tie(store, MAYA, HANA)["strength"] > tie(store, HANA, OMAR)["strength"]
    )


def test_the_stalled_procurement_question_is_flagged(demo: tuple[MemoryStore, Settings]) -> None:
    store, _ = demo
    props = tie(store, LEO, SITI)
    assert props["at_risk"] is True
    assert any(r.startswith("no reply to the last 2 messages, sent since 2026-09-21") for r in props["risk_reasons"])
    assert props["unanswered_by"] == pid(store, SITI)


def test_the_newsletter_is_down_weighted(demo: tuple[MemoryStore, Settings]) -> None:
    store, settings = demo
    now = tie(store, MAYA, NEWSLETTER)["strength"]
    # The same formula with broadcast down-weighting switched off.
    rebuild_knows(store, settings=settings, config=ScoringConfig(free_recipients=1_000), infer=False)
    undamped = tie(store, MAYA, NEWSLETTER)["strength"]
    rebuild_knows(store, settings=settings)
    assert tie(store, MAYA, NEWSLETTER)["strength"] == now
    assert now < undamped / 2
    assert now < OLD_NEWSLETTER_STRENGTH
    assert now < tie(store, DANIEL, OMAR)["strength"]  # one real email beats a bulk mailing


def test_omar_is_reached_through_inference_and_warm_paths(demo: tuple[MemoryStore, Settings]) -> None:
    store, _ = demo
    team = [pid(store, e) for e in (MAYA, TOM, LEO, "priya.raman@northlight.tv")]
    [omar] = team_view(store, team=team, contacts=[OMAR])
    assert omar.best is not None
    assert omar.best.kind == "inferred" and omar.best.member_id == pid(store, MAYA)  # nobody has talked to him
    [path, *_] = store.k_best_paths(sources=team, targets=[pid(store, OMAR)], max_hops=3, k=3)
    assert path.node_ids[:2] == [pid(store, MAYA), pid(store, DANIEL)]
