"""The web page in headless Chromium over the real API and the demo: search, network, warm path, goal, approval."""

from __future__ import annotations

import httpx

from tests.browser.harness import ARTIFACTS, publish_screenshots, run_script
from tests.integration.api_server import EDITOR

SCREENSHOTS = ("web-network-owner.png", "web-intros.png", "web-goal.png", "web-health.png")


def test_web_page_end_to_end(browser_ready: None, api_url: str) -> None:
    result = run_script("webapp.mjs", TELLGRAPH_API_URL=api_url, TELLGRAPH_TOKEN=EDITOR)
    passed = {c["what"] for c in result.checks if c["ok"]}
    assert {"warm paths listed", "opened path explains itself", "decision persisted", "health list has ties"} <= passed
    # Nothing on the page failed but the sign-in probe's expected 401s.
    assert all("401" in p for p in result.problems), result.problems
    for name in SCREENSHOTS:
        assert (ARTIFACTS / name).stat().st_size > 20_000, f"{name} looks empty"
    # The approval reached the API, not only the page.
    decided = httpx.post(
        f"{api_url}/graphql",
        json={"query": "{ suggestedActions(status: APPROVED, first: 5) { totalCount } }"},
        headers={"Authorization": f"Bearer {EDITOR}"},
        timeout=30,
    ).json()
    assert decided["data"]["suggestedActions"]["totalCount"] >= 1
    publish_screenshots(*SCREENSHOTS)
