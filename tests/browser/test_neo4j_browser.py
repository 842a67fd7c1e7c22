"""Neo4j Browser, served by the project's Neo4j, in headless Chromium: style and guide from the API, queries."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from tellgraph.api.browser_guide import saved_queries
from tellgraph.settings import Settings
from tests.browser.harness import ARTIFACTS, publish_screenshots, run_script

# Which guide slides to run, what their graphs must show, and where to save them.
SHOWN = {
    "Warm paths to a person": (["Maya Chen", "Omar Haddad"], "neo4j-browser-warm-paths.png"),
    "A goal's map": (["Win the AFC rights package", "Siti Rahman", "THE AFC"], "neo4j-browser-goal-map.png"),
}


def test_neo4j_browser_runs_shipped_queries(browser_ready: None, api_url: str, demo_settings: Settings) -> None:
    names = [q.name for q in saved_queries()]
    # Slide 1 applies the style; the queries follow in file order.
    wanted = [
        {"name": name, "slide": names.index(name) + 2, "captions": captions, "shot": shot}
        for name, (captions, shot) in SHOWN.items()
    ]
    bolt = urlsplit(demo_settings.neo4j_uri)
    result = run_script(
        "neo4j_browser.mjs",
        TELLGRAPH_NEO4J_BROWSER_URL=f"http://127.0.0.1:{demo_settings.neo4j_http_port}/browser/",
        TELLGRAPH_NEO4J_BOLT=f"{bolt.hostname}:{bolt.port or 7687}",
        TELLGRAPH_NEO4J_USER=demo_settings.neo4j_user,
        TELLGRAPH_NEO4J_PASSWORD=demo_settings.neo4j_password.get_secret_value(),
        TELLGRAPH_API_URL=api_url,
        TELLGRAPH_GUIDE_QUERIES=json.dumps(wanted),
    )
    passed = {c["what"] for c in result.checks if c["ok"]}
    assert {"style loaded from the API", "guide loaded from the API"} <= passed
    assert {f"{name}: results render as a graph" for name in SHOWN} <= passed
    shots = [shot for _, shot in SHOWN.values()]
    for shot in shots:
        assert (ARTIFACTS / shot).stat().st_size > 20_000, f"{shot} looks empty"
    publish_screenshots(*shots, "neo4j-browser-guide.png")
