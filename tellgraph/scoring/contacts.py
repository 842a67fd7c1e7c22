"""Communications to pairwise contacts: one row per (pair, communication), in columns.

This is where the ``interaction_count`` contract lives. A contact between two
people is a distinct communication in which, for mail and chat, one of them sent
it and the other received it (To, Cc or Bcc), and, for meetings and calls, both
took part. Co-recipients of the same mail are not in contact. Each row carries
how much the communication says about the tie (``weight``): a note to one person
counts 1, a Cc less, a mail to forty people very little.

Columns are numpy arrays so that scoring a million pairs is a handful of
vectorised passes rather than a million Python loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from tellgraph.graph.store import Interaction
from tellgraph.scoring.config import ScoringConfig

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TOGETHER, A_TO_B, B_TO_A = 0, 1, 2
"""Directions: both took part (meeting, call), the lower id wrote to the higher one, or back."""

CHANNELS: tuple[str, ...] = ("email", "chat", "meeting", "call", "other")
CHANNEL_CODE = {name: code for code, name in enumerate(CHANNELS)}
OTHER_CHANNEL = CHANNEL_CODE["other"]
LIVE_CHANNELS = (CHANNEL_CODE["meeting"], CHANNEL_CODE["call"])
"""Channels where people meet in person or by voice: the formal end of ``preferred_format``."""

_RECIPIENT_ROLES = {"TO": 1.0, "CC": 0.0, "BCC": 0.0}  # Cc/Bcc take ``cc_weight`` (set per config)

Pair = tuple[str, str]


def pair_key(x: str, y: str) -> Pair:
    """The canonical (lower id, higher id) form of an unordered pair."""
    return (x, y) if x < y else (y, x)


def broadcast_weight(recipients: int, *, config: ScoringConfig) -> float:
    """How much one mail says about the tie between its sender and each recipient.

    Full weight up to ``free_recipients``; beyond that it falls as a power of the
    audience, so a newsletter to forty people is worth a small fraction of a note.
    """
    if recipients <= config.free_recipients:
        return 1.0
    return float((config.free_recipients / recipients) ** config.broadcast_exponent)


def group_weight(size: int) -> float:
    """A meeting of two is a full contact; bigger meetings say less about each pair in them."""
    return 1.0 if size <= 2 else 1.0 / math.log2(size)


@dataclass
class ContactTable:
    """One row per (pair, communication) with the columns scoring needs.

    ``pairs[i]`` is the pair that ``pair == i`` rows belong to. Every pair has at
    least one row. Rows are in no particular order; scoring sorts what it needs.
    """

    pairs: list[Pair]
    pair: IntArray
    ts: FloatArray
    direction: npt.NDArray[np.int8]
    channel: npt.NDArray[np.int8]
    weight: FloatArray
    sentiment: FloatArray
    thread: IntArray
    audience: IntArray
    """How many other people the communication reached besides the sender (or meeting mates)."""

    def __len__(self) -> int:
        return int(self.pair.shape[0])

    @property
    def pair_count(self) -> int:
        """How many pairs the table holds."""
        return len(self.pairs)

    def where(self, keep: npt.NDArray[np.bool_]) -> ContactTable:
        """The rows where ``keep`` holds, with pairs that lost every row dropped and renumbered."""
        pair = self.pair[keep]
        used, inverse = np.unique(pair, return_inverse=True)
        return ContactTable(
            pairs=[self.pairs[i] for i in used.tolist()],
            pair=inverse.astype(np.int64),
            ts=self.ts[keep],
            direction=self.direction[keep],
            channel=self.channel[keep],
            weight=self.weight[keep],
            sentiment=self.sentiment[keep],
            thread=self.thread[keep],
            audience=self.audience[keep],
        )

    def before(self, at: datetime) -> ContactTable:
        """Only contacts strictly before ``at`` (what was known at that moment)."""
        return self.where(self.ts < at.timestamp())

    def for_pairs(self, pairs: Iterable[Pair]) -> ContactTable:
        """Only the rows of these pairs (given in any order)."""
        wanted = {pair_key(a, b) for a, b in pairs}
        index = np.array([i for i, p in enumerate(self.pairs) if p in wanted], dtype=np.int64)
        return self.where(np.isin(self.pair, index))


@dataclass
class ContactStats:
    """What building a contact table saw."""

    communications: int = 0
    skipped_bogus_dates: int = 0
    newest: datetime | None = None


@dataclass
class _Columns:
    pair_index: dict[Pair, int] = field(default_factory=dict)
    threads: dict[str, int] = field(default_factory=dict)
    pair: list[int] = field(default_factory=list)
    ts: list[float] = field(default_factory=list)
    direction: list[int] = field(default_factory=list)
    channel: list[int] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    sentiment: list[float] = field(default_factory=list)
    thread: list[int] = field(default_factory=list)
    audience: list[int] = field(default_factory=list)


def build_contacts(
    interactions: Iterable[Interaction],
    *,
    config: ScoringConfig,
    latest: datetime | None = None,
    only_pairs: Iterable[Pair] | None = None,
    observer: Callable[[Interaction], None] | None = None,
) -> tuple[ContactTable, ContactStats]:
    """Pairwise contacts from communications.

    Args:
        interactions: communications, in any order; each id is used once.
        config: weights for broadcasts, Cc and groups.
        latest: communications dated after this are bogus (a clock in the future) and skipped.
        only_pairs: keep only these pairs (incremental rescoring); ``None`` keeps all.
        observer: called with every communication with a valid date, so other passes
            (shared threads for inference) need not read the store a second time.

    Returns:
        The table and what was seen (how many communications, skipped, the newest date).
    """
    cols = _Columns()
    stats = ContactStats()
    wanted = {pair_key(a, b) for a, b in only_pairs} if only_pairs is not None else None
    earliest = config.earliest
    seen_ids: set[str] = set()
    for comm in interactions:
        if comm.id in seen_ids:
            continue
        seen_ids.add(comm.id)
        stats.communications += 1
        when = comm.timestamp
        if when < earliest or (latest is not None and when > latest):
            stats.skipped_bogus_dates += 1
            continue
        if stats.newest is None or when > stats.newest:
            stats.newest = when
        _add_interaction(cols, comm, config=config, wanted=wanted)
        if observer is not None:
            observer(comm)
    table = ContactTable(
        pairs=list(cols.pair_index),
        pair=np.array(cols.pair, dtype=np.int64),
        ts=np.array(cols.ts, dtype=np.float64),
        direction=np.array(cols.direction, dtype=np.int8),
        channel=np.array(cols.channel, dtype=np.int8),
        weight=np.array(cols.weight, dtype=np.float64),
        sentiment=np.array(cols.sentiment, dtype=np.float64),
        thread=np.array(cols.thread, dtype=np.int64),
        audience=np.array(cols.audience, dtype=np.int64),
    )
    return table, stats


def _add_interaction(cols: _Columns, comm: Interaction, *, config: ScoringConfig, wanted: set[Pair] | None) -> None:
    found = contacts_of(comm, config=config)
    if not found:
        return
    ts = comm.timestamp.timestamp()
    channel = CHANNEL_CODE.get(comm.channel, OTHER_CHANNEL)
    sentiment = math.nan if comm.sentiment is None else float(comm.sentiment)
    # Communications without a thread are threads of their own.
    thread = cols.threads.setdefault(comm.thread_key or "\x00" + comm.id, len(cols.threads))
    pair_index = cols.pair_index
    for key, (direction, weight, audience) in found.items():
        if wanted is not None and key not in wanted:
            continue
        cols.pair.append(pair_index.setdefault(key, len(pair_index)))
        cols.ts.append(ts)
        cols.direction.append(direction)
        cols.channel.append(channel)
        cols.weight.append(weight)
        cols.sentiment.append(sentiment)
        cols.thread.append(thread)
        cols.audience.append(audience)


def contacts_of(comm: Interaction, *, config: ScoringConfig) -> dict[Pair, tuple[int, float, int]]:
    """The pairs one communication puts in contact: ``pair -> (direction, weight, audience)``.

    Mail and chat: each sender with each recipient (not with themselves), weighted
    by role (To, or Cc/Bcc) and by the audience. Meetings and calls: everyone with
    everyone, up to ``group_limit`` people. A pair appears once however it is
    addressed; a directed contact wins over being in the same meeting.
    """
    found: dict[Pair, tuple[int, float, int]] = {}
    senders = set(comm.senders)
    if senders and comm.recipients:
        roles: dict[str, float] = {}
        for person, rel in comm.recipients:
            role_weight = 1.0 if _RECIPIENT_ROLES.get(rel, 0.0) else config.cc_weight
            roles[person] = max(roles.get(person, 0.0), role_weight)
        audience = sum(1 for person in roles if person not in senders)
        scale = broadcast_weight(audience, config=config)
        for sender in sorted(senders):
            for person, role_weight in roles.items():
                if person == sender:
                    continue  # mail to oneself says nothing about a tie
                key = pair_key(sender, person)
                if key not in found:
                    found[key] = (A_TO_B if sender == key[0] else B_TO_A, scale * role_weight, audience)
    if comm.participants:
        group: Sequence[str] = sorted(set(comm.participants) | senders)
        if 2 <= len(group) <= config.group_limit:
            weight = group_weight(len(group))
            for i, x in enumerate(group):
                for y in group[i + 1 :]:
                    found.setdefault((x, y), (TOGETHER, weight, len(group) - 1))
    return found
