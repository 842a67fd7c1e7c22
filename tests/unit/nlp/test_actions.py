from __future__ import annotations

from datetime import date

import pytest

from tellgraph.extractors.nlp.actions import MAX_ACTIONS, ActionItem, extract_actions, resolve_due

WED_7_OCT_2026 = date(2026, 10, 7)


def rendered(sentence: str, reference: date | None = WED_7_OCT_2026) -> list[str]:
    return [item.render() for item in extract_actions([sentence], reference=reference)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Can you send the production budget by Friday?", ["Send the production budget (due 2026-10-09)"]),
        ("Please review the model by 23 October.", ["Review the model (due 2026-10-23)"]),
        ("Could you call me tomorrow?", ["Call me (due 2026-10-08)"]),
        (
            "Quick status from each of you by end of day, please: relationship, production.",
            ["Quick status from each of you (due 2026-10-07)"],
        ),
        ("Please send it EOD.", ["Send it (due 2026-10-07)"]),
        ("Can you get it to me next week?", ["Get it to me (due 2026-10-16)"]),
        ("I'll send a draft schedule by the end of the month.", ["Send a draft schedule (due 2026-10-31)"]),
        ("Please sign the NDA by 2026-11-02.", ["Sign the NDA (due 2026-11-02)"]),
        (
            "Let's pencil in the July start and I'll have contracts drafted.",
            ["Pencil in the July start", "Have contracts drafted"],
        ),
        (
            "We will not be paying the overrun, and I need a corrected invoice by Thursday.",
            ["Need a corrected invoice (due 2026-10-08)"],
        ),
        ("Please bring the crew timesheets.", ["Bring the crew timesheets"]),
        ("Could you review the NDA next month?", ["Review the NDA (due next month)"]),
    ],
)
def test_requests_and_commitments(sentence: str, expected: list[str]) -> None:
    assert rendered(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Please find attached the report.",
        "Please let me know if you have any questions.",
        "Let's not count on them.",
        "Are you free?",
        "Yes please!",
        "Draft rate card for the PSN Q3 block is in the shared drive.",
        "I'll be in KL that week.",
        "",
    ],
)
def test_non_actions(sentence: str) -> None:
    assert rendered(sentence) == []


def test_due_dates_resolve_against_the_message_date() -> None:
    assert resolve_due("Friday", reference=date(2026, 10, 9)) == "2026-10-16"  # "by Friday" on a Friday
    assert resolve_due("this Friday", reference=date(2026, 10, 9)) == "2026-10-09"
    assert resolve_due("next Monday", reference=WED_7_OCT_2026) == "2026-10-12"
    assert resolve_due("5 January", reference=date(2026, 12, 20)) == "2027-01-05"  # rolls into next year
    assert resolve_due("October 23rd", reference=WED_7_OCT_2026) == "2026-10-23"
    assert resolve_due("10/23", reference=date(2001, 10, 20)) == "2001-10-23"  # US order
    assert resolve_due("23/10/01", reference=date(2001, 10, 20)) == "2001-10-23"
    assert resolve_due("31 February", reference=WED_7_OCT_2026) is None
    assert resolve_due("Friday", reference=None) is None
    assert resolve_due("2026-02-30", reference=None) is None


def test_without_a_message_date_the_raw_hint_is_kept() -> None:
    assert rendered("Can you send the budget by Friday?", reference=None) == ["Send the budget (due Friday)"]


def test_limits_and_dedupe() -> None:
    sentences = [f"Please send file number {n}." for n in range(30)] + ["Please send file number 1."]
    items = extract_actions(sentences, reference=WED_7_OCT_2026)
    assert len(items) == MAX_ACTIONS
    long_item = extract_actions(["Please send " + "x" * 370], reference=None)[0]
    assert len(long_item.text) <= 200


def test_item_render() -> None:
    assert ActionItem(text="Send it", kind="request").render() == "Send it"
    assert ActionItem(text="Send it", kind="request", hint="by Friday").render() == "Send it (due Friday)"
