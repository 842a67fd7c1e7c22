"""The web page, its bundle and the Neo4j Browser guide, served by the API app without a token."""

from __future__ import annotations

from pathlib import Path

import pytest

from tellgraph.api import browser_guide
from tellgraph.api.web import INDEX, STATIC_DIR
from tellgraph.errors import InvalidInput
from tests.unit.api.conftest import Api

ROOT = Path(__file__).resolve().parents[3]


def test_the_page_is_public_and_its_data_is_not(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/static/app.js?v=' in page.text
    script = api.client.get("/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200 and script.headers["content-encoding"] == "gzip"
    assert "javascript" in script.headers["content-type"]
    assert api.client.get("/static/app.css").status_code == 200
    assert api.post("{ viewer { role } }", token=None).status_code == 401


def test_graphiql_still_answers_a_browser(api: Api) -> None:
    ide = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert ide.status_code == 200 and "graphiql" in ide.text.lower()


def test_the_built_bundle_is_committed_and_small() -> None:
    assert INDEX.exists(), "run `make web` to build the page into tellgraph/api/static/"
    sizes = {name: (STATIC_DIR / name).stat().st_size for name in ("app.js", "app.css")}
    assert sizes["app.js"] < 700_000 and sizes["app.css"] < 50_000, sizes


def test_browser_guide_and_style_for_neo4j_browser(api: Api) -> None:
    origin = {"Origin": "http://127.0.0.1:7474"}
    guide = api.client.get("/browser-guide", headers=origin)
    assert guide.status_code == 200 and guide.headers["access-control-allow-origin"] == "*"
    assert guide.text.startswith('<article class="guide">') and guide.text.count("<slide") == 7
    assert 'exec-topic="style http://testserver/browser-guide/tellgraph.grass"' in guide.text
    for query in browser_guide.saved_queries():
        assert query.name.replace("'", "&#x27;") in guide.text
    preflight = api.client.options(
        "/browser-guide",
        headers={**origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "pragma"},
    )
    assert preflight.status_code == 204 and "pragma" in preflight.headers["access-control-allow-headers"]
    grass = api.client.get("/browser-guide/tellgraph.grass")
    assert grass.status_code == 200 and "node.Person {" in grass.text
    assert api.client.get("/browser-guide/queries.cypher").text == browser_guide.QUERIES_FILE.read_text()


def test_saved_queries_parse_with_their_parameters() -> None:
    queries = {q.name: q for q in browser_guide.saved_queries()}
    assert len(queries) == 6
    warm = queries["Warm paths to a person"]
    assert warm.params == {"target": "'omar.haddad@the-afc.example'"}
    assert warm.params_command() == ":params {target: 'omar.haddad@the-afc.example'}"
    assert queries["At-risk relationships"].params_command() is None
    assert all(q.description and not q.cypher.endswith(";") for q in queries.values())
    style = browser_guide.style_text()
    labels = ("Person", "Company", "Project", "Event", "Communication", "Goal", "Topic", "SuggestedAction", "Signal")
    assert all(f"node.{label} {{" in style for label in labels)


def test_malformed_queries_are_refused() -> None:
    with pytest.raises(InvalidInput):
        browser_guide.parse_queries("// name: nothing here\n")
    with pytest.raises(InvalidInput):
        browser_guide.parse_queries("// name: x\n// param 1bad: 2\nRETURN 1;")


@pytest.mark.parametrize("name", ["tellgraph.grass", "queries.cypher"])
def test_docs_copies_match_the_shipped_files(name: str) -> None:
    shipped = (browser_guide.ASSETS / name).read_text()
    assert (ROOT / "docs" / "neo4j-browser" / name).read_text() == shipped, (
        f"copy tellgraph/api/browser/{name} to docs/neo4j-browser/ (make web does)"
    )
