"""Every saved query shipped for Neo4j Browser runs on the demo data and returns rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver, GraphDatabase

from tellgraph.api.browser_guide import SavedQuery, saved_queries
from tellgraph.settings import Settings

QUERIES = saved_queries()


@pytest.fixture(scope="module")
def driver(demo_settings: Settings) -> Iterator[Driver]:
    auth = (demo_settings.neo4j_user, demo_settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(demo_settings.neo4j_uri, auth=auth) as found:
        yield found


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_shipped_query_returns_rows(query: SavedQuery, driver: Driver, demo_settings: Settings) -> None:
    with driver.session(database=demo_settings.neo4j_database) as session:
        # Parameters are Cypher literals, as Browser's :params evaluates them.
        params = {
            name: session.run(f"RETURN {value} AS v").single(strict=True)["v"] for name, value in query.params.items()
        }
        rows = session.run(query.cypher, params).data()
    assert rows, f"{query.name!r} returned nothing on the demo data"


def test_the_browser_may_fetch_the_guide(driver: Driver) -> None:
    with driver.session(database="system") as session:
        config = {r["name"]: r["value"] for r in session.run("CALL dbms.clientConfig()")}
    allowed = config.get("browser.remote_content_hostname_whitelist", "")
    assert "127.0.0.1" in allowed.split(","), (
        "this Neo4j runs with an older neo4j.conf: `tellgraph neo4j stop` and start it again"
    )
