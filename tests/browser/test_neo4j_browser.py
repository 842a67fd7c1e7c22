"""Neo4j Browser, served by the project's Neo4j, in headless Chromium: style and guide from the API, a query."""

from __future__ import annotations

from urllib.parse import urlsplit

from tellgraph.api.browser_guide import saved_queries
from tellgraph.settings import Settings
from tests.browser.harness import ARTIFACTS, publish_screenshots, run_script

SHOWN = "Warm paths to a person"


def test_neo4j_browser_runs_a_shipped_query(browser_ready: None, api_url: str, demo_settings: Settings) -> None:
    names = [q.name for q in saved_queries()]
    bolt = urlsplit(demo_settings.neo4j_uri)
    result = run_script(
        "neo4j_browser.mjs",
        TELLGRAPH_NEO4J_BROWSER_URL=f"http://127.0.0.1:{demo_settings.neo4j_http_port}/browser/",
        TELLGRAPH_NEO4J_BOLT=f"{bolt.hostname}:{bolt.port or 7687}",
        TELLGRAPH_NEO4J_USER=demo_settings.neo4j_user,
        TELLGRAPH_NEO4J_PASSWORD=demo_settings.neo4j_password.get_secret_value(),
        TELLGRAPH_API_URL=api_url,
        TELLGRAPH_GUIDE_SLIDE=SHOWN,
        # Slide 1 applies the style; the queries follow in file order.
        TELLGRAPH_GUIDE_SLIDE_NUMBER=str(names.index(SHOWN) + 2),
        TELLGRAPH_EXPECT_CAPTIONS="Maya Chen|Omar Haddad",
    )
    passed = {c["what"] for c in result.checks if c["ok"]}
    assert {"style loaded from the API", "guide loaded from the API", "query results render as a graph"} <= passed
    assert (ARTIFACTS / "neo4j-browser.png").stat().st_size > 20_000
    publish_screenshots("neo4j-browser.png", "neo4j-browser-guide.png")
