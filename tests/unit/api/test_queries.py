"""The read API end to end in process: people, companies, search, network, node."""

from __future__ import annotations

from tests.unit.api.conftest import Api


def test_people_filters_and_orders(api: Api) -> None:
    query = """query($f: PersonFilter, $o: PersonOrder) { people(filter: $f, orderBy: $o) {
      totalCount edges { node { id degree lastInteraction } } } }"""

    def ids(filter: dict[str, object] | None = None, order: dict[str, object] | None = None) -> list[str]:
        data = api.data(query, {"f": filter, "o": order})
        return [e["node"]["id"] for e in data["people"]["edges"]]

    assert ids({"company": "afc.example"}) == ["b", "z"]
    assert ids({"company": "c_afc", "nameContains": "omar"}) == ["z"]
    assert ids({"emailDomain": "north.tv", "isTeam": True}) == ["t1", "t2"]
    assert ids(order={"field": "STRENGTH"}) == ["t1", "a", "b", "z", "t2", "l", "n"]
    assert ids(order={"field": "DEGREE", "direction": "ASC"})[:3] == ["n", "l", "t2"]
    missing = api.post(query, {"f": {"company": "nowhere.example"}}).json()
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_companies_and_their_people(api: Api) -> None:
    data = api.data(
        """{ companies(orderBy: {field: PEOPLE}) { totalCount edges { node { id peopleCount lastInteraction
             people { totalCount edges { node { current person { id } } } } } } } }"""
    )
    first = data["companies"]["edges"][0]["node"]
    assert first["id"] == "c_afc" and first["peopleCount"] == 2
    assert {(e["node"]["person"]["id"], e["node"]["current"]) for e in first["people"]["edges"]} == {
        ("b", True),
        ("z", True),
        ("l", False),
    }
    assert api.data('{ company(domain: "AFC.example") { id name } }') == {
        "company": {"id": "c_afc", "name": "Asian Football Confederation"}
    }


def test_relationship_and_person(api: Api) -> None:
    data = api.data(
        """{ relationship(a: "maya@north.tv", b: "a") { strength interactionCount person { name } other { name } }
             person(id: "b") { name title company { id } degree emails isTeam erased } }"""
    )
    assert data["relationship"] == {
        "strength": 0.9,
        "interactionCount": 3,
        "person": {"name": "Maya Chen"},
        "other": {"name": "Daniel Wu"},
    }
    assert data["person"] == {
        "name": "Hana Sato",
        "title": "Director of Media Rights",
        "company": {"id": "c_afc"},
        "degree": 2,
        "emails": ["hana@afc.example"],
        "isTeam": False,
        "erased": False,
    }


def test_warm_intro_paths_over_the_api(api: Api) -> None:
    paths = api.data(
        """{ warmIntroPaths(from: ["maya@north.tv"], to: "omar@afc.example") {
             score rawScore length collapsed explanation hops { from { id } to { id } strength stale } } }"""
    )["warmIntroPaths"]
    assert [[h["to"]["id"] for h in p["hops"]] for p in paths] == [["a", "z"], ["b", "z"]]
    assert paths[0]["score"] == paths[0]["rawScore"] == 0.27
    company = api.data('{ warmIntroPaths(from: ["t1"], to: "c_afc", first: 2) { hops { to { id } } } }')
    assert [[h["to"]["id"] for h in p["hops"]] for p in company["warmIntroPaths"]] == [["b"], ["a", "z"]]


def test_search_node_and_network(api: Api) -> None:
    hits = api.data(
        """{ search(query: "omar haddad", first: 2) { totalCount semantic edges { node { matchedBy
             node { __typename ... on Person { id name } } } } } }"""
    )["search"]
    assert [e["node"]["node"]["id"] for e in hits["edges"]] == ["z", "l"]
    assert hits["semantic"] is True  # Maya's world has person embeddings (the test embedder stands in for MiniLM)
    broadcast = api.data(
        '{ search(query: "broadcast", first: 1) { edges { node { matchedBy node { ... on Person { id } } } } } }'
    )
    assert broadcast["search"]["edges"][0]["node"] == {"matchedBy": ["semantic"], "node": {"id": "a"}}
    found = api.data(
        """{ node(id: "m2") { __typename id ... on Communication { subject participants { role person { id } } } }
             nodes(ids: ["c_afc", "ghost", "z"]) { __typename id } }"""
    )
    assert found["node"]["participants"] == [
        {"role": "from", "person": {"id": "a"}},
        {"role": "to", "person": {"id": "t1"}},
        {"role": "cc", "person": {"id": "z"}},
    ]
    assert found["nodes"] == [{"__typename": "Company", "id": "c_afc"}, None, {"__typename": "Person", "id": "z"}]
    graph = api.data('{ network(center: "t1", depth: 1, limit: 3) { nodes { id depth } edges { source target } } }')
    assert graph["network"]["nodes"] == [{"id": "t1", "depth": 0}, {"id": "a", "depth": 1}, {"id": "t2", "depth": 1}]
    assert len(graph["network"]["edges"]) == 2
    too_big = api.post('{ network(center: "t1", limit: 300) { truncated } }').json()
    assert too_big["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
