"""Shared test configuration: markers come from the folder a test lives in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import hypothesis_profiles

hypothesis_profiles.load()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TELLGRAPH_SHARED_DATA", ROOT.parent / "shared" / "data"))
FIXTURES = ROOT / "tests" / "fixtures"

_FOLDER_MARKERS = {"unit": "unit", "integration": "integration", "contract": "contract"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in _FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, _FOLDER_MARKERS[parts[0]]))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The workplace's real public data (Enron maildir, Slack export, Gmail samples)."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small files kept with the tests."""
    return FIXTURES
