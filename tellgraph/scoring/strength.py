"""Tie strength (0-1) for every pair at once, as a weighted sum of explainable components.

Each component is in 0-1 and answers one question about the pair:

- ``frequency``: how much they communicate lately (weighted volume, decaying with the half-life);
- ``recency``: how recently, as ``0.5 ** (days since the last contact / half-life)``,
  scaled by that contact's weight so a newsletter last week is not a recent tie;
- ``reciprocity``: whether it goes both ways (smaller direction / larger direction);
- ``consistency``: on how many different days they were in touch (a long tie, not one burst);
- ``responsiveness``: how often threads get an answer and how fast (reply latency);
- ``initiation``: whether both start conversations, or one side always does;
- ``depth``: how long their threads run (back-and-forth, not one-off notes);
- ``channel_mix``: how many channels they use (mail, chat, meetings, calls);
- ``meetings``: meetings and calls both attended;
- ``sentiment``: the tone of their messages, where sentiment was scored (0.5 when unknown).

Where a component cannot be measured (no directed mail between two people who
only meet) it takes the neutral 0.5 rather than penalising the pair.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import numpy as np

from tellgraph.scoring.config import COMPONENTS, ScoringConfig
from tellgraph.scoring.contacts import (
    A_TO_B,
    B_TO_A,
    CHANNEL_CODE,
    CHANNELS,
    LIVE_CHANNELS,
    TOGETHER,
    FloatArray,
    IntArray,
    Pair,
)
from tellgraph.scoring.sequence import DAY, Prepared, group_median, per_pair_sum

NEUTRAL = 0.5
_CHANNEL_RICHNESS = {"email": 0.4, "chat": 0.4, "meeting": 0.6, "call": 0.6, "other": 0.2}
"""How much each channel adds to ``channel_mix``: meeting or calling says more than writing."""
_DEPTH_SCALE = 1.5


@dataclass
class PairScores:
    """Strength, its components and the raw counts behind them, one array entry per pair."""

    pairs: list[Pair]
    as_of: datetime
    interaction_count: IntArray
    count_a_to_b: IntArray
    count_b_to_a: IntArray
    count_together: IntArray
    weighted_volume: FloatArray
    first_ts: FloatArray
    last_ts: FloatArray
    days_with_contact: IntArray
    channel_weight: FloatArray
    """Weighted contacts per channel, shape (pairs, channels)."""
    threads: IntArray
    directed_threads: FloatArray
    replied_threads: FloatArray
    initiated_by_a: IntArray
    initiated_by_b: IntArray
    replies_by_a: IntArray
    replies_by_b: IntArray
    reply_days: FloatArray
    reply_days_by_a: FloatArray
    reply_days_by_b: FloatArray
    sentiment: FloatArray
    components: dict[str, FloatArray]
    strength: FloatArray

    def __len__(self) -> int:
        return len(self.pairs)

    def take(self, rows: slice) -> PairScores:
        """The pairs in ``rows`` only (to write a big rebuild in bounded-memory chunks)."""
        return replace(
            self, **{f.name: take_rows(getattr(self, f.name), rows) for f in fields(self) if f.name != "as_of"}
        )


def take_rows(value: Any, rows: slice) -> Any:
    """Slice a per-pair column (array or list), or every column of a mapping of them."""
    if isinstance(value, dict):
        return {name: column[rows] for name, column in value.items()}
    return value[rows]


def _saturate(value: FloatArray, scale: float) -> FloatArray:
    return np.asarray(1.0 - np.exp(-value / scale), dtype=np.float64)


def _ratio(num: FloatArray, den: FloatArray, default: float) -> FloatArray:
    out = np.full(num.shape[0], default)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def score_contacts(prepared: Prepared, pairs: list[Pair], *, as_of: datetime, config: ScoringConfig) -> PairScores:
    """Every component and the strength of every pair, measured at ``as_of``.

    Contacts after ``as_of`` should have been removed by the caller (see
    :meth:`ContactTable.before`); any that remain count as "now" (age 0).
    """
    size = prepared.size
    tl, days, th = prepared.timeline, prepared.days, prepared.threads
    p, w, d = tl.pair, tl.weight, tl.direction
    age_days = np.maximum(0.0, (as_of.timestamp() - tl.ts) / DAY)
    decay = 0.5 ** (age_days / config.half_life_days)

    a_to_b, b_to_a, together = d == A_TO_B, d == B_TO_A, d == TOGETHER
    count = np.diff(np.r_[tl.starts, p.shape[0]]).astype(np.int64)
    count_ab = per_pair_sum(p, a_to_b, size).astype(np.int64)
    count_ba = per_pair_sum(p, b_to_a, size).astype(np.int64)
    count_tog = per_pair_sum(p, together, size).astype(np.int64)
    volume = per_pair_sum(p, w, size)
    first_ts = tl.ts[tl.starts] if size else np.zeros(0)
    last_ts = tl.ts[tl.ends - 1] if size else np.zeros(0)

    frequency = _saturate(per_pair_sum(p, w * decay, size), config.volume_scale)
    recency = np.maximum.reduceat(w * decay, tl.starts) if size else np.zeros(0)

    # Meetings and calls are two-way by nature: they count for both sides.
    toward_b = per_pair_sum(p, w * (a_to_b | together), size)
    toward_a = per_pair_sum(p, w * (b_to_a | together), size)
    reciprocity = _ratio(np.minimum(toward_a, toward_b), np.maximum(toward_a, toward_b), 0.0)

    day_count = per_pair_sum(days.pair, None, size).astype(np.int64)
    consistency = _saturate(per_pair_sum(days.pair, days.weight, size), config.days_scale)

    # Threads: replies, who starts, how deep.
    starts = th.thread_starts
    thread_pair = th.pair[starts]
    directed = th.direction != TOGETHER
    thread_count = per_pair_sum(thread_pair, None, size).astype(np.int64)
    if th.pair.shape[0]:
        has_reply = np.maximum.reduceat(th.is_reply.astype(np.int64), starts)
        has_directed = np.maximum.reduceat(directed.astype(np.int64), starts)
    else:
        has_reply = has_directed = np.zeros(0, dtype=np.int64)
    replied_threads = per_pair_sum(thread_pair, has_reply, size)
    directed_threads = per_pair_sum(thread_pair, has_directed, size)
    first_dir = th.direction[starts]
    init_a = per_pair_sum(thread_pair, first_dir == A_TO_B, size).astype(np.int64)
    init_b = per_pair_sum(thread_pair, first_dir == B_TO_A, size).astype(np.int64)

    reply_rows = th.is_reply
    reply_pair, reply_latency = th.pair[reply_rows], th.latency[reply_rows] / DAY
    reply_dir = th.direction[reply_rows]
    replies_a = per_pair_sum(reply_pair, reply_dir == A_TO_B, size).astype(np.int64)
    replies_b = per_pair_sum(reply_pair, reply_dir == B_TO_A, size).astype(np.int64)
    reply_days = group_median(reply_pair, reply_latency, size)
    by_a = reply_dir == A_TO_B
    reply_days_a = group_median(reply_pair[by_a], reply_latency[by_a], size)
    reply_days_b = group_median(reply_pair[~by_a], reply_latency[~by_a], size)

    reply_rate = _ratio(replied_threads, directed_threads, 0.0)
    speed = np.where(np.isnan(reply_days), 0.0, 1.0 / (1.0 + np.nan_to_num(reply_days) / config.reply_days_scale))
    responsiveness = np.where(directed_threads > 0, reply_rate * speed, NEUTRAL)

    started = (init_a + init_b).astype(np.float64)
    initiation = _ratio(started - np.abs(init_a - init_b), started, NEUTRAL)

    mean_depth = _ratio(count.astype(np.float64), thread_count.astype(np.float64), 1.0)
    depth = _saturate(np.maximum(0.0, mean_depth - 1.0), _DEPTH_SCALE)

    channel_weight = np.zeros((size, len(CHANNELS)))
    richness = np.zeros(size)
    for name, code in CHANNEL_CODE.items():
        on = tl.channel == code
        channel_weight[:, code] = per_pair_sum(p, w * on, size)
        richness += np.where(per_pair_sum(p, on, size) > 0, _CHANNEL_RICHNESS[name], 0.0)
    channel_mix = np.minimum(1.0, richness)

    live = together & np.isin(tl.channel, LIVE_CHANNELS)
    meetings = _saturate(per_pair_sum(p, w * live, size), config.meetings_scale)

    # Recent messages set the tone: sentiment is averaged with the recency decay as weights.
    scored = ~np.isnan(tl.sentiment)
    tone_weight = np.where(scored, decay + 1e-12, 0.0)
    sentiment = _ratio(
        per_pair_sum(p, np.where(scored, tl.sentiment, 0.0) * tone_weight, size),
        per_pair_sum(p, tone_weight, size),
        np.nan,
    )
    sentiment_component = np.where(np.isnan(sentiment), NEUTRAL, (1.0 + np.nan_to_num(sentiment)) / 2.0)

    components = {
        "frequency": frequency,
        "recency": recency,
        "reciprocity": reciprocity,
        "consistency": consistency,
        "responsiveness": responsiveness,
        "initiation": initiation,
        "depth": depth,
        "channel_mix": channel_mix,
        "meetings": meetings,
        "sentiment": sentiment_component,
    }
    components = {name: np.clip(np.asarray(components[name], dtype=np.float64), 0.0, 1.0) for name in COMPONENTS}
    strength = np.zeros(size)
    for name in COMPONENTS:
        strength += config.weights[name] * components[name]
    return PairScores(
        pairs=pairs,
        as_of=as_of,
        interaction_count=count,
        count_a_to_b=count_ab,
        count_b_to_a=count_ba,
        count_together=count_tog,
        weighted_volume=volume,
        first_ts=first_ts,
        last_ts=last_ts,
        days_with_contact=day_count,
        channel_weight=channel_weight,
        threads=thread_count,
        directed_threads=directed_threads,
        replied_threads=replied_threads,
        initiated_by_a=init_a,
        initiated_by_b=init_b,
        replies_by_a=replies_a,
        replies_by_b=replies_b,
        reply_days=reply_days,
        reply_days_by_a=reply_days_a,
        reply_days_by_b=reply_days_b,
        sentiment=sentiment,
        components=components,
        strength=np.clip(strength, 0.0, 1.0),
    )
