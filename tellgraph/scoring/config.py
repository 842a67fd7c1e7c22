"""The knobs of relationship scoring: component weights and the shapes of each curve.

Every number here was chosen on the early cut dates of the Enron backtest
(see :mod:`tellgraph.scoring.backtest`) or on the demo story, never on the later
cut dates the README reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tellgraph.settings import Settings

COMPONENTS: tuple[str, ...] = (
    "frequency",
    "recency",
    "reciprocity",
    "consistency",
    "responsiveness",
    "initiation",
    "depth",
    "channel_mix",
    "meetings",
    "sentiment",
)
"""Every component of strength, in the order explanations list them."""

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "frequency": 0.20,
        "recency": 0.30,
        "reciprocity": 0.10,
        "consistency": 0.10,
        "responsiveness": 0.08,
        "initiation": 0.04,
        "depth": 0.04,
        "channel_mix": 0.04,
        "meetings": 0.05,
        "sentiment": 0.05,
    }
)
"""Strength is ``sum(weight * component)``; the weights sum to 1 so strength stays in 0-1."""

SCORE_VERSION = 2
"""Bumped whenever the formula changes, so stored scores say which formula made them."""


@dataclass(frozen=True)
class ScoringConfig:
    """Parameters of the scoring formula (defaults are the tuned ones).

    Args:
        half_life_days: recency and recent volume halve every this many days.
        weights: weight per component (see :data:`COMPONENTS`); normalised to sum to 1.
        free_recipients: mail to at most this many people counts in full.
        broadcast_exponent: above ``free_recipients`` a message counts ``(free / n) ** exponent``.
        cc_weight: a Cc or Bcc counts this much of a To.
        group_limit: meetings, calls and chats with more people than this add no pairwise ties.
        volume_scale: the weighted volume at which frequency reaches 63 %.
        days_scale: the weighted number of contact days at which consistency reaches 63 %.
        meetings_scale: the weighted number of shared meetings at which ``meetings`` reaches 63 %.
        reply_days_scale: a typical reply this many days late halves the speed factor.
        gap_prior_days: the contact rhythm assumed for a pair seen on one day only.
        gap_prior_weight: how many observed gaps the prior is worth (shrinkage).
        gap_ewma_alpha: weight of the newest gap in the rhythm's moving average (on log days).
        trend_window_days: activity trend compares the last window with the one before.
        risk_min_interactions: ties with fewer communications are never flagged at risk.
        earliest: communications dated before this are bogus (Lotus Notes wrote 1979-12-31).
    """

    half_life_days: float = 90.0
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    free_recipients: int = 3
    broadcast_exponent: float = 1.0
    cc_weight: float = 0.75
    group_limit: int = 30
    volume_scale: float = 8.0
    days_scale: float = 8.0
    meetings_scale: float = 3.0
    reply_days_scale: float = 2.0
    gap_prior_days: float = 60.0
    gap_prior_weight: float = 1.0
    gap_ewma_alpha: float = 0.35
    trend_window_days: float = 90.0
    risk_min_interactions: int = 3
    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown strength components: {sorted(unknown)}")
        total = sum(self.weights.values())
        if total <= 0:
            raise ValueError("strength weights must sum to more than 0")
        normalised = {name: float(self.weights.get(name, 0.0)) / total for name in COMPONENTS}
        object.__setattr__(self, "weights", MappingProxyType(normalised))
        if self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive")

    @classmethod
    def from_settings(cls, settings: Settings) -> ScoringConfig:
        """The default formula with the half-life the settings ask for."""
        return cls(half_life_days=settings.half_life_days)

    def weights_text(self) -> str:
        """The weights as one readable string (stored on every edge beside the components)."""
        return " ".join(f"{name}={round(self.weights[name], 6):g}" for name in COMPONENTS)
