"""Scores as flat, store-ready edge properties, and back as a typed :class:`ScoreBreakdown`.

Every KNOWS edge scoring writes carries:

- ``strength``, one ``score_<component>`` per component and the ``weights`` used
  (``"frequency=0.2 recency=0.3 ..."``; strength is ``sum(weight * score)``), and an
  ``explanation`` in words;
- the counts behind them (``interaction_count``, ``count_a_to_b``/``count_b_to_a``
  from the edge's source to its target and back, ``count_together``, ``days_with_contact``,
  ``threads``, replies and initiations per side, median reply times in days);
- health and predictions (``expected_gap_days``, ``next_contact_due``, ``attention_in_days``,
  ``trend``, ``sentiment_trend``, ``preferred_channel``, ``preferred_format``, ``at_risk``,
  ``risk_reasons``);
- bookkeeping (``as_of``: the moment the score describes, ``scored_at``, ``scoring_version``)
  and monthly history: one ``history_YYYY_MM`` property per month a score was taken in
  (the latest score that month), so a rebuild adds its month without reading the edge first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tellgraph.scoring.config import COMPONENTS, SCORE_VERSION, ScoringConfig
from tellgraph.scoring.contacts import CHANNELS, ContactTable, FloatArray, Pair
from tellgraph.scoring.health import PairHealth, assess_health
from tellgraph.scoring.sequence import DAY, prepare
from tellgraph.scoring.strength import PairScores, score_contacts

Props = dict[str, Any]
"""Flat edge properties (values are :data:`tellgraph.schema.model.PropValue`)."""

HEALTH_FIELDS: tuple[str, ...] = (
    "expected_gap_days",
    "next_contact_due",
    "attention_in_days",
    "trend",
    "sentiment_trend",
    "preferred_channel",
    "preferred_format",
    "at_risk",
    "risk_reasons",
)
"""The health and prediction properties every scored KNOWS edge has."""


def _datetimes(ts: FloatArray) -> list[datetime]:
    # numpy converts to naive datetimes in C; attaching UTC is cheaper than fromtimestamp per value.
    naive = ts.astype("datetime64[s]").astype("datetime64[us]").tolist()
    return [value.replace(tzinfo=UTC) for value in naive]


def _dates(ts: FloatArray) -> list[str]:
    return [str(d) for d in np.datetime_as_string(ts.astype("datetime64[s]"), unit="D").tolist()]


def _optional(values: FloatArray, digits: int = 3) -> list[float | None]:
    return [None if v != v else v for v in values.round(digits).tolist()]  # v != v: NaN


def _explanations(scores: PairScores, *, config: ScoringConfig) -> list[str]:
    """One sentence per pair: the three biggest contributions, then the counts behind them."""
    weights = np.array([config.weights[name] for name in COMPONENTS])
    values = np.column_stack([scores.components[name] for name in COMPONENTS])
    top = np.argsort(-(values * weights), axis=1, kind="stable")[:, :3]
    # Components are shown to two decimals, so each has only 101 possible labels: format them once.
    table = [
        [f"{name} {k / 100:.2f} (weight {weights[j]:.2f})" for k in range(101)] for j, name in enumerate(COMPONENTS)
    ]
    hundredths = np.rint(np.take_along_axis(values, top, axis=1) * 100).astype(np.int64)
    labels = [
        [table[j][k] for j, k in zip(row, steps, strict=True)]
        for row, steps in zip(top.tolist(), hundredths.tolist(), strict=True)
    ]
    silent = np.maximum(0.0, (scores.as_of.timestamp() - scores.last_ts) / DAY).round().astype(np.int64).tolist()
    as_of = scores.as_of.date().isoformat()
    rows = zip(
        scores.strength.tolist(),
        labels,
        scores.interaction_count.tolist(),
        scores.count_a_to_b.tolist(),
        scores.count_b_to_a.tolist(),
        scores.count_together.tolist(),
        scores.days_with_contact.tolist(),
        _dates(scores.first_ts),
        _dates(scores.last_ts),
        silent,
        strict=True,
    )
    return [
        f"Strength {s:.2f}, mostly from {', '.join(top3)}. {n} communications ({ab} one way, {ba} the other, "
        f"{tog} together) on {days} days from {first} to {last}; last contact {quiet} days before {as_of}."
        for s, top3, n, ab, ba, tog, days, first, last, quiet in rows
    ]


def score_table(table: ContactTable, *, as_of: datetime, config: ScoringConfig) -> tuple[PairScores, PairHealth]:
    """Strength, breakdown and health of every pair in ``table``, measured at ``as_of``."""
    prepared = prepare(table)
    scores = score_contacts(prepared, table.pairs, as_of=as_of, config=config)
    return scores, assess_health(prepared, scores, config=config)


def edge_props(scores: PairScores, health: PairHealth, *, config: ScoringConfig, scored_at: datetime) -> list[Props]:
    """One flat property map per pair, in the order of ``scores.pairs``.

    Built column by column (numpy and list comprehensions) and zipped into dicts
    at the end: this runs once per KNOWS edge in the graph.
    """
    masks = (scores.channel_weight > 0) @ (1 << np.arange(len(CHANNELS)))
    channel_sets = {m: [c for k, c in enumerate(CHANNELS) if m >> k & 1] for m in set(masks.tolist())}
    columns: dict[str, list[Any]] = {
        "strength": scores.strength.round(6).tolist(),
        "interaction_count": scores.interaction_count.tolist(),
        "first_interaction": _datetimes(scores.first_ts),
        "last_interaction": _datetimes(scores.last_ts),
        "count_a_to_b": scores.count_a_to_b.tolist(),
        "count_b_to_a": scores.count_b_to_a.tolist(),
        "count_together": scores.count_together.tolist(),
        "days_with_contact": scores.days_with_contact.tolist(),
        "channels": [list(channel_sets[m]) for m in masks.tolist()],
        "threads": scores.threads.tolist(),
        "initiated_by_a": scores.initiated_by_a.tolist(),
        "initiated_by_b": scores.initiated_by_b.tolist(),
        "replies_by_a": scores.replies_by_a.tolist(),
        "replies_by_b": scores.replies_by_b.tolist(),
        "reply_days": _optional(scores.reply_days),
        "reply_days_by_a": _optional(scores.reply_days_by_a),
        "reply_days_by_b": _optional(scores.reply_days_by_b),
        "sentiment": _optional(scores.sentiment),
        "expected_gap_days": health.expected_gap_days.round(2).tolist(),
        "next_contact_due": _datetimes(health.next_contact_due_ts),
        "attention_in_days": health.attention_in_days.tolist(),
        "trend": health.trend,
        "sentiment_trend": health.sentiment_trend,
        "preferred_channel": health.preferred_channel,
        "preferred_format": health.preferred_format,
        "at_risk": health.at_risk.tolist(),
        "risk_reasons": health.risk_reasons,
        "unanswered_count": health.unanswered.tolist(),
        "unanswered_by": [
            b if n else None for b, n in zip(health.unanswered_by, health.unanswered.tolist(), strict=True)
        ],
        "explanation": _explanations(scores, config=config),
    }
    for name in COMPONENTS:
        columns[f"score_{name}"] = scores.components[name].round(6).tolist()
    columns[history_key(scores.as_of)] = columns["strength"]
    constant: Props = {
        **dict.fromkeys(LEGACY_PROPS),
        "weights": config.weights_text(),
        "as_of": scores.as_of,
        "scored_at": scored_at,
        "scoring_version": SCORE_VERSION,
    }
    keys = list(columns)
    out: list[Props] = []
    for row in zip(*columns.values(), strict=True):
        props = dict(zip(keys, row, strict=True))
        props.update(constant)
        out.append(props)
    return out


HISTORY_PREFIX = "history_"
LEGACY_PROPS: tuple[str, ...] = ("score_breadth",)
"""Properties of the first formula, removed from every edge the current one rescores."""


def history_key(moment: datetime) -> str:
    """The property holding the strength snapshot of ``moment``'s month: ``history_2026_11``."""
    return f"{HISTORY_PREFIX}{moment.year:04d}_{moment.month:02d}"


