"""Pairwise precision, recall and F1 of the matcher on labelled Enron pairs, against baselines.

The pairs (``tests/fixtures/resolution/enron_pairs.csv``) come from header evidence in
the Enron maildir; see the README next to them. A pair counts as predicted "same"
when the matcher says ``merge``: reviews are not merges, so recall here is what
resolution does on its own, without a person answering the review queue.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tellgraph.ingest.mapping import normalise_name
from tellgraph.resolution.matcher import MatchDecision, Matcher, PersonRecord, exact_name_key

PAIRS = Path(__file__).resolve().parents[2] / "fixtures" / "resolution" / "enron_pairs.csv"


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    def line(self, label: str) -> str:
        return (
            f"{label:34} P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} "
            f"(tp={self.tp} fp={self.fp} fn={self.fn})"
        )


def score(predicted: Sequence[bool], truth: Sequence[bool]) -> Scores:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp, fp, fn)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def pairs(rows: list[dict[str, str]]) -> list[tuple[PersonRecord, PersonRecord]]:
    def record(pid: str, name: str, email: str) -> PersonRecord:
        return PersonRecord(id=pid, name=name or None, emails=(email,) if email else ())

    return [
        (record(f"a{i}", row["a_name"], row["a_email"]), record(f"b{i}", row["b_name"], row["b_email"]))
        for i, row in enumerate(rows)
    ]


@pytest.fixture(scope="module")
def decisions(pairs: list[tuple[PersonRecord, PersonRecord]]) -> list[MatchDecision]:
    return Matcher().compare_pairs(pairs)


def test_the_labelled_set_is_big_and_balanced(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= 300
    labels = Counter(row["same"] for row in rows)
    assert labels["1"] >= 150 and labels["0"] >= 150
    assert all(row["how"] for row in rows)


def _baseline(key: Callable[[PersonRecord], str | None]) -> Callable[[PersonRecord, PersonRecord], bool]:
    def same(a: PersonRecord, b: PersonRecord) -> bool:
        if set(a.emails) & set(b.emails):
            return True
        ka, kb = key(a), key(b)
        return ka is not None and ka == kb

    return same


def _display_key(record: PersonRecord) -> str | None:
    # What ingest does today: name-only people get the key ``name:<normalise_name(name)>``.
    return normalise_name(record.name) if record.name and record.name.strip() else None


def test_matcher_precision_recall_against_baselines(
    rows: list[dict[str, str]],
    pairs: list[tuple[PersonRecord, PersonRecord]],
    decisions: list[MatchDecision],
) -> None:
    truth = [row["same"] == "1" for row in rows]
    matcher = score([d.decision == "merge" for d in decisions], truth)
    with_review = score([d.decision != "distinct" for d in decisions], truth)
    exact = score([_baseline(_display_key)(a, b) for a, b in pairs], truth)
    parsed = score([_baseline(exact_name_key)(a, b) for a, b in pairs], truth)

    print()
    print(f"{len(rows)} labelled pairs ({sum(truth)} same, {len(truth) - sum(truth)} different)")
    print(matcher.line("matcher (merge = same)"))
    print(with_review.line("matcher (merge or review = same)"))
    print(exact.line("baseline: exact normalised name"))
    print(parsed.line("baseline: exact parsed first+last"))
    by_how: dict[str, Counter[str]] = defaultdict(Counter)
    for decision, row in zip(decisions, rows, strict=True):
        by_how[f"{row['how']} (same={row['same']})"][decision.decision] += 1
    for how, counts in sorted(by_how.items()):
        print(f"  {how:42} {dict(sorted(counts.items()))}")

    assert matcher.precision >= 0.98
    assert matcher.recall >= 0.90
    assert matcher.f1 > exact.f1
    assert matcher.f1 > parsed.f1


def test_no_negative_is_ever_merged(rows: list[dict[str, str]], decisions: list[MatchDecision]) -> None:
    wrong = [
        (row["a_name"], row["a_email"], row["b_name"], row["b_email"], d.score, d.evidence)
        for row, d in zip(rows, decisions, strict=True)
        if row["same"] == "0" and d.decision == "merge"
    ]
    assert wrong == []
