"""Relationship health and predictions from each pair's own rhythm.

- **Rhythm**: the gaps between days with contact. The expected gap is a moving
  average of the log gaps (recent gaps count most), shrunk towards a prior for
  pairs with few gaps. ``next_contact_due`` is the last contact plus that gap;
  ``attention_in_days`` is how far that is from ``as_of`` (negative: overdue).
- **Trend**: weighted contacts in the last 90 days against the 90 before.
- **Sentiment trend**: ``cooling`` when the tone declines across the last three
  scored messages (ending at its lowest, clearly below the first), ``warming``
  when it rises likewise, else ``steady``.
- **Preferred channel and format**: the channel with the most contact, boosted
  by how often threads there get answered; ``meeting`` when the pair meets or
  when written check-ins go unanswered, else ``check-in``.
- **At risk**: a tie that mattered (a few communications, both ways) showing a
  warning sign, each sign written out in ``risk_reasons``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from tellgraph.scoring.config import ScoringConfig
from tellgraph.scoring.contacts import (
    A_TO_B,
    CHANNEL_CODE,
    CHANNELS,
    LIVE_CHANNELS,
    TOGETHER,
    FloatArray,
    IntArray,
)
from tellgraph.scoring.sequence import DAY, Prepared, group_median, group_starts, last_per_group, per_pair_sum
from tellgraph.scoring.strength import PairScores, take_rows

OVERDUE_GRACE_DAYS = 14.0
"""A pair is overdue only when it is late by more than its own rhythm and at least two weeks."""
AT_RISK_HORIZON_DAYS = 365.0
"""Ties silent for longer than this are dormant: past saving by a nudge, so not flagged."""
UNANSWERED_MIN = 2
"""Unanswered messages in a row (after earlier replies) that count as a stall."""
UNANSWERED_MIN_DAYS = 7.0
SLOW_REPLY_FACTOR = 3.0
SENTIMENT_MARGIN = 0.1
"""Sentiment (-1 to 1) must move more than this over the last three messages to count as a trend."""
SLOW_REPLY_MIN_DAYS = 2.0


@dataclass
class PairHealth:
    """Health and predictions, one array entry (or list item) per pair."""

    expected_gap_days: FloatArray
    median_gap_days: FloatArray
    gaps: IntArray
    next_contact_due_ts: FloatArray
    attention_in_days: IntArray
    recent_volume: FloatArray
    previous_volume: FloatArray
    trend: list[str]
    sentiment_trend: list[str]
    preferred_channel: list[str]
    preferred_format: list[str]
    unanswered: IntArray
    unanswered_since_ts: FloatArray
    unanswered_by: list[str | None]
    last_reply_days: FloatArray
    at_risk: npt.NDArray[np.bool_]
    risk_reasons: list[list[str]]

    def take(self, rows: slice) -> PairHealth:
        """The pairs in ``rows`` only."""
        return replace(self, **{f.name: take_rows(getattr(self, f.name), rows) for f in fields(self)})


def expected_gaps(prepared: Prepared, *, config: ScoringConfig) -> tuple[FloatArray, FloatArray, IntArray]:
    """(expected gap, median gap, number of gaps) in days per pair.

    The expected gap is ``exp`` of an exponentially weighted mean of the log gaps
    (newest weight ``alpha``), blended with the log prior as if the prior were
    ``gap_prior_weight`` more observed gaps: a pair seen on two days gets half its
    own gap and half the prior; ten weekly gaps give about nine days.
    """
    size = prepared.size
    days = prepared.days
    same = np.r_[False, days.pair[1:] == days.pair[:-1]] if days.pair.shape[0] else np.zeros(0, dtype=np.bool_)
    gap_pair = days.pair[same]
    step = np.r_[0, days.day[1:] - days.day[:-1]] if days.day.shape[0] else np.zeros(0, dtype=np.int64)
    gap = step[same].astype(np.float64)
    gap_count = per_pair_sum(gap_pair, None, size).astype(np.int64)
    median = group_median(gap_pair, gap, size)
    if gap.shape[0]:
        starts = group_starts(gap_pair)
        counts = np.diff(np.r_[starts, gap_pair.shape[0]])
        position = np.arange(gap_pair.shape[0]) - np.repeat(starts, counts)
        from_end = np.repeat(counts, counts) - 1 - position
        weight = (1.0 - config.gap_ewma_alpha) ** from_end
        ewma = np.full(size, math.log(config.gap_prior_days))
        totals = per_pair_sum(gap_pair, weight, size)
        sums = per_pair_sum(gap_pair, weight * np.log(gap), size)
        has = totals > 0
        ewma[has] = sums[has] / totals[has]
    else:
        ewma = np.full(size, math.log(config.gap_prior_days))
    evidence = gap_count.astype(np.float64)
    # A tiny floor keeps the blend defined for a pair with no gaps when the prior weighs nothing.
    prior = max(config.gap_prior_weight, 1e-9)
    log_gap = (evidence * ewma + prior * math.log(config.gap_prior_days)) / (evidence + prior)
    return np.exp(log_gap), median, gap_count


def _trends(recent: FloatArray, previous: FloatArray) -> list[str]:
    """``rising``/``falling`` when activity moved by at least one contact and by half, else ``steady``."""
    rising = (recent - previous >= 1.0) & (recent > 1.5 * previous)
    falling = (previous - recent >= 1.0) & (recent < previous / 1.5)
    return [str(s) for s in np.where(rising, "rising", np.where(falling, "falling", "steady")).tolist()]


def _sentiment_trends(prepared: Prepared) -> list[str]:
    """Over the last three scored written messages: ``cooling`` when the tone ends at its lowest,
    more than :data:`SENTIMENT_MARGIN` below where it started; ``warming`` the other way round.

    Calendar entries are left out: an invitation's tone says nothing about the relationship.
    """
    tl = prepared.timeline
    out = ["steady"] * prepared.size
    scored = ~np.isnan(tl.sentiment) & (tl.channel != CHANNEL_CODE["meeting"])
    pair, values = tl.pair[scored], tl.sentiment[scored]
    if pair.shape[0] < 3:
        return out
    starts = group_starts(pair)
    ends = np.r_[starts[1:], pair.shape[0]]
    enough = (ends - starts) >= 3
    index, end = pair[starts[enough]], ends[enough]
    s1, s2, s3 = values[end - 3], values[end - 2], values[end - 1]
    cooling = (s3 < s1 - SENTIMENT_MARGIN) & (s3 <= s2)
    warming = (s3 > s1 + SENTIMENT_MARGIN) & (s3 >= s2)
    labels = np.where(cooling, "cooling", np.where(warming, "warming", "steady"))
    for i, label in zip(index.tolist(), labels.tolist(), strict=True):
        out[i] = str(label)
    return out


def _unanswered(prepared: Prepared, scores: PairScores) -> tuple[IntArray, FloatArray, list[str | None]]:
    """Messages in a row from one side, at the end, after the other side has written before."""
    size = prepared.size
    tl = prepared.timeline
    count = np.zeros(size, dtype=np.int64)
    since = np.full(size, np.nan)
    by: list[str | None] = [None] * size
    directed = tl.direction != TOGETHER
    pair, direction, ts = tl.pair[directed], tl.direction[directed], tl.ts[directed]
    if pair.shape[0] == 0:
        return count, since, by
    new_run = np.r_[True, (pair[1:] != pair[:-1]) | (direction[1:] != direction[:-1])]
    run_id = np.cumsum(new_run) - 1
    run_len = np.bincount(run_id)
    run_start_ts = ts[new_run]
    last_row = np.r_[group_starts(pair)[1:], pair.shape[0]] - 1
    last_pair = pair[last_row]
    last_run = run_id[last_row]
    last_dir = direction[last_row]
    answered_before = (
        np.where(last_dir == A_TO_B, scores.count_b_to_a[last_pair], scores.count_a_to_b[last_pair])
        + scores.count_together[last_pair]
    )
    count[last_pair] = np.where(answered_before > 0, run_len[last_run], 0)
    since[last_pair] = run_start_ts[last_run]
    pending = count[last_pair] > 0
    for index, d in zip(last_pair[pending].tolist(), last_dir[pending].tolist(), strict=True):
        a, b = scores.pairs[index]
        # The person who has not answered is the recipient of the unanswered run.
        by[index] = b if d == A_TO_B else a
    return count, since, by


def _preferred(prepared: Prepared, scores: PairScores) -> tuple[list[str], list[str]]:
    size = prepared.size
    th = prepared.threads
    starts = th.thread_starts
    thread_pair = th.pair[starts]
    thread_channel = th.channel[starts]
    if th.pair.shape[0]:
        has_reply = np.maximum.reduceat(th.is_reply.astype(np.int64), starts)
        has_directed = np.maximum.reduceat((th.direction != TOGETHER).astype(np.int64), starts)
    else:
        has_reply = has_directed = np.zeros(0, dtype=np.int64)
    rate = np.ones((size, len(CHANNELS)))  # live channels happen only when both show up: rate 1
    for code in range(len(CHANNELS)):
        on = thread_channel == code
        directed = per_pair_sum(thread_pair, has_directed * on, size)
        replied = per_pair_sum(thread_pair, has_reply * on, size)
        ok = directed > 0
        rate[ok, code] = replied[ok] / directed[ok]
    # Volume decides; answers break near-ties (a channel they use and answer in).
    preference = scores.channel_weight * (0.5 + rate)
    best = np.argmax(preference, axis=1)
    channels = [CHANNELS[i] for i in best.tolist()]

    written = np.isin(thread_channel, LIVE_CHANNELS, invert=True)
    checkin_directed = per_pair_sum(thread_pair, has_directed * written, size)
    checkin_rate = np.where(
        checkin_directed > 0,
        per_pair_sum(thread_pair, has_reply * written, size) / np.maximum(checkin_directed, 1),
        np.nan,
    )
    live_weight = scores.channel_weight[:, list(LIVE_CHANNELS)].sum(axis=1)
    live_share = live_weight / np.maximum(scores.channel_weight.sum(axis=1), 1e-12)
    ignored = ~np.isnan(checkin_rate) & (np.nan_to_num(checkin_rate, nan=1.0) < 0.3)
    meeting = ((live_share > 0) & ((live_share >= 0.3) | ignored)) | (ignored & (checkin_directed >= 3))
    formats = [str(f) for f in np.where(meeting, "meeting", "check-in").tolist()]
    return channels, formats


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).date().isoformat()


def assess_health(prepared: Prepared, scores: PairScores, *, config: ScoringConfig) -> PairHealth:
    """Rhythm, due date, trends, preferences and risk for every pair at ``scores.as_of``."""
    size = prepared.size
    as_of = scores.as_of.timestamp()
    tl = prepared.timeline
    expected, median, gaps = expected_gaps(prepared, config=config)
    due = scores.last_ts + expected * DAY
    attention = np.floor((due - as_of) / DAY).astype(np.int64)

    age = (as_of - tl.ts) / DAY
    window = config.trend_window_days
    recent = per_pair_sum(tl.pair, tl.weight * (age < window), size)
    previous = per_pair_sum(tl.pair, tl.weight * ((age >= window) & (age < 2 * window)), size)
    trends = _trends(recent, previous)
    sentiment_trends = _sentiment_trends(prepared)
    channels, formats = _preferred(prepared, scores)
    unanswered, unanswered_since, unanswered_by = _unanswered(prepared, scores)

    th = prepared.threads
    reply_rows = th.is_reply
    last_reply = last_per_group(th.pair[reply_rows], th.ts[reply_rows], th.latency[reply_rows] / DAY, size)
    replies = scores.replies_by_a + scores.replies_by_b

    silent_days = (as_of - scores.last_ts) / DAY
    both_ways = ((scores.count_a_to_b > 0) & (scores.count_b_to_a > 0)) | (scores.count_together > 0)
    eligible = (
        (scores.interaction_count >= config.risk_min_interactions) & both_ways & (silent_days <= AT_RISK_HORIZON_DAYS)
    )
    trend_array = np.array(trends)
    overdue = attention < -np.maximum(OVERDUE_GRACE_DAYS, expected)
    falling = trend_array == "falling"
    cooling = np.array(sentiment_trends) == "cooling"
    slow = (
        (replies >= 3)
        & ~np.isnan(last_reply)
        & (
            np.nan_to_num(last_reply)
            > np.maximum(SLOW_REPLY_MIN_DAYS, SLOW_REPLY_FACTOR * np.nan_to_num(scores.reply_days))
        )
    )
    stalled = (unanswered >= UNANSWERED_MIN) & ((as_of - np.nan_to_num(unanswered_since)) / DAY >= UNANSWERED_MIN_DAYS)
    at_risk = eligible & (overdue | falling | cooling | slow | stalled)
    reasons: list[list[str]] = [[] for _ in range(size)]
    # Words only for the pairs at risk: a few percent of a big graph.
    for i in np.flatnonzero(at_risk).tolist():
        found = reasons[i]
        if overdue[i]:
            found.append(f"overdue: last contact {silent_days[i]:.0f} days ago, usually every {expected[i]:.0f} days")
        if falling[i]:
            found.append(
                f"activity falling: {recent[i]:.1f} weighted contacts in the last {window:.0f} days "
                f"against {previous[i]:.1f} in the {window:.0f} before"
            )
        if cooling[i]:
            found.append("sentiment cooling over the last 3 scored messages")
        if slow[i]:
            found.append(
                f"replies slowing: the last took {last_reply[i]:.0f} days against a usual {scores.reply_days[i]:.1f}"
            )
        if stalled[i]:
            found.append(f"no reply to the last {unanswered[i]} messages, sent since {_date(unanswered_since[i])}")
    return PairHealth(
        expected_gap_days=expected,
        median_gap_days=median,
        gaps=gaps,
        next_contact_due_ts=due,
        attention_in_days=attention,
        recent_volume=recent,
        previous_volume=previous,
        trend=trends,
        sentiment_trend=sentiment_trends,
        preferred_channel=channels,
        preferred_format=formats,
        unanswered=unanswered,
        unanswered_since_ts=unanswered_since,
        unanswered_by=unanswered_by,
        last_reply_days=last_reply,
        at_risk=at_risk,
        risk_reasons=reasons,
    )
