"""Run the node scripts of this folder, which drive Chromium through playwright-core, and read their checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WEB = ROOT / "web"
ARTIFACTS = HERE / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("TELLGRAPH_CHROMIUM", "/usr/bin/chromium")
SCRIPT_TIMEOUT = 150


@dataclass
class ScriptResult:
    """What a node script checked, and the browser's complaints."""

    checks: list[dict[str, Any]]
    problems: list[str]


def run_script(name: str, **env: str) -> ScriptResult:
    """Run ``tests/browser/<name>`` with node; fail with its checks and output when it fails."""
    ARTIFACTS.mkdir(exist_ok=True)
    full_env = {
        **os.environ,
        "TELLGRAPH_WEB_DIR": str(WEB),
        "TELLGRAPH_CHROMIUM": CHROMIUM,
        "TELLGRAPH_ARTIFACTS": str(ARTIFACTS),
        **env,
    }
    try:
        done = subprocess.run(
            ["node", str(HERE / name)],
            env=full_env,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{name} did not finish in {SCRIPT_TIMEOUT} s: {exc.stdout!r} {exc.stderr!r}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        pytest.fail(f"{name} printed no result (exit {done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    result = json.loads(lines[-1])
    if done.returncode != 0 or result.get("failure"):
        passed = [c["what"] for c in result["checks"] if c["ok"]]
        pytest.fail(
            f"{name} failed: {result.get('failure')}\npassed first: {passed}\n"
            f"browser problems: {result['problems'][:10]}\nstderr: {done.stderr[-2000:]}\n"
            f"screenshot of the failure in {ARTIFACTS}"
        )
    return ScriptResult(checks=result["checks"], problems=result["problems"])


def publish_screenshots(*names: str) -> None:
    """Copy good screenshots to docs/screenshots/ when asked to (they are committed and shown in the README)."""
    if os.environ.get("TELLGRAPH_UPDATE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(ARTIFACTS / name, SCREENSHOTS / name)
