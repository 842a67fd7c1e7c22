"""relationshipHealth: the team's ties that are due, at risk or cooling, from the scores on KNOWS edges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Edge, Identity, Person, PropValue
from tellgraph.services.health import HealthKind, classify
from tests.unit.api.conftest import Api, api_settings, make_api

AS_OF = datetime(2026, 11, 13, tzinfo=UTC)

QUERY = """query($people: [String!]!, $kinds: [HealthKind!], $within: Int) {
  relationshipHealth(people: $people, kinds: $kinds, dueWithinDays: $within) {
    kinds atRisk riskReasons attentionInDays sentimentTrend preferredChannel priority
    relationship { strength nextContactDue person { name } other { name } } } }"""


def _tie(a: str, b: str, strength: float, *, silent_days: int, **props: PropValue) -> Edge:
    return Edge(
        type=RelType.KNOWS,
        src_label=NodeLabel.PERSON,
        src_id=a,
        dst_label=NodeLabel.PERSON,
        dst_id=b,
        props={
            "strength": strength,
            "interaction_count": 5,
            "as_of": AS_OF,
            "last_interaction": AS_OF - timedelta(days=silent_days),
            **props,
        },
    )


@pytest.fixture
def api() -> Iterator[Api]:
    store = MemoryStore()
    store.upsert_entities(
        entities=[
            Person(id="t1", name="Maya Chen", emails=["maya@north.tv"], is_team=True),
            Person(id="t2", name="Tom Okafor", emails=["tom@north.tv"], is_team=True),
            Person(id="d", name="Daniel Wu"),
            Person(id="r", name="Rajesh Iyer"),
            Person(id="k", name="Kim Lee"),
            Person(id="o", name="Old Friend"),
            Person(id="f", name="Fine Fellow"),
            Identity(id="email:maya@north.tv", kind="email", value="maya@north.tv"),
        ]
    )
    now = AS_OF
    store.upsert_edges(
        edges=[
            _tie("t1", "d", 0.86, silent_days=0, attention_in_days=2, trend="rising", sentiment_trend="steady"),
            _tie(
                "t2",
                "r",
                0.5,
                silent_days=40,
                attention_in_days=-20,
                at_risk=True,
                risk_reasons=["2 unanswered messages since 2026-10-01"],
                sentiment_trend="cooling",
                preferred_channel="email",
            ),
            _tie("t1", "k", 0.3, silent_days=10, attention_in_days=30, trend="falling"),
            # Silent for years: dormant, never due however overdue.
            _tie("t1", "o", 0.2, silent_days=2000, attention_in_days=-1900),
            _tie("t1", "f", 0.7, silent_days=3, attention_in_days=40, sentiment_trend="steady"),
            # A tie inside the team is not on the team's list.
            _tie("t1", "t2", 0.9, silent_days=0, attention_in_days=-5, at_risk=True),
            Edge(
                type=RelType.IDENTIFIES,
                src_label=NodeLabel.IDENTITY,
                src_id="email:maya@north.tv",
                dst_label=NodeLabel.PERSON,
                dst_id="t1",
            ),
        ],
        now=now,
    )
    yield from make_api(store, api_settings())


def test_health_lists_due_at_risk_and_cooling_ties_most_urgent_first(api: Api) -> None:
    items = api.data(QUERY, {"people": ["maya@north.tv", "t2"]})["relationshipHealth"]
    pairs = [(i["relationship"]["person"]["name"], i["relationship"]["other"]["name"]) for i in items]
    assert pairs == [("Tom Okafor", "Rajesh Iyer"), ("Maya Chen", "Daniel Wu"), ("Maya Chen", "Kim Lee")]
    rajesh, daniel, kim = items
    assert rajesh["kinds"] == ["DUE", "AT_RISK", "COOLING"] and rajesh["atRisk"]
    assert rajesh["riskReasons"] == ["2 unanswered messages since 2026-10-01"]
    assert rajesh["attentionInDays"] == -20 and rajesh["preferredChannel"] == "email"
    assert rajesh["priority"] > daniel["priority"] > kim["priority"]
    assert daniel["kinds"] == ["DUE"] and daniel["relationship"]["strength"] == 0.86
    assert kim["kinds"] == ["COOLING"] and kim["sentimentTrend"] is None


def test_health_filters_by_kind_and_horizon(api: Api) -> None:
    at_risk = api.data(QUERY, {"people": ["t1", "t2"], "kinds": ["AT_RISK"]})["relationshipHealth"]
    assert [i["relationship"]["other"]["name"] for i in at_risk] == ["Rajesh Iyer"]
    # One person's list includes their ties to the rest of the team.
    toms = api.data(QUERY, {"people": ["t2"], "kinds": ["AT_RISK"]})["relationshipHealth"]
    assert [i["relationship"]["other"]["name"] for i in toms] == ["Maya Chen", "Rajesh Iyer"]
    due_soon = api.data(QUERY, {"people": ["t1", "t2"], "kinds": ["DUE"], "within": 45})["relationshipHealth"]
    assert [i["relationship"]["other"]["name"] for i in due_soon] == [
        "Rajesh Iyer",
        "Daniel Wu",
        "Fine Fellow",
        "Kim Lee",
    ]


def test_health_refuses_bad_input(api: Api) -> None:
    unknown = api.post(QUERY, {"people": ["nobody@nowhere.example"]}).json()
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    empty = api.post(QUERY, {"people": []}).json()
    assert empty["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    far = api.post(QUERY, {"people": ["t1"], "within": 1000}).json()
    assert "dueWithinDays" in far["errors"][0]["message"]


def test_classify_reads_the_scores() -> None:
    assert classify({"attention_in_days": 7}, due_within_days=7) == [HealthKind.DUE]
    assert classify({"attention_in_days": 8}, due_within_days=7) == []
    assert classify({"at_risk": True, "trend": "falling"}, due_within_days=7) == [
        HealthKind.AT_RISK,
        HealthKind.COOLING,
    ]