def monthly_history(props: Mapping[str, Any]) -> dict[str, float]:
    """The monthly snapshots stored on an edge, as ``{"2026-11": 0.82, ...}`` in month order."""
    found = {}
    for name, value in props.items():
        if name.startswith(HISTORY_PREFIX) and isinstance(value, int | float):
            year, _, month = name.removeprefix(HISTORY_PREFIX).partition("_")
            if year.isdigit() and month.isdigit():
                found[f"{year}-{month}"] = float(value)
    return dict(sorted(found.items()))


def parse_weights(text: object) -> dict[str, float]:
    """The ``weights`` property back as a mapping (empty when absent or unreadable)."""
    if not isinstance(text, str):
        return {}
    out = {}
    for item in text.split():
        name, _, value = item.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            continue
    return out


class ScoreBreakdown(BaseModel):
    """Why a tie has the strength it has, at one moment: components, weights, counts, health.

    ``a`` and ``b`` are the pair in id order; ``count_a_to_b`` counts communications from ``a`` to ``b``.
    """

    model_config = ConfigDict(frozen=True)

    a: str
    b: str
    as_of: datetime
    strength: float
    components: dict[str, float] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    interaction_count: int = 0
    count_a_to_b: int = 0
    count_b_to_a: int = 0
    count_together: int = 0
    days_with_contact: int = 0
    first_interaction: datetime | None = None
    last_interaction: datetime | None = None
    channels: list[str] = Field(default_factory=list)
    explanation: str = ""
    expected_gap_days: float | None = None
    next_contact_due: datetime | None = None
    attention_in_days: int | None = None
    trend: str | None = None
    sentiment_trend: str | None = None
    preferred_channel: str | None = None
    preferred_format: str | None = None
    at_risk: bool = False
    risk_reasons: list[str] = Field(default_factory=list)
    history: dict[str, float] = Field(default_factory=dict)
    """Monthly strength snapshots kept on the edge (``{"2026-11": 0.82}``); a recomputed breakdown has its own month."""

    @classmethod
    def from_props(cls, pair: Pair, props: Mapping[str, Any], *, as_of: datetime | None = None) -> ScoreBreakdown:
        """Read a breakdown back from edge properties (as written by :func:`edge_props`)."""
        known = {name: props[name] for name in cls.model_fields if name in props and props[name] is not None}
        known.pop("components", None)
        known.pop("weights", None)
        known["as_of"] = props.get("as_of") or as_of
        return cls(
            a=pair[0],
            b=pair[1],
            components={n: float(props[f"score_{n}"]) for n in COMPONENTS if f"score_{n}" in props},
            weights=parse_weights(props.get("weights")),
            history=monthly_history(props),
            **{k: v for k, v in known.items() if k not in ("a", "b")},
        )

    @classmethod
    def empty(cls, pair: Pair, *, as_of: datetime, config: ScoringConfig) -> ScoreBreakdown:
        """The breakdown of two people with no communication before ``as_of``."""
        return cls(
            a=pair[0],
            b=pair[1],
            as_of=as_of,
            strength=0.0,
            components=dict.fromkeys(COMPONENTS, 0.0),
            weights=dict(config.weights),
            explanation=f"No communication between them before {as_of.date().isoformat()}.",
        )


def strengths_only(scores: PairScores) -> dict[Pair, float]:
    """Strength per pair (for inference and team views that need nothing else)."""
    return dict(zip(scores.pairs, np.round(scores.strength, 6).tolist(), strict=True))
