"""The contact table sorted the three ways scoring reads it: per pair by time, by day, and by thread.

Everything here is a vectorised pass over all pairs at once; per-pair values are
arrays indexed by the pair's number in :attr:`ContactTable.pairs`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tellgraph.scoring.contacts import TOGETHER, ContactTable, FloatArray, IntArray

DAY = 86_400.0


def group_starts(keys: npt.NDArray[np.int64]) -> IntArray:
    """Indices where a run of equal keys starts in a sorted array."""
    if keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]).astype(np.int64)


def per_pair_sum(pair: IntArray, values: npt.NDArray[np.generic] | None, size: int) -> FloatArray:
    """Sum of ``values`` per pair (a count when ``values`` is None)."""
    return np.bincount(pair, weights=values, minlength=size).astype(np.float64)


def group_median(group: IntArray, values: FloatArray, size: int) -> FloatArray:
    """The median of ``values`` per group, NaN for groups with none."""
    out = np.full(size, np.nan)
    if values.shape[0] == 0:
        return out
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    starts = group_starts(g)
    counts = np.diff(np.r_[starts, g.shape[0]])
    out[g[starts]] = (v[starts + (counts - 1) // 2] + v[starts + counts // 2]) / 2.0
    return out


def last_per_group(group: IntArray, order_key: FloatArray, values: FloatArray, size: int) -> FloatArray:
    """The value of the row with the greatest ``order_key`` in each group, NaN for groups with none."""
    out = np.full(size, np.nan)
    if values.shape[0] == 0:
        return out
    order = np.lexsort((order_key, group))
    g = group[order]
    ends = np.r_[group_starts(g)[1:], g.shape[0]] - 1
    out[g[ends]] = values[order][ends]
    return out


@dataclass
class Timeline:
    """Rows sorted by (pair, time), with each pair's slice."""

    pair: IntArray
    ts: FloatArray
    direction: npt.NDArray[np.int8]
    channel: npt.NDArray[np.int8]
    weight: FloatArray
    sentiment: FloatArray
    starts: IntArray
    ends: IntArray


@dataclass
class Days:
    """One row per (pair, UTC day with contact), sorted; ``weight`` is the day's strongest contact."""

    pair: IntArray
    day: IntArray
    weight: FloatArray


@dataclass
class Threads:
    """Rows sorted by (pair, thread, time) with replies found.

    A reply is a message in the same thread going the other way from the message
    just before it: B writing to A after A wrote to B. Time order is the only
    order there is, so a reply whose clock ran early (timestamped before its
    prompt) swaps places with it: the pair still shows one quick exchange whose
    latency is the skew, and no latency is ever negative.
    """

    pair: IntArray
    ts: FloatArray
    direction: npt.NDArray[np.int8]
    channel: npt.NDArray[np.int8]
    is_reply: npt.NDArray[np.bool_]
    latency: FloatArray
    thread_starts: IntArray


@dataclass
class Prepared:
    """The three sorted views of one contact table."""

    size: int
    timeline: Timeline
    days: Days
    threads: Threads


def prepare(table: ContactTable) -> Prepared:
    """Sort the table once per view."""
    size = table.pair_count
    order = np.lexsort((table.ts, table.pair))
    pair = table.pair[order]
    ts = table.ts[order]
    starts = group_starts(pair)
    timeline = Timeline(
        pair=pair,
        ts=ts,
        direction=table.direction[order],
        channel=table.channel[order],
        weight=table.weight[order],
        sentiment=table.sentiment[order],
        starts=starts,
        ends=np.r_[starts[1:], pair.shape[0]].astype(np.int64),
    )

    day = np.floor(ts / DAY).astype(np.int64)
    if pair.shape[0]:
        new_day = np.r_[True, (pair[1:] != pair[:-1]) | (day[1:] != day[:-1])]
        day_starts = np.flatnonzero(new_day)
        day_weight = np.maximum.reduceat(timeline.weight, day_starts)
    else:
        day_starts = np.zeros(0, dtype=np.int64)
        day_weight = np.zeros(0)
    days = Days(pair=pair[day_starts], day=day[day_starts], weight=day_weight)

    t_order = np.lexsort((table.ts, table.thread, table.pair))
    t_pair, t_thread, t_ts = table.pair[t_order], table.thread[t_order], table.ts[t_order]
    t_dir = table.direction[t_order]
    if t_pair.shape[0]:
        same = np.r_[False, (t_pair[1:] == t_pair[:-1]) & (t_thread[1:] == t_thread[:-1])]
        previous_dir = np.r_[TOGETHER, t_dir[:-1]]
        is_reply = same & (t_dir != TOGETHER) & (previous_dir != TOGETHER) & (t_dir != previous_dir)
        gap = t_ts - np.r_[t_ts[0], t_ts[:-1]]  # >= 0: rows are in time order within a thread
        latency = np.where(is_reply, gap, np.nan)
        thread_starts = np.flatnonzero(~same).astype(np.int64)
    else:
        is_reply = np.zeros(0, dtype=np.bool_)
        latency = np.zeros(0)
        thread_starts = np.zeros(0, dtype=np.int64)
    threads = Threads(
        pair=t_pair,
        ts=t_ts,
        direction=t_dir,
        channel=table.channel[t_order],
        is_reply=is_reply,
        latency=latency,
        thread_starts=thread_starts,
    )
    return Prepared(size=size, timeline=timeline, days=days, threads=threads)
