"""Each strength component on hand-made communications with a fixed clock."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tellgraph.graph.store import Interaction
from tellgraph.scoring.breakdown import edge_props, score_table
from tellgraph.scoring.config import COMPONENTS, DEFAULT_WEIGHTS, ScoringConfig
from tellgraph.scoring.contacts import build_contacts
from tellgraph.scoring.strength import PairScores
from tests.unit.scoring.helpers import at, mail, meeting

CONFIG = ScoringConfig()


def score(interactions: list[Interaction], *, as_of_days: float, config: ScoringConfig = CONFIG) -> dict[str, dict]:
    """Props per pair, keyed "a-b"."""
    table, _ = build_contacts(interactions, config=config)
    scores, health = score_table(table, as_of=at(as_of_days), config=config)
    props = edge_props(scores, health, config=config, scored_at=at(as_of_days))
    return {f"{a}-{b}": p for (a, b), p in zip(table.pairs, props, strict=True)}


def components(props: dict) -> dict[str, float]:
    return {name: props[f"score_{name}"] for name in COMPONENTS}


def test_strength_is_the_weighted_sum_of_its_components() -> None:
    found = score(
        [mail("ann", ["bo"], days=0, thread="t"), mail("bo", ["ann"], days=0, hours=2, thread="t")], as_of_days=10
    )
    props = found["ann-bo"]
    total = sum(DEFAULT_WEIGHTS[name] * value for name, value in components(props).items())
    assert props["strength"] == pytest.approx(total, abs=1e-5)
    assert 0.0 < props["strength"] <= 1.0
    assert props["weights"].startswith("frequency=0.2 recency=0.3")
    assert "Strength" in props["explanation"] and "2 communications" in props["explanation"]


def test_a_pair_with_one_message() -> None:
    props = score([mail("ann", ["bo"], days=0)], as_of_days=0)["ann-bo"]
    c = components(props)
    assert props["interaction_count"] == 1
    assert (props["count_a_to_b"], props["count_b_to_a"]) == (1, 0)
    assert c["recency"] == 1.0
    assert c["reciprocity"] == 0.0
    assert c["responsiveness"] == 0.0  # asked once, never answered
    assert c["initiation"] == 0.0  # one side started everything
    assert c["depth"] == 0.0
    assert c["sentiment"] == 0.5  # unknown tone is neutral
    assert props["reply_days"] is None
    assert 0.0 < props["strength"] < 0.5


def test_recency_halves_every_half_life() -> None:
    comms = [mail("ann", ["bo"], days=0)]
    assert components(score(comms, as_of_days=90)["ann-bo"])["recency"] == pytest.approx(0.5)
    half = ScoringConfig(half_life_days=30)
    assert components(score(comms, as_of_days=60, config=half)["ann-bo"])["recency"] == pytest.approx(0.25)


def test_no_replies_means_no_responsiveness_and_no_reciprocity() -> None:
    comms = [mail("ann", ["bo"], days=d, thread=f"t{d}") for d in range(0, 50, 5)]
    c = components(score(comms, as_of_days=50)["ann-bo"])
    assert c["responsiveness"] == 0.0
    assert c["reciprocity"] == 0.0
    assert c["consistency"] > 0.5  # ten different days


def test_fast_replies_beat_slow_ones() -> None:
    def pair(reply_hours: float) -> float:
        comms = []
        for k in range(4):
            comms.append(mail("ann", ["bo"], days=10 * k, thread=f"t{k}"))
            comms.append(mail("bo", ["ann"], days=10 * k, hours=reply_hours, thread=f"t{k}"))
        props = score(comms, as_of_days=40)["ann-bo"]
        assert props["replies_by_b"] == 4 and props["replies_by_a"] == 0
        assert props["reply_days_by_b"] == pytest.approx(reply_hours / 24, abs=1e-3)
        return float(components(props)["responsiveness"])

    assert pair(1) > pair(24 * 5) > 0.0


def test_clock_skew_gives_zero_latency_never_negative() -> None:
    # bo's answer carries a time 20 minutes before ann's message: a skewed clock.
    comms = [mail("ann", ["bo"], days=1, thread="t"), mail("bo", ["ann"], days=1, hours=-1 / 3, thread="t")]
    props = score(comms, as_of_days=2)["ann-bo"]
    # Time order is all there is, so the two swap: still one quick exchange, latency = the skew.
    assert props["replies_by_a"] + props["replies_by_b"] == 1
    assert 0.0 <= props["reply_days"] < 0.02
    assert components(props)["responsiveness"] > 0.99
    assert components(props)["reciprocity"] == 1.0
    assert all(0.0 <= v <= 1.0 for v in components(props).values())


def test_initiation_balance() -> None:
    balanced = [mail("ann", ["bo"], days=0, thread="x"), mail("bo", ["ann"], days=5, thread="y")]
    one_sided = [mail("ann", ["bo"], days=0, thread="x"), mail("ann", ["bo"], days=5, thread="y")]
    assert components(score(balanced, as_of_days=6)["ann-bo"])["initiation"] == 1.0
    assert components(score(one_sided, as_of_days=6)["ann-bo"])["initiation"] == 0.0
    props = score(one_sided, as_of_days=6)["ann-bo"]
    assert (props["initiated_by_a"], props["initiated_by_b"]) == (2, 0)


def test_thread_depth() -> None:
    deep = [mail("ann" if k % 2 == 0 else "bo", ["bo" if k % 2 == 0 else "ann"], days=k, thread="t") for k in range(6)]
    shallow = [mail("ann", ["bo"], days=k, thread=f"t{k}") for k in range(6)]
    assert components(score(deep, as_of_days=6)["ann-bo"])["depth"] > 0.9
    assert components(score(shallow, as_of_days=6)["ann-bo"])["depth"] == 0.0


def test_channel_mix_and_meetings() -> None:
    comms = [
        mail("ann", ["bo"], days=0),
        mail("bo", ["ann"], days=1, channel="chat"),
        meeting("ann", ["ann", "bo"], days=2),
        meeting("bo", ["ann", "bo"], days=3, channel="call"),
    ]
    props = score(comms, as_of_days=4)["ann-bo"]
    c = components(props)
    assert props["channels"] == ["email", "chat", "meeting", "call"]
    assert props["count_together"] == 2
    assert c["channel_mix"] == 1.0
    assert c["meetings"] > 0.4
    only_mail = components(score([mail("ann", ["bo"], days=0)], as_of_days=4)["ann-bo"])
    assert only_mail["channel_mix"] < c["channel_mix"] and only_mail["meetings"] == 0.0


def test_meetings_only_pairs_are_reciprocal_and_neutral_on_replies() -> None:
    props = score([meeting("ann", ["ann", "bo"], days=0), meeting("bo", ["ann", "bo"], days=7)], as_of_days=8)["ann-bo"]
    c = components(props)
    assert c["reciprocity"] == 1.0
    assert c["responsiveness"] == 0.5 and c["initiation"] == 0.5


def test_sentiment_uses_scored_messages_recent_first() -> None:
    warm = [mail("ann", ["bo"], days=d, sentiment=0.8) for d in (0, 10, 20)]
    cold = [mail("ann", ["bo"], days=d, sentiment=-0.6) for d in (0, 10, 20)]
    assert components(score(warm, as_of_days=21)["ann-bo"])["sentiment"] == pytest.approx(0.9)
    assert components(score(cold, as_of_days=21)["ann-bo"])["sentiment"] == pytest.approx(0.2)
    assert score(warm, as_of_days=21)["ann-bo"]["sentiment"] == pytest.approx(0.8)
    mixed = [mail("ann", ["bo"], days=0, sentiment=-1.0), mail("ann", ["bo"], days=200, sentiment=1.0)]
    assert score(mixed, as_of_days=200)["ann-bo"]["sentiment"] > 0.5  # the recent tone dominates


def test_mailing_lists_with_hundreds_of_recipients_are_down_weighted() -> None:
    audience = [f"r{i:03d}" for i in range(400)]
    newsletter = [mail("list", [*audience, "bo"], days=d) for d in range(0, 60, 7)]
    note = [mail("ann", ["bo"], days=0), mail("bo", ["ann"], days=30)]
    found = score(newsletter + note, as_of_days=60)
    tie, bulk = found["ann-bo"], found["bo-list"]
    assert bulk["interaction_count"] == 9  # every issue still counts as a communication...
    assert bulk["strength"] < 0.1  # ...but weighs almost nothing
    assert tie["strength"] > 3 * bulk["strength"]
    assert len(found) == 2 + len(audience)


def test_scores_are_finite_and_bounded_on_random_input() -> None:
    rng = np.random.default_rng(1)
    people = [f"p{i}" for i in range(12)]
    comms = []
    for _k in range(300):
        sender = people[rng.integers(12)]
        to = list(rng.choice(people, size=int(rng.integers(1, 5)), replace=False))
        comms.append(
            mail(
                sender,
                to,
                days=float(rng.uniform(0, 300)),
                thread=f"t{rng.integers(30)}",
                sentiment=None if rng.random() < 0.5 else float(rng.uniform(-1, 1)),
            )
        )
    for props in score(comms, as_of_days=300).values():
        assert 0.0 <= props["strength"] <= 1.0
        for value in components(props).values():
            assert 0.0 <= value <= 1.0 and math.isfinite(value)


def test_scores_are_batch_independent() -> None:
    comms = [mail("ann", ["bo", "cy"], days=0, thread="t"), mail("bo", ["ann"], days=1, thread="t")]
    together = score(comms, as_of_days=5)
    alone = score([c for c in comms if "bo" in c.senders or ("bo", "TO") in c.recipients], as_of_days=5)
    assert together["ann-bo"]["strength"] == alone["ann-bo"]["strength"]


def test_pair_scores_expose_raw_counts() -> None:
    table, _ = build_contacts([mail("ann", ["bo"], days=0), mail("bo", ["ann"], days=3)], config=CONFIG)
    scores, _ = score_table(table, as_of=at(3), config=CONFIG)
    assert isinstance(scores, PairScores) and len(scores) == 1
    assert scores.days_with_contact.tolist() == [2]
