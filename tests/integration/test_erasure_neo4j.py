"""forgetPerson over real HTTP on the demo graph in Neo4j: afterwards the person's name and addresses are in
no node, no relationship, no full-text index, no vector index result, no encrypted body and no server log.

The demo (mail, Slack, calendar, transcript, CRM, LinkedIn, resolution, scoring, goal, agents) puts Omar
Haddad, the goal's key target, in group emails, meeting names, intro drafts, goal targets and mention
snippets; the test adds a second address merged into him (an audit entry with undo data), a phone number,
a logged call and an embedding, then erases him.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from rich.console import Console

from tellgraph.demo import load_demo, run_demo_agents
from tellgraph.graph.factory import open_store
from tellgraph.ingest.crypto import BodyCipher
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.migrations import EMBEDDING_DIMENSIONS
from tellgraph.settings import Settings
from tests.erasure_scan import neo4j_hits, text_hits
from tests.integration.api_server import ADMIN, EDITOR, VIEWER, serve
from tests.stores import open_neo4j

OMAR = "omar.haddad@the-afc.example"
SECOND = "omar.h.private@example.net"
PHONE = "+971 50 555 0199"
TERMS = ["Omar Haddad", "Haddad, Omar", OMAR, SECOND, PHONE]
KEY = Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Settings]]:
    open_neo4j().close()  # clean, schema applied
    settings = Settings(store_raw_bodies=True, body_key=SecretStr(KEY))
    load_demo(settings=settings, console=Console(quiet=True))
    run_demo_agents(settings=settings, console=Console(quiet=True))
    logs = tmp_path_factory.mktemp("erasure")
    with serve(logs, TELLGRAPH_STORE_RAW_BODIES="true", TELLGRAPH_BODY_KEY=KEY, TELLGRAPH_API_RATE_LIMIT="0") as url:
        yield url, logs / "serve.log", settings


def _gql(url: str, query: str, variables: dict[str, object] | None = None, *, token: str = VIEWER) -> dict:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    body: dict = response.json()
    return body


def _data(url: str, query: str, variables: dict[str, object] | None = None, *, token: str = VIEWER) -> dict:
    body = _gql(url, query, variables, token=token)
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def test_forget_person_leaves_nothing_anywhere(demo: tuple[str, Path, Settings]) -> None:
    url, log, settings = demo
    omar = _data(url, "query($e: String) { person(email: $e) { id } }", {"e": OMAR})["person"]["id"]
    # A second address, merged into him (its audit entry keeps the address for undo), a phone, a call.
    _data(
        url,
        f'mutation {{ logInteraction(input: {{channel: CALL, timestamp: "2026-10-01T10:00:00Z", subject: '
        f'"Omar Haddad catch-up", participants: [{{email: "{SECOND}", name: "Omar Haddad", role: ORGANIZER}}, '
        '{email: "maya.chen@northlight.tv"}]}) { __typename } }',
        token=EDITOR,
    )
    second = _data(url, "query($e: String) { person(email: $e) { id } }", {"e": SECOND})["person"]["id"]
    merged = _data(
        url,
        'mutation($k: ID!, $m: ID!) { mergePeople(keepId: $k, mergeId: $m, evidence: ["Omar Haddad, same"]) '
        "{ __typename } }",
        {"k": omar, "m": second},
        token=EDITOR,
    )
    assert merged["mergePeople"]["__typename"] == "MergePeopleSuccess"
    _data(
        url,
        f'mutation($id: ID!) {{ updatePerson(id: $id, input: {{phones: ["{PHONE}"]}}) {{ __typename }} }}',
        {"id": omar},
        token=EDITOR,
    )
    # Lookups that put his address in request URLs (the access log must not keep them).
    httpx.get(
        f"{url}/graphql",
        params={"query": "query($e: String) { person(email: $e) { name } }", "variables": json.dumps({"e": OMAR})},
        headers={"Authorization": f"Bearer {VIEWER}"},
        timeout=60,
    )
    vector = [0.0] * EMBEDDING_DIMENSIONS
    vector[7] = 1.0
    store = open_store(settings=settings)
    try:
        store.set_node_props(label=NodeLabel.PERSON, node_id=omar, props={"embedding": vector})
        assert omar in [m.node.id for m in store.vector_search(label=NodeLabel.PERSON, vector=vector, limit=3)]
    finally:
        store.close()
    assert len(neo4j_hits(settings, TERMS)) > 20, "the demo must hold his data before the erasure"

    forgotten = _data(
        url,
        "mutation($id: ID!) { forgetPerson(id: $id) { __typename ... on ForgetPersonSuccess "
        "{ identitiesRemoved auditEntry { details } } } }",
        {"id": omar},
        token=ADMIN,
    )["forgetPerson"]
    assert forgotten["__typename"] == "ForgetPersonSuccess" and forgotten["identitiesRemoved"] == 2

    # Every property of every node and relationship, and both full-text indexes.
    assert neo4j_hits(settings, TERMS) == []
    store = open_store(settings=settings)
    try:
        # The vector index no longer knows him.
        nearest = store.vector_search(label=NodeLabel.PERSON, vector=vector, limit=10)
        assert omar not in [m.node.id for m in nearest]
        # Encrypted bodies of the messages about him.
        cipher = BodyCipher(key=KEY)
        named = []
        after = None
        while True:
            page = store.list_nodes(label=NodeLabel.COMMUNICATION, after=after, limit=500)
            for comm in page:
                token = comm.props.get("body_encrypted")
                if isinstance(token, str) and text_hits(cipher.decrypt(token), TERMS):
                    named.append(comm.id)
            if len(page) < 500:
                break
            after = page[-1].id
        assert named == []
    finally:
        store.close()
    # The API finds nothing, by address or by name.
    gone = _gql(url, "query($e: String) { person(email: $e) { id } }", {"e": OMAR})
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    found = _data(url, '{ search(query: "Omar Haddad", first: 50) { edges { node { __typename } } } }')
    assert text_hits(json.dumps(found), TERMS) == []
    # And the server's log never held any of it.
    assert text_hits(log.read_text(encoding="utf-8"), TERMS) == []
