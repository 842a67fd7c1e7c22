"""No N+1: a page of people with their companies and ties costs a fixed number of store calls."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.testclient import TestClient

from tellgraph.api.app import create_app
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Company, Edge, Person
from tests.unit.api.conftest import VIEWER, api_settings

NOW = datetime(2026, 11, 1, tzinfo=UTC)
QUERY = """query($n: Int) { people(first: $n) { totalCount edges { node {
  name degree lastInteraction company { name peopleCount }
  relationships(first: 3) { totalCount edges { node { strength other { name company { name } } } } } } } } }"""


def crowd(size: int = 60) -> MemoryStore:
    store = MemoryStore()
    companies = [Company(id=f"c{i}", name=f"Company {i}", domain=f"c{i}.example") for i in range(5)]
    people = [Person(id=f"p{i:03d}", name=f"Person {i:03d}", emails=[f"p{i}@c{i % 5}.example"]) for i in range(size)]
    store.upsert_entities(entities=[*companies, *people])
    edges = []
    for i in range(size):
        if i % 2 == 0:  # half have a recorded employer, the others fall back to their email domain
            edges.append(
                Edge(
                    type=RelType.WORKS_AT,
                    src_label=NodeLabel.PERSON,
                    src_id=f"p{i:03d}",
                    dst_label=NodeLabel.COMPANY,
                    dst_id=f"c{i % 5}",
                )
            )
        for j in (1, 2, 7):
            edges.append(
                Edge(
                    type=RelType.KNOWS,
                    src_label=NodeLabel.PERSON,
                    src_id=f"p{i:03d}",
                    dst_label=NodeLabel.PERSON,
                    dst_id=f"p{(i + j) % size:03d}",
                    props={"strength": round(0.1 + 0.01 * ((i * j) % 80), 3), "last_interaction": NOW},
                )
            )
    store.upsert_edges(edges=edges, now=NOW)
    return store


def calls_for(client: TestClient, first: int) -> int:
    runner = client.app.state.runner  # type: ignore[attr-defined]
    before = runner.calls
    response = client.post(
        "/graphql", json={"query": QUERY, "variables": {"n": first}}, headers={"Authorization": f"Bearer {VIEWER}"}
    )
    body = response.json()
    assert "errors" not in body, body
    assert len(body["data"]["people"]["edges"]) == first
    return int(runner.calls - before)


def test_store_calls_do_not_grow_with_the_page() -> None:
    with TestClient(create_app(store=crowd(), settings=api_settings())) as client:
        small, large = calls_for(client, 5), calls_for(client, 50)
    assert small == large
    # people, employers (+ the email-domain fallback), ties, company metrics, and the
    # second round for the companies of the people met through ties
    assert large <= 8, large


def test_every_person_has_the_right_company() -> None:
    with TestClient(create_app(store=crowd(10), settings=api_settings())) as client:
        body = client.post(
            "/graphql",
            json={"query": "{ people(first: 10) { edges { node { name company { id } } } } }"},
            headers={"Authorization": f"Bearer {VIEWER}"},
        ).json()
    companies = [e["node"]["company"]["id"] for e in body["data"]["people"]["edges"]]
    assert companies == [f"c{i % 5}" for i in range(10)]


def test_person_with_ties_is_one_store_call() -> None:
    store = crowd(10)
    headers = {"Authorization": f"Bearer {VIEWER}"}
    literal = '{ person(id: "p001") { name relationships(first: 3) { totalCount edges { node { other { id } } } } } }'
    variable = (
        'query($n: Int) { person(id: "p001") { name relationships(first: $n, after: null) '
        "{ totalCount edges { node { other { id } } } } } }"
    )
    with TestClient(create_app(store=store, settings=api_settings())) as client:
        runner = client.app.state.runner  # type: ignore[attr-defined]
        for query in (literal, variable):
            before = runner.calls
            body = client.post("/graphql", json={"query": query, "variables": {"n": 3}}, headers=headers).json()
            assert "errors" not in body, body
            person = body["data"]["person"]
            assert person["name"] and len(person["relationships"]["edges"]) == 3
            assert person["relationships"]["totalCount"] == store.degree(
                label=NodeLabel.PERSON, node_id="p001", rel_types=[RelType.KNOWS]
            )
            assert runner.calls - before == 1  # the person, their ties and their count come together
        missing = client.post(
            "/graphql", json={"query": '{ person(id: "nobody") { relationships { totalCount } } }'}, headers=headers
        ).json()
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        bad = client.post(
            "/graphql",
            json={"query": '{ person(id: "p001") { relationships(first: 1, after: "bad") { totalCount } } }'},
            headers=headers,
        ).json()
        assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
