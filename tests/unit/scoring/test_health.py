"""Health and predictions: rhythm, due date, trends, preferences and risk, with a fixed clock."""

from __future__ import annotations

import math

import pytest

from tellgraph.graph.store import Interaction
from tellgraph.scoring.breakdown import edge_props, score_table
from tellgraph.scoring.config import ScoringConfig
from tellgraph.scoring.contacts import build_contacts
from tellgraph.scoring.health import expected_gaps
from tellgraph.scoring.sequence import prepare
from tests.unit.scoring.helpers import at, mail, meeting

CONFIG = ScoringConfig()


def health(interactions: list[Interaction], *, as_of_days: float) -> dict:
    table, _ = build_contacts(interactions, config=CONFIG)
    scores, pair_health = score_table(table, as_of=at(as_of_days), config=CONFIG)
    [props] = edge_props(scores, pair_health, config=CONFIG, scored_at=at(as_of_days))
    return props


def weekly(weeks: int, *, start: float = 0.0) -> list[Interaction]:
    """ann and bo trade a message and an answer every week."""
    out = []
    for k in range(weeks):
        out.append(mail("ann", ["bo"], days=start + 7 * k, thread=f"w{k}"))
        out.append(mail("bo", ["ann"], days=start + 7 * k, hours=3, thread=f"w{k}"))
    return out


def test_rhythm_predicts_the_next_contact() -> None:
    props = health(weekly(10), as_of_days=64)
    assert props["expected_gap_days"] == pytest.approx(7.0, rel=0.35)
    assert props["next_contact_due"].date() == at(63 + props["expected_gap_days"]).date()
    assert props["attention_in_days"] == math.floor(63 + props["expected_gap_days"] - 64 + 3 / 24)
    assert props["trend"] == "rising"  # all of it in the last 90 days: a new tie
    assert props["at_risk"] is False and props["risk_reasons"] == []


def test_one_contact_falls_back_to_the_prior_rhythm() -> None:
    props = health([mail("ann", ["bo"], days=0)], as_of_days=10)
    assert props["expected_gap_days"] == CONFIG.gap_prior_days
    assert props["attention_in_days"] == int(CONFIG.gap_prior_days) - 10


def test_recent_gaps_count_more_than_old_ones() -> None:
    # Monthly for a year, then weekly: the expected gap moves towards a week.
    monthly = [mail("ann", ["bo"], days=30 * k) for k in range(12)]
    weekly_now = [mail("ann", ["bo"], days=330 + 7 * k) for k in range(1, 6)]
    table, _ = build_contacts(monthly + weekly_now, config=CONFIG)
    expected, median, gaps = expected_gaps(prepare(table), config=CONFIG)
    assert gaps.tolist() == [16]
    assert median[0] == 30.0
    assert expected[0] < 15.0


def test_overdue_pairs_are_flagged_with_a_reason() -> None:
    props = health(weekly(10), as_of_days=63 + 60)
    assert props["attention_in_days"] < -30
    assert props["at_risk"] is True
    assert any(r.startswith("overdue") for r in props["risk_reasons"])


def test_activity_trend() -> None:
    assert health(weekly(26), as_of_days=182)["trend"] == "steady"
    fading = [*weekly(13), mail("ann", ["bo"], days=150)]
    falling = health(fading, as_of_days=182)
    assert falling["trend"] == "falling"
    assert any(r.startswith("activity falling") for r in falling["risk_reasons"])
    assert health(weekly(8, start=120), as_of_days=182)["trend"] == "rising"


def test_sentiment_trend_from_the_last_three_scored_messages() -> None:
    def trend(values: list[float | None]) -> dict:
        # Alternate senders: a two-way tie, so a cooling tone counts as a risk.
        comms = [
            mail(*(("ann", ["bo"]) if d % 2 else ("bo", ["ann"])), days=d, sentiment=s) for d, s in enumerate(values)
        ]
        return health(comms, as_of_days=5)

    cooling = trend([0.9, 0.5, 0.1])
    assert cooling["sentiment_trend"] == "cooling"
    assert "sentiment cooling over the last 3 scored messages" in cooling["risk_reasons"]
    assert trend([0.44, 0.48, 0.0])["sentiment_trend"] == "cooling"  # a warm exchange, then a curt reply
    assert trend([0.9, -0.2, 0.1, 0.3, None])["sentiment_trend"] == "warming"
    assert trend([0.5, 0.9, 0.5])["sentiment_trend"] == "steady"
    assert trend([0.5, 0.45, 0.42])["sentiment_trend"] == "steady"  # within the noise
    assert trend([0.9, 0.1])["sentiment_trend"] == "steady"  # too few to tell
    assert trend([None, None, None])["sentiment_trend"] == "steady"


def test_calendar_entries_do_not_set_the_tone() -> None:
    comms = [mail("ann", ["bo"], days=d, sentiment=s) for d, s in ((0, 0.6), (1, 0.6), (2, 0.55))]
    comms.append(mail("bo", ["ann"], days=3, sentiment=0.0, channel="meeting"))
    assert health(comms, as_of_days=4)["sentiment_trend"] == "steady"


def test_unanswered_messages_after_earlier_replies_are_a_stall() -> None:
    comms = [
        mail("leo", ["siti"], days=0, thread="a"),
        mail("siti", ["leo"], days=1, thread="a"),
        mail("leo", ["siti"], days=20, thread="b"),
        mail("leo", ["siti"], days=34, thread="b"),
    ]
    props = health(comms, as_of_days=75)
    assert props["unanswered_count"] == 2
    assert props["unanswered_by"] == "siti"
    assert props["at_risk"] is True
    assert any(r.startswith("no reply to the last 2 messages") for r in props["risk_reasons"])


def test_slowing_replies_are_a_warning() -> None:
    comms = []
    for k in range(4):
        comms.append(mail("tom", ["raj"], days=10 * k, thread=f"t{k}"))
        comms.append(mail("raj", ["tom"], days=10 * k, hours=4, thread=f"t{k}"))
    comms.append(mail("tom", ["raj"], days=50, thread="late"))
    comms.append(mail("raj", ["tom"], days=88, thread="late"))
    props = health(comms, as_of_days=90)
    assert any(r.startswith("replies slowing") for r in props["risk_reasons"])


def test_small_or_dormant_ties_are_never_at_risk() -> None:
    assert health([mail("ann", ["bo"], days=0)], as_of_days=300)["at_risk"] is False  # one message
    assert health(weekly(10), as_of_days=63 + 400)["at_risk"] is False  # silent for over a year


def test_preferred_channel_and_format() -> None:
    chatty = [mail("ann", ["bo"], days=k, channel="chat", thread=f"c{k}") for k in range(5)]
    chatty += [mail("bo", ["ann"], days=k, hours=1, channel="chat", thread=f"c{k}") for k in range(5)]
    chatty += [mail("ann", ["bo"], days=6)]
    props = health(chatty, as_of_days=7)
    assert props["preferred_channel"] == "chat"
    assert props["preferred_format"] == "check-in"

    ignored = [mail("ann", ["bo"], days=7 * k, thread=f"m{k}") for k in range(4)]
    ignored += [meeting("ann", ["ann", "bo"], days=30), meeting("bo", ["ann", "bo"], days=45)]
    props = health(ignored, as_of_days=50)
    assert props["preferred_format"] == "meeting"  # mails go unanswered, meetings happen
