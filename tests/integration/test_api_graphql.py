"""The whole GraphQL API over real HTTP: `tellgraph serve` in its own process, the demo data in the real Neo4j."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from rich.console import Console
from starlette.testclient import TestClient

from tellgraph.api.app import create_app
from tellgraph.demo import load_demo
from tellgraph.graph.factory import open_store
from tellgraph.graph.neo4j_store import Neo4jStore
from tellgraph.settings import Settings, StoreKind
from tests.integration.api_server import ADMIN, EDITOR, TOKENS, VIEWER, serve
from tests.stores import open_neo4j

MAYA = "maya.chen@northlight.tv"
TOM = "tom.okafor@northlight.tv"
PRIYA = "priya.raman@northlight.tv"
OMAR = "omar.haddad@the-afc.example"
DANIEL = "daniel.wu@meridian.example"
GRAPHQL_RESPONSE = "application/graphql-response+json"
INJECTIONS = [
    'x"}) MATCH (n) DETACH DELETE n //',
    "x' OR 1=1 //",
    "}) RETURN 1 UNION MATCH (n) DETACH DELETE n //",
    "name) DETACH DELETE (n",
    "*:*",
    '\\") OR "a"="a',
    "AND OR NOT ~ ^ [ ] { } : / \\",
    "$id",
    "p_000' } ) WITH 1 AS x CALL db.clearQueryCaches() //",
]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = open_neo4j()
    store.close()
    load_demo(settings=Settings(), console=Console(quiet=True))
    with serve(tmp_path_factory.mktemp("api")) as base:
        yield base


def post(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = VIEWER,
    accept: str = "application/json",
) -> httpx.Response:
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=60
    )


def data(url: str, query: str, variables: dict[str, Any] | None = None, *, token: str = VIEWER) -> Any:
    body = post(url, query, variables, token=token).json()
    assert "errors" not in body, body
    return body["data"]


# -- contract operations ------------------------------------------------------------------


def test_person_company_and_relationship(url: str) -> None:
    found = data(
        url,
        """query($e: String) { person(email: $e) { id name emails degree lastInteraction company { name }
             relationships(first: 1) { totalCount edges { node { strength other { name } } } } } }""",
        {"e": MAYA},
    )["person"]
    assert found["name"] == "Maya Chen" and found["company"] == {"name": "Northlight Productions"}
    assert found["relationships"]["edges"][0]["node"]["other"]["name"] == "Daniel Wu"
    assert found["degree"] == found["relationships"]["totalCount"] > 10
    by_id = data(url, "query($id: ID) { person(id: $id) { name } }", {"id": found["id"]})
    assert by_id == {"person": {"name": "Maya Chen"}}
    rel = data(url, f'{{ relationship(a: "{MAYA}", b: "{DANIEL}") {{ interactionCount strength person {{ name }} }} }}')
    assert rel["relationship"]["interactionCount"] >= 20 and rel["relationship"]["person"]["name"] == "Maya Chen"


def test_warm_intro_paths_to_omar_and_to_the_afc(url: str) -> None:
    paths = data(
        url,
        """query($from: [String!]!, $to: String!) { warmIntroPaths(from: $from, to: $to, maxHops: 3, first: 5) {
             score rawScore collapsed explanation warnings
             hops { from { name } to { name } strength lastInteraction stale } } }""",
        {"from": [MAYA, TOM, PRIYA], "to": OMAR},
    )["warmIntroPaths"]
    introducers = [p["hops"][0]["to"]["name"] for p in paths]
    assert introducers[:2] == ["Daniel Wu", "Hana Sato"], paths
    assert all(len(p["hops"]) >= 2 for p in paths), "nobody at Northlight knows Omar directly"
    assert [p["score"] for p in paths] == sorted((p["score"] for p in paths), reverse=True)
    assert "Ask Daniel Wu to introduce Maya Chen to Omar Haddad" in paths[0]["explanation"]
    assert paths[0]["hops"][0]["lastInteraction"].startswith("2026-11-13")
    via = [frozenset(h["to"]["name"] for h in p["hops"][:-1]) for p in paths]
    assert len(via) == len(set(via)), "paths through the same people are collapsed"
    company = data(
        url,
        'query($from: [String!]!) { warmIntroPaths(from: $from, to: "the-afc.example", first: 3) '
        "{ hops { to { name } } } }",
        {"from": [MAYA, PRIYA]},
    )
    targets = {p["hops"][-1]["to"]["name"] for p in company["warmIntroPaths"]}
    assert targets <= {"Hana Sato", "Kenji Watanabe", "Omar Haddad", "Siti Rahman"} and "Hana Sato" in targets


def test_search_finds_people_and_communications(url: str) -> None:
    hits = data(
        url,
        """{ search(query: "Omar Haddad", first: 5) { totalCount edges { cursor node { score matchedBy
             node { __typename ... on Person { name } ... on Communication { subject } } } } } }""",
    )["search"]
    assert hits["edges"][0]["node"]["node"] == {"__typename": "Person", "name": "Omar Haddad"}
    exact = data(
        url,
        "query($q: String!) { search(query: $q, first: 1) "
        "{ edges { node { matchedBy node { ... on Person { name } } } } } }",
        {"q": OMAR},
    )
    assert exact["search"]["edges"][0]["node"]["node"] == {"name": "Omar Haddad"}
    assert "exact" in exact["search"]["edges"][0]["node"]["matchedBy"]
    # projects, topics and the goal named after the package rank first; its messages follow
    mail = data(url, '{ search(query: "rights package", first: 15) { edges { node { node { __typename } } } } }')
    assert "Communication" in {e["node"]["node"]["__typename"] for e in mail["search"]["edges"]}


def test_lists_filters_node_and_network(url: str) -> None:
    team = data(
        url,
        '{ people(filter: {emailDomain: "northlight.tv"}, orderBy: {field: STRENGTH}) '
        "{ totalCount edges { node { name } } } }",
    )
    assert team["people"]["totalCount"] == 4 and team["people"]["edges"][0]["node"]["name"] == "Maya Chen"
    companies = data(
        url, '{ companies(filter: {nameContains: "meridian"}) { edges { node { id domain peopleCount } } } }'
    )
    company = next(e["node"] for e in companies["companies"]["edges"] if e["node"]["domain"] == "meridian.example")
    again = data(
        url, "query($id: ID!) { company(id: $id) { domain } node(id: $id) { __typename } }", {"id": company["id"]}
    )
    assert again == {"company": {"domain": "meridian.example"}, "node": {"__typename": "Company"}}
    graph = data(
        url,
        f'{{ network(center: "{OMAR}", depth: 2, limit: 12) '
        "{ truncated nodes { depth person { name } } edges { source target strength } } }",
    )
    names = {n["person"]["name"]: n["depth"] for n in graph["network"]["nodes"]}
    assert names["Omar Haddad"] == 0 and names["Daniel Wu"] == 1 and names["Hana Sato"] == 1
    assert names.get("Maya Chen") == 2 and len(names) <= 12
    ids = {n for e in graph["network"]["edges"] for n in (e["source"], e["target"])}
    assert len(ids) <= 12


def test_pagination_walks_every_item_once(url: str) -> None:
    query = """query($e: String, $after: String) { person(email: $e) { relationships(first: 7, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { strength other { id } } } }
      timeline(first: 25, after: $after) { totalCount } } }"""
    seen: list[str] = []
    strengths: list[float] = []
    after = None
    while True:
        rels = data(
            url, query.replace("timeline(first: 25, after: $after) { totalCount }", ""), {"e": MAYA, "after": after}
        )["person"]["relationships"]
        seen += [e["node"]["other"]["id"] for e in rels["edges"]]
        strengths += [e["node"]["strength"] for e in rels["edges"]]
        if not rels["pageInfo"]["hasNextPage"]:
            break
        after = rels["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == rels["totalCount"]
    assert strengths == sorted(strengths, reverse=True)
    timeline_query = """query($e: String, $after: String) { person(email: $e) { timeline(first: 25, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id timestamp } } } } }"""
    comms: list[tuple[str, str]] = []
    after = None
    while True:
        page = data(url, timeline_query, {"e": MAYA, "after": after})["person"]["timeline"]
        comms += [(e["node"]["timestamp"], e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(comms) == len(set(comms)) == page["totalCount"] > 50
    assert comms == sorted(comms, reverse=True)


# -- auth ------------------------------------------------------------------------------------


def _log(email_a: str, email_b: str, **extra: str) -> str:
    fields = " ".join(f'{k}: "{v}"' for k, v in extra.items())
    return f"""mutation {{ logInteraction(input: {{channel: MEETING, timestamp: "2026-11-12T10:00:00Z", {fields}
      participants: [{{email: "{email_a}", role: ORGANIZER, name: "Test Organiser"}},
                     {{email: "{email_b}", name: "Test Guest"}}]}}) {{
      __typename ... on LogInteractionSuccess {{ created relationshipsUpdated
        communication {{ id participants {{ person {{ id name }} }} }} }}
      ... on UserError {{ message field }} }} }}"""


def test_every_mutation_checks_the_role(url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    cases = [
        (_log(f"auth-a-{tag}@example.org", f"auth-b-{tag}@example.org"), EDITOR, VIEWER),
        (
            f'mutation {{ updatePerson(id: "{MAYA}", input: {{phones: ["+44 20 7946 0999"]}}) {{ __typename }} }}',
            EDITOR,
            VIEWER,
        ),
        ('mutation { mergePeople(keepId: "p_missing_1", mergeId: "p_missing_2") { __typename } }', EDITOR, VIEWER),
        ('mutation { splitPerson(auditId: "a_missing") { __typename } }', EDITOR, VIEWER),
        ('mutation { forgetPerson(id: "p_missing") { __typename } }', ADMIN, EDITOR),
    ]
    for mutation, allowed, weaker in cases:
        assert post(url, mutation, token=None).status_code == 401
        refused = post(url, mutation, token=weaker).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
        assert refused["data"] is None
        done = post(url, mutation, token=allowed).json()
        assert "errors" not in done, done
        assert next(iter(done["data"].values()))["__typename"].endswith(("Success", "NotFoundError"))


# -- mutations against Neo4j ---------------------------------------------------------------


def test_log_merge_split_update_and_forget(url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    a, b = f"first-{tag}@example.org", f"second-{tag}@example.org"
    logged = data(url, _log(a, b, subject=f"Intro {tag}"), token=EDITOR)["logInteraction"]
    assert logged["__typename"] == "LogInteractionSuccess" and logged["created"] and logged["relationshipsUpdated"] == 1
    again = data(url, _log(a, b, subject=f"Intro {tag}"), token=EDITOR)["logInteraction"]
    assert again["created"] is False and again["communication"]["id"] == logged["communication"]["id"]
    ids = {p["person"]["name"]: p["person"]["id"] for p in logged["communication"]["participants"]}
    rel = data(url, f'{{ relationship(a: "{a}", b: "{b}") {{ interactionCount strength }} }}')["relationship"]
    assert rel["interactionCount"] == 1 and rel["strength"] > 0
    # a third address for the same guest, logged separately, then merged and split again
    c = f"third-{tag}@example.org"
    third = data(url, _log(a, c), token=EDITOR)["logInteraction"]
    third_id = next(
        p["person"]["id"] for p in third["communication"]["participants"] if p["person"]["id"] not in ids.values()
    )
    merged = data(
        url,
        f'mutation {{ mergePeople(keepId: "{ids["Test Guest"]}", mergeId: "{third_id}", evidence: ["same guest"]) {{'
        " __typename ... on MergePeopleSuccess { person { emails } auditEntry { id action } }"
        " ... on UserError { message } } }",
        token=EDITOR,
    )["mergePeople"]
    assert merged["__typename"] == "MergePeopleSuccess", merged
    assert set(merged["person"]["emails"]) >= {b, c}
    split = data(
        url,
        f'mutation {{ splitPerson(auditId: "{merged["auditEntry"]["id"]}") '
        "{ __typename ... on SplitPersonSuccess { auditEntry { action } } } }",
        token=EDITOR,
    )["splitPerson"]
    assert split["__typename"] == "SplitPersonSuccess"
    updated = data(
        url,
        f'mutation {{ updatePerson(id: "{a}", input: {{name: "Ada Example", title: "Producer", '
        'companyDomain: "example.org"}) { __typename ... on UpdatePersonSuccess '
        "{ person { name title company { domain } } auditEntry { action } } } }",
        token=EDITOR,
    )["updatePerson"]
    assert updated["person"] == {"name": "Ada Example", "title": "Producer", "company": {"domain": "example.org"}}
    conflict = data(
        url,
        f'mutation {{ updatePerson(id: "{a}", input: {{addEmails: ["{MAYA}"]}}) '
        "{ __typename ... on UserError { field message } } }",
        token=EDITOR,
    )
    assert conflict["updatePerson"]["field"] == "addEmails"
    forgotten = data(
        url,
        f'mutation {{ forgetPerson(id: "{a}") {{ __typename ... on ForgetPersonSuccess '
        "{ personId identitiesRemoved communicationsRedacted auditEntry { action details } } } }",
        token=ADMIN,
    )["forgetPerson"]
    assert forgotten["__typename"] == "ForgetPersonSuccess" and forgotten["identitiesRemoved"] == 1
    assert forgotten["communicationsRedacted"] == 2  # the intro and the third-address meeting were 1:1
    assert a not in str(forgotten["auditEntry"]) and "Ada" not in str(forgotten["auditEntry"])
    erased = data(
        url, "query($id: ID) { person(id: $id) { name emails erased degree } }", {"id": forgotten["personId"]}
    )
    assert erased["person"] == {"name": None, "emails": [], "erased": True, "degree": 2}
    gone = post(url, f'{{ person(email: "{a}") {{ id }} }}').json()
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    redacted = data(
        url,
        "query($id: ID!) { node(id: $id) { ... on Communication { subject redacted } } }",
        {"id": logged["communication"]["id"]},
    )
    assert redacted["node"] == {"subject": None, "redacted": True}


# -- limits and injection ----------------------------------------------------------------------


def _refused_fast(url: str, query: str) -> dict[str, Any]:
    started = time.monotonic()
    response = post(url, query, accept=GRAPHQL_RESPONSE)
    elapsed = time.monotonic() - started
    assert response.status_code in (400, 413), response.text
    assert elapsed < 1.0, elapsed
    return response.json()["errors"][0]  # type: ignore[no-any-return]


def test_expensive_queries_are_refused_fast(url: str) -> None:
    inner = "name"
    for _ in range(10):
        inner = f"relationships(first: 100) {{ edges {{ node {{ other {{ {inner} }} }} }} }}"
    deep = _refused_fast(url, f'{{ person(email: "{MAYA}") {{ {inner} }} }}')
    assert deep["extensions"]["code"] in ("QUERY_TOO_DEEP", "QUERY_TOO_COMPLEX")
    wide = (
        "{ people(first: 100) { edges { node { relationships(first: 100) { edges { node { other { name } } } } } } } }"
    )
    assert _refused_fast(url, wide)["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    huge = "{ __typename " + "n " * 5000 + "}"
    assert "tokens" in _refused_fast(url, huge)["message"]
    aliases = "{ " + " ".join(f'a{i}: person(email: "{MAYA}") {{ name }}' for i in range(100)) + " }"
    assert _refused_fast(url, aliases)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    giant = "{ " + "x" * 300_000 + " }"
    started = time.monotonic()
    response = post(url, giant)
    assert response.status_code == 413 and time.monotonic() - started < 2.0


def _counts(url: str) -> dict[str, int]:
    stats = data(url, "{ stats { nodes { name count } edges { name count } } }")["stats"]
    return {f"n:{e['name']}": e["count"] for e in stats["nodes"]} | {
        f"e:{e['name']}": e["count"] for e in stats["edges"]
    }


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_strings_are_data_in_every_argument(url: str, evil: str) -> None:
    before = _counts(url)
    reads = [
        ("query($v: String) { person(email: $v) { id } }", {"v": evil}),
        ("query($v: ID) { person(id: $v) { id } }", {"v": evil}),
        ("query($v: String!) { relationship(a: $v, b: $v) { strength } }", {"v": evil}),
        (f'query($v: String!) {{ relationship(a: "{MAYA}", b: $v) {{ strength }} }}', {"v": evil}),
        ("query($v: String!) { warmIntroPaths(from: [$v], to: $v) { score } }", {"v": evil}),
        (f'query($v: String!) {{ warmIntroPaths(from: ["{MAYA}"], to: $v) {{ score }} }}', {"v": evil}),
        ("query($v: String!) { search(query: $v) { totalCount edges { node { score } } } }", {"v": evil}),
        ("query($v: String) { company(domain: $v) { id } }", {"v": evil}),
        ("query($v: ID) { company(id: $v) { id } }", {"v": evil}),
        ("query($v: String) { people(filter: {nameContains: $v, emailDomain: $v}) { totalCount } }", {"v": evil}),
        ("query($v: String) { people(filter: {company: $v}) { totalCount } }", {"v": evil}),
        ("query($v: ID!) { people(filter: {ids: [$v]}) { totalCount } }", {"v": evil}),
        ("query($v: String) { people(after: $v) { totalCount } }", {"v": evil}),
        ("query($v: String) { companies(filter: {nameContains: $v, domain: $v}) { totalCount } }", {"v": evil}),
        ("query($v: ID!) { node(id: $v) { id } nodes(ids: [$v]) { id } }", {"v": evil}),
        ("query($v: String!) { network(center: $v) { truncated } }", {"v": evil}),
        (
            f'query($v: String) {{ person(email: "{MAYA}") '
            "{ timeline(after: $v) { totalCount } relationships(after: $v) { totalCount } } }",
            {"v": evil},
        ),
    ]
    for query, variables in reads:
        body = post(url, query, variables).json()
        codes = {e["extensions"]["code"] for e in body.get("errors", [])}
        assert codes <= {"NOT_FOUND", "INVALID_INPUT"}, (query, body)
        assert "Traceback" not in str(body)
    writes = [
        ("mutation($v: ID!) { forgetPerson(id: $v) { __typename } }", ADMIN),
        ("mutation($v: ID!) { mergePeople(keepId: $v, mergeId: $v) { __typename } }", EDITOR),
        ('mutation($v: ID!) { mergePeople(keepId: $v, mergeId: "p_x") { __typename } }', EDITOR),
        ("mutation($v: ID!) { splitPerson(auditId: $v) { __typename } }", EDITOR),
        ('mutation($v: ID!) { updatePerson(id: $v, input: {title: "x"}) { __typename } }', EDITOR),
    ]
    for query, token in writes:
        body = post(url, query, {"v": evil}, token=token).json()
        assert "errors" not in body, body
        assert next(iter(body["data"].values()))["__typename"] in ("NotFoundError", "InvalidInputError")
    assert _counts(url) == before, "nothing was deleted or created"
    # Written as data, read back verbatim.
    tag = uuid.uuid4().hex[:8]
    stored = post(
        url,
        """mutation($v: String!, $e: String!) { logInteraction(input: {channel: CALL, timestamp: "2026-11-10T09:00:00Z",
             subject: $v, text: $v, externalId: $v,
             participants: [{email: $e, name: $v, role: ORGANIZER}, {email: "guest@example.org"}]}) {
             __typename ... on LogInteractionSuccess { communication { subject } } } }""",
        {"v": evil, "e": f"evil-{tag}@example.org"},
        token=EDITOR,
    ).json()
    result = stored["data"]["logInteraction"]
    assert result["__typename"] == "LogInteractionSuccess" and result["communication"]["subject"] == evil
    updated = post(
        url,
        "mutation($v: String!, $id: ID!) { updatePerson(id: $id, input: {title: $v, companyName: $v}) "
        "{ __typename ... on UpdatePersonSuccess { person { title } } } }",
        {"v": evil, "id": f"evil-{tag}@example.org"},
        token=EDITOR,
    ).json()
    assert updated["data"]["updatePerson"]["person"]["title"] == evil


# -- GraphQL over HTTP basics ------------------------------------------------------------------


def test_http_semantics(url: str) -> None:
    auth = {"Authorization": f"Bearer {VIEWER}"}
    got = httpx.get(f"{url}/graphql", params={"query": f'{{ person(email: "{MAYA}") {{ name }} }}'}, headers=auth)
    assert got.status_code == 200 and got.json() == {"data": {"person": {"name": "Maya Chen"}}}
    mutation = httpx.get(
        f"{url}/graphql", params={"query": 'mutation { forgetPerson(id: "x") { __typename } }'}, headers=auth
    )
    assert mutation.status_code == 405
    wrong_type = httpx.post(f"{url}/graphql", content=b"query=x", headers={**auth, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    invalid = post(url, "{ nope }", accept=GRAPHQL_RESPONSE)
    assert invalid.status_code == 400 and invalid.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in invalid.json()
    assert httpx.get(f"{url}/graphql", headers={"Accept": "text/html"}).status_code == 200  # GraphiQL
    assert httpx.delete(f"{url}/graphql", headers=auth).status_code == 405


# -- in-process against the same Neo4j ----------------------------------------------------------


def test_no_n_plus_one_against_neo4j(url: str) -> None:
    settings = Settings(store=StoreKind.NEO4J, api_tokens=SecretStr(TOKENS))
    store = open_store(settings=settings)
    assert isinstance(store, Neo4jStore)
    query = """query($n: Int) { people(first: $n, orderBy: {field: DEGREE}) { edges { node {
      name degree company { name }
      relationships(first: 3) { totalCount edges { node { strength other { name company { name } } } } } } } } }"""
    try:
        with TestClient(create_app(store=store, settings=settings)) as client:
            counts = []
            for first in (5, 50):
                before = store.queries_run
                response = client.post(
                    "/graphql",
                    json={"query": query, "variables": {"n": first}},
                    headers={"Authorization": f"Bearer {VIEWER}"},
                )
                body = response.json()
                assert "errors" not in body and len(body["data"]["people"]["edges"]) == first, body
                counts.append(store.queries_run - before)
    finally:
        store.close()
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def test_store_down_is_503_and_fast() -> None:
    settings = Settings(
        store=StoreKind.NEO4J,
        neo4j_uri="bolt://127.0.0.1:1",
        neo4j_connect_timeout=1.0,
        api_tokens=SecretStr(TOKENS),
        api_timeout=4.0,
    )
    store = open_store(settings=settings, check=False)
    query = {"query": f'{{ person(email: "{MAYA}") {{ name }} }}'}
    auth = {"Authorization": f"Bearer {VIEWER}"}
    try:
        with TestClient(create_app(store=store, settings=settings)) as client:
            # The driver retries a refused connection for a while: the first request waits for the
            # request timeout, then a probe finds the store down and the answer is a 503.
            started = time.monotonic()
            first = client.post("/graphql", json=query, headers=auth)
            assert first.status_code == 503 and time.monotonic() - started < 10
            error = first.json()["errors"][0]
            assert error["extensions"]["code"] == "UNAVAILABLE" and "bolt://127.0.0.1:1" in error["message"]
            # Now the outage is known: the next requests are refused at once.
            started = time.monotonic()
            assert client.post("/graphql", json=query, headers=auth).status_code == 503
            assert time.monotonic() - started < 1.0
            health = client.get("/healthz")
            assert health.status_code == 503 and "bolt://127.0.0.1:1" in health.json()["reason"]
    finally:
        store.close()
