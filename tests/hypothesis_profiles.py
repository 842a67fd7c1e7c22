"""Hypothesis profiles for the property-based and fuzz tests.

``ci`` (the default) keeps every property at about a hundred examples so the suite stays
fast; ``long`` is for a deliberate fuzzing session (``HYPOTHESIS_PROFILE=long pytest -k hostile``).
Tests that want the profile's example count do not set ``max_examples`` themselves.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}

settings.register_profile("ci", max_examples=100, **COMMON)
settings.register_profile("long", max_examples=2000, **COMMON)
settings.register_profile("dev", max_examples=25, **COMMON)


def load() -> str:
    """Load the profile named by ``HYPOTHESIS_PROFILE`` (``ci`` by default) and return its name."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    settings.load_profile(name)
    return name


def examples(ci: int) -> int:
    """``ci`` examples under the ci profile; the profile's own count under ``long`` (at least ``ci``)."""
    current = settings().max_examples
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        return ci
    return max(ci, current)
