"""Browser tests: Debian's Chromium driven by playwright-core (from ``web/node_modules``).

The demo is loaded once into the test Neo4j (without NLP, which only adds topics and tone),
the agents run, and ``tellgraph serve`` answers over HTTP. Each test runs a node script
from this folder that drives Chromium and prints one JSON line of checks.

Without node, ``web/node_modules`` (``make install`` runs ``npm ci``) or Chromium the tests
skip and say why; with ``TELLGRAPH_BROWSER_TESTS=require`` (set by ``.ci/run``) they fail
instead. Screenshots land in ``tests/browser/artifacts/``; with
``TELLGRAPH_UPDATE_SCREENSHOTS=1`` the good ones are also copied to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from tellgraph.demo import load_demo, run_demo_agents
from tellgraph.settings import Settings
from tests.browser.harness import CHROMIUM, WEB
from tests.integration.api_server import serve
from tests.stores import open_neo4j


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (the browser tests drive Chromium with playwright-core)"
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        return "web/node_modules is missing: run `make install` (npm ci in web/)"
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (make test does, as root)"
    return None


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Skip (or, when required, fail) without node, the node packages or Chromium."""
    missing = _missing()
    if missing is None:
        return
    if os.environ.get("TELLGRAPH_BROWSER_TESTS") == "require":
        pytest.fail(f"browser tests are required here: {missing}")
    pytest.skip(missing)


@pytest.fixture(scope="session")
def demo_settings() -> Iterator[Settings]:
    """The test Neo4j holding the demo data (scored, with the goal, its history and the agents' proposals)."""
    store = open_neo4j()  # clean, schema applied; fails clearly when Neo4j is not running
    store.close()
    settings = Settings()
    console = Console(quiet=True)
    load_demo(settings=settings, console=console, nlp=False)
    run_demo_agents(settings=settings, console=console)
    yield settings


@pytest.fixture(scope="session")
def api_url(demo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tellgraph serve`` over the demo, with the test tokens."""
    with serve(tmp_path_factory.mktemp("serve")) as url:
        yield url
