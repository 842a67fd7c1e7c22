"""The suite's key operations through the routing driver (``neo4j://``), as a cluster or Aura would be used.

A single Community server answers the routing protocol with itself as router,
reader and writer, so ``neo4j://127.0.0.1:<bolt>`` exercises the same code path as a
cluster: a routing table is fetched, reads run as read transactions (routed to
readers) and writes as write transactions (routed to the leader), both retried by
the driver on transient errors. The answers must equal those through ``bolt://``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tellgraph.errors import StoreError
from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.graph.factory import open_store
from tellgraph.graph.queries import PersonQuery, TextIndex
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.scoring.derive import rebuild_knows
from tellgraph.settings import Settings, StoreKind
from tests.integration.api_server import EDITOR, VIEWER, serve

ROOT = Path(__file__).resolve().parents[2]
ENRON_SAMPLE = ROOT / "demo" / "enron-sample" / "maildir"
BADEER = "robert.badeer@enron.com"
NOW = datetime(2026, 1, 5, tzinfo=UTC)  # scores depend on the time of the run


def _routing_settings() -> Settings:
    settings = Settings(batch_size=25)
    scheme, _, rest = settings.neo4j_uri.partition("://")
    if scheme not in {"bolt", "neo4j"}:
        pytest.skip(f"the test server's URI {settings.neo4j_uri} is not bolt:// or neo4j://")
    return settings.model_copy(update={"neo4j_uri": f"neo4j://{rest}"})


@pytest.fixture
def routed(neo4j_store: GraphStore) -> Iterator[GraphStore]:
    """A store on the suite's server through ``neo4j://`` (the ``neo4j_store`` fixture cleans it first)."""
    store = open_store(settings=_routing_settings(), kind=StoreKind.NEO4J)
    try:
        yield store
    finally:
        store.close()


def _build(store: GraphStore) -> None:
    settings = Settings(batch_size=25)
    IngestRun(store=store, connector=MaildirConnector(path=ENRON_SAMPLE), settings=settings).run()
    rebuild_knows(store, settings=settings, now=NOW)


def test_the_routing_driver_is_used(routed: GraphStore) -> None:
    assert routed.uri.startswith("neo4j://")
    routed.ping()
    # Reads run in read transactions: a write sent down the read path is refused by the server,
    # which is what keeps reads on a cluster's followers safe.
    with pytest.raises(StoreError, match=r"AccessMode|read access mode"):
        routed._run("CREATE (:RoutingProbe) RETURN 1 AS one")  # type: ignore[attr-defined]
    [record] = routed._run("CREATE (n:RoutingProbe) RETURN count(n) AS written", write=True)  # type: ignore[attr-defined]
    assert record["written"] == 1
    routed._run("MATCH (n:RoutingProbe) DELETE n", write=True)  # type: ignore[attr-defined]


def test_key_operations_through_neo4j_uri_equal_bolt(routed: GraphStore, neo4j_store: GraphStore) -> None:
    # Writes (ingest, scoring) through the router ...
    _build(routed)
    through_router = routed.checksum()
    counts = routed.counts()
    assert counts.nodes["Communication"] > 100 and counts.edges["KNOWS"] > 10
    # ... give the same graph as through a direct connection.
    neo4j_store.clear()
    _build(neo4j_store)
    assert neo4j_store.counts() == counts
    assert neo4j_store.checksum() == through_router

    # Reads answer the same through either.
    ids = routed.resolve_identities(keys=[f"email:{BADEER}"])
    badeer = ids[f"email:{BADEER}"]
    assert ids == neo4j_store.resolve_identities(keys=[f"email:{BADEER}"])
    people = routed.query_people(query=PersonQuery(email_domain="enron.com", limit=20))
    assert people == neo4j_store.query_people(query=PersonQuery(email_domain="enron.com", limit=20))
    neighbours = routed.neighbours_many(label=NodeLabel.PERSON, node_ids=[badeer], rel_types=[RelType.KNOWS])
    assert neighbours == neo4j_store.neighbours_many(
        label=NodeLabel.PERSON, node_ids=[badeer], rel_types=[RelType.KNOWS]
    )
    target = max(neighbours[badeer], key=lambda n: n.node.id).node.id
    others = [p.node.id for p in people.rows if p.node.id not in {badeer, target}][:3]
    paths = routed.k_best_paths(sources=others, targets=[target], max_hops=3, k=3)
    assert paths == neo4j_store.k_best_paths(sources=others, targets=[target], max_hops=3, k=3)
    search = routed.text_search(index=TextIndex.COMMUNICATIONS, terms=["california"], limit=5)
    assert search and search == neo4j_store.text_search(index=TextIndex.COMMUNICATIONS, terms=["california"], limit=5)
    page = routed.communications_of(person_id=badeer, limit=5)
    assert page == neo4j_store.communications_of(person_id=badeer, limit=5)
    assert routed.latest_communication() == neo4j_store.latest_communication()


def test_the_api_serves_through_a_neo4j_uri(routed: GraphStore, tmp_path: Path) -> None:
    with serve(tmp_path, TELLGRAPH_NEO4J_URI=_routing_settings().neo4j_uri) as url:
        health = httpx.get(f"{url}/healthz", timeout=10).json()
        assert health == {"status": "ok", "store": _routing_settings().neo4j_uri}
        logged = httpx.post(
            f"{url}/graphql",
            json={
                "query": """mutation { logInteraction(input: {channel: CALL, timestamp: "2026-01-05T10:00:00Z",
                  participants: [{email: "ann@routing.example", role: ORGANIZER}, {email: "bo@routing.example"}]}) {
                  __typename ... on LogInteractionSuccess { created relationshipsUpdated } } }"""
            },
            headers={"Authorization": f"Bearer {EDITOR}"},
            timeout=30,
        ).json()
        assert logged["data"]["logInteraction"] == {
            "__typename": "LogInteractionSuccess",
            "created": True,
            "relationshipsUpdated": 1,
        }
        read = httpx.post(
            f"{url}/graphql",
            json={"query": '{ relationship(a: "ann@routing.example", b: "bo@routing.example") { interactionCount } }'},
            headers={"Authorization": f"Bearer {VIEWER}"},
            timeout=30,
        ).json()
        assert read == {"data": {"relationship": {"interactionCount": 1}}}
