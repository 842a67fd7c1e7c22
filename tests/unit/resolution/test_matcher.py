from __future__ import annotations

from collections.abc import Sequence

import pytest

from tellgraph.resolution.matcher import (
    MatchConfig,
    Matcher,
    NameEmbedder,
    PersonRecord,
    exact_name_key,
)
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Node


class FakeEmbedder:
    """Records what it was asked; every pair gets the same cosine."""

    def __init__(self, cosine: float) -> None:
        self.cosine = cosine
        self.calls: list[list[tuple[str, str]]] = []

    def similarities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        self.calls.append(list(pairs))
        return [self.cosine] * len(pairs)


def rules_only() -> Matcher:
    return Matcher(config=MatchConfig(use_embeddings=False))


def P(pid: str, name: str | None = None, *emails: str, **kw: object) -> PersonRecord:
    return PersonRecord(id=pid, name=name, emails=tuple(emails), **kw)  # type: ignore[arg-type]


def test_same_identity_key_is_certain() -> None:
    decision = rules_only().compare(P("a", "Jeff", "JEFF@enron.com"), P("b", "Someone Else", "jeff@enron.com"))
    assert (decision.decision, decision.score) == ("merge", 1.0)
    assert decision.evidence == ["same identity key email:jeff@enron.com"]
    slack = rules_only().compare(P("a", keys=("slack:U1",)), P("b", keys=("slack:U1",)))
    assert slack.decision == "merge"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (P("a", "Skilling, Jeff", "jeff.skilling@enron.com"), P("b", "Jeff Skilling")),
        (P("a", "Jeffrey K. Skilling", "jeff.skilling@enron.com"), P("b", "Skilling, Jeff K.")),
        (P("a", None, "jeff.skilling@enron.com"), P("b", "Skilling, Jeff")),
        (P("a", "Jeff Skilling/HOU/ECT@ECT"), P("b", "Jeff Skilling", "jeff.skilling@enron.com")),
        (P("a", "Skilling Jeff"), P("b", "Jeff Skilling")),
        (P("a", "Bill Williams III", "bill.williams@enron.com"), P("b", "Williams III, William")),
        (P("a", "Jeff Dasovich", "jeff.dasovich@enron.com"), P("b", "Jeff Dasovich", "jdasovic@enron.com")),
        (P("a", "Jeff Dasovich", "jeff.dasovich@enron.com"), P("b", None, "jdasovic@enron.com")),
        (P("a", "Jеff Skilling"), P("b", "Jeff Skilling")),  # Cyrillic е
        (P("a", "José Núñez", "jose.nunez@acme.com"), P("b", "Jose Nunez")),
    ],
)
def test_name_variants_merge(a: PersonRecord, b: PersonRecord) -> None:
    decision = rules_only().compare(a, b)
    assert decision.decision == "merge", decision


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (P("a", "Dean, Clint", "clint.dean@enron.com"), P("b", "Dean, Craig", "craig.dean@enron.com"), "distinct"),
        (P("a", "Jeff Skilling"), P("b", "Jeff Dasovich"), "distinct"),
        (P("a", "Mary Kay Miller"), P("b", "Mary Ellen Miller"), "review"),
        (P("a", "John Smith Jr."), P("b", "John Smith Sr."), "distinct"),
        (P("a", "J. Skilling"), P("b", "Jeff Skilling"), "review"),
        (P("a", "Skilling"), P("b", "Jeff Skilling"), "distinct"),
        (P("a", "Mike Curry", "mike.curry@enron.com"), P("b", "Mike Curran", "mike.curran@enron.com"), "distinct"),
        (P("a", "Paul Thomas"), P("b", "Paula Thomas"), "distinct"),
        (P("a", None, "pdavis@enron.com"), P("b", "Pete Davis"), "review"),
    ],
)
def test_conflicts_and_weak_evidence_do_not_merge(a: PersonRecord, b: PersonRecord, expected: str) -> None:
    assert rules_only().compare(a, b).decision == expected


def test_company_evidence() -> None:
    matcher = rules_only()
    same = matcher.compare(P("a", "Jeff Dasovich", "jeff@enron.com"), P("b", "Jeff Dasovich", "jd@enron.com"))
    assert "same company domain enron.com" in same.evidence
    common = matcher.compare(P("a", "John Smith", "john@ibm.com"), P("b", "John Smith", "jsmith@acme.com"))
    assert common.decision == "review"  # namesakes are common
    rare = matcher.compare(P("a", "Jeff Dasovich", "jeff@ibm.com"), P("b", "Jeff Dasovich", "jd@acme.com"))
    assert rare.decision == "merge" and any("rare exact name" in e for e in rare.evidence)
    free = matcher.compare(P("a", "John Smith", "john@ibm.com"), P("b", "John Smith", "js@gmail.com"))
    assert free.decision == "merge"  # a personal address says nothing about the employer
    related = matcher.compare(P("a", "Lucy Marshall", "lucy@enron.com"), P("b", "Marshall, Lucy", "lm@enron.net"))
    assert related.decision == "merge"


def test_numbered_addresses_and_linkedin_conflicts() -> None:
    matcher = rules_only()
    numbered = matcher.compare(
        P("a", "John Smith", "john.smith@enron.com"), P("b", "John Smith", "john.smith2@enron.com")
    )
    assert numbered.decision != "merge" and any("numbered" in e for e in numbered.evidence)
    linkedin = matcher.compare(
        P("a", "Jeff Dasovich", keys=("linkedin:https://linkedin.com/in/a",)),
        P("b", "Jeff Dasovich", keys=("linkedin:https://linkedin.com/in/b",)),
    )
    assert linkedin.decision == "distinct"


def test_company_id_scheme_with_a_rare_surname_merges() -> None:
    matcher = rules_only()
    rare = matcher.compare(P("a", "Haedicke, Mark E.", "mark.haedicke@enron.com"), P("b", None, "mhaedic@enron.com"))
    assert rare.decision == "merge"
    common = matcher.compare(P("a", "Allen, Phillip K.", "phillip.allen@enron.com"), P("b", None, "pallen@enron.com"))
    assert common.decision == "review"
    elsewhere = matcher.compare(P("a", "Mark Haedicke"), P("b", None, "mhaedic@aol.com"))
    assert elsewhere.decision == "review"


def test_run_blocks_and_finds_pairs() -> None:
    records = [
        P("p1", "Skilling, Jeff", "jeff.skilling@enron.com"),
        P("p2", "Jeffrey Skilling"),
        P("p3", "Dasovich, Jeff", "jeff.dasovich@enron.com"),
        P("p4", None, "jdasovic@enron.com"),
        P("p5", "Clint Dean", "clint.dean@enron.com"),
        P("p6", "Craig Dean", "craig.dean@enron.com"),
        P("p7", "Someone Unrelated", "x@y.com"),
    ]
    run = rules_only().run(records)
    found = {(d.a, d.b): d.decision for d in run.decisions}
    assert found[("p1", "p2")] == "merge"
    assert found[("p3", "p4")] == "merge"
    assert ("p5", "p6") not in found  # compared, distinct, left out
    assert run.records == 7 and run.candidate_pairs >= 3
    everything = rules_only().run(records, include_distinct=True)
    assert any((d.a, d.b) == ("p5", "p6") and d.decision == "distinct" for d in everything.decisions)
    # Unrelated people never meet: blocking keeps the pair count small.
    assert all("p7" not in (d.a, d.b) for d in everything.decisions)


def test_oversized_blocks_are_skipped_but_narrow_keys_still_meet() -> None:
    records = [P(f"s{i}", f"Person{i} Smith", f"p{i}@x{i}.com") for i in range(30)]
    records += [P("j1", "John Smith", "john.smith@enron.com"), P("j2", "Smith, John")]
    run = Matcher(config=MatchConfig(use_embeddings=False, max_block_size=10)).run(records)
    assert run.skipped_blocks >= 1
    assert any((d.a, d.b) == ("j1", "j2") and d.decision == "merge" for d in run.decisions)


def test_a_name_matching_two_different_people_is_ambiguous() -> None:
    records = [
        P("a", "Jeff Dasovich", "jeff.dasovich@enron.com"),
        P("b", "Jeff Dasovich", "jeff.dasovich@acme.com"),
        P("c", "Jeff Dasovich"),
    ]
    matcher = Matcher(config=MatchConfig(use_embeddings=False))
    # a and b: a rare exact name at two companies merges on its own ...
    assert matcher.compare(records[0], records[1]).decision == "merge"
    # ... but make them conflict (different LinkedIn profiles) and c cannot join either.
    conflicting = [
        P("a", "Jeff Dasovich", "jeff.dasovich@enron.com", keys=("linkedin:https://l/in/a",)),
        P("b", "Jeff Dasovich", "jeff.dasovich@acme.com", keys=("linkedin:https://l/in/b",)),
        P("c", "Jeff Dasovich"),
    ]
    decisions = {(d.a, d.b): d for d in matcher.run(conflicting).decisions}
    assert decisions[("a", "c")].decision == "review"
    assert decisions[("b", "c")].decision == "review"
    assert "ambiguous" in decisions[("a", "c")].evidence[-1]


def test_embeddings_only_where_they_can_change_the_decision() -> None:
    fake = FakeEmbedder(0.95)
    matcher = Matcher(embedder=fake)
    certain = matcher.compare(P("a", "Jeff Skilling", "j@enron.com"), P("b", "Skilling, Jeff"))
    assert certain.decision == "merge" and fake.calls == []
    middling = matcher.compare(P("a", "J. Skilling"), P("b", "Jeff Skilling"))  # 0.74: no nudge can flip it
    assert middling.decision == "review" and fake.calls == []
    close = matcher.compare(P("a", "Denise Cazalet"), P("b", "Denice Cazalet"))  # 0.87, just below merge
    assert fake.calls == [[("denise cazalet", "denice cazalet")]]
    assert close.decision == "merge" and any("embed close" in e for e in close.evidence)
    far = Matcher(embedder=FakeEmbedder(0.1)).compare(P("a", "Denise Cazalet"), P("b", "Denice Cazalet"))
    assert far.decision == "review" and any("far apart" in e for e in far.evidence)
    dropped = Matcher(embedder=FakeEmbedder(0.1)).compare(P("a", "Mary Kay Miller"), P("b", "Mary Ellen Miller"))
    assert dropped.decision == "distinct"  # 0.66, just above review: a far pair drops out


def test_embeddings_batch_all_uncertain_pairs_once() -> None:
    fake = FakeEmbedder(0.7)
    surnames = ["Adams", "Baker", "Carter", "Dawson", "Ellis"]
    records = [P(f"i{i}", f"Denise {s}") for i, s in enumerate(surnames)] + [
        P(f"f{i}", f"Denice {s}") for i, s in enumerate(surnames)
    ]
    Matcher(embedder=fake).run(records)
    assert len(fake.calls) == 1 and len(fake.calls[0]) == 5


def test_name_embedder_caches_and_normalises() -> None:
    embedder = NameEmbedder()
    first = embedder.similarities([("jeff skilling", "jeffrey skilling"), ("jeff skilling", "jeff skilling")])
    assert first[1] == pytest.approx(1.0, abs=1e-4)
    assert 0.5 < first[0] < 1.0
    cached = len(embedder._cache)
    embedder.similarities([("jeffrey skilling", "jeff skilling")])
    assert len(embedder._cache) == cached


@pytest.mark.parametrize(
    "name",
    ["", " ", None, "@", "jeff@", "'); MATCH (n) DETACH DELETE n; //", "\x00", "a" * 3000, "🙂", "Jr.", "Dr. Dr."],
)
def test_bad_input_never_crashes(name: str | None) -> None:
    records = [P("a", name), P("b", name, "x@y.com"), P("c", "Jeff Skilling"), P("d", name, "not-an-address")]
    run = rules_only().run(records, include_distinct=True)
    assert all(0.0 <= d.score <= 1.0 for d in run.decisions)
    rules_only().compare(records[0], records[1])


def test_from_node_and_baseline_key() -> None:
    node = Node(
        label=NodeLabel.PERSON,
        id="p1",
        props={
            "name": "Skilling, Jeff",
            "emails": ["jeff@enron.com"],
            "handles": ["slack:U1", "bare"],
            "linkedin_url": "https://LinkedIn.com/in/jeff",
            "aliases": ["JS"],
            "company_domain": "enron.com",
        },
    )
    record = PersonRecord.from_node(node)
    assert record.keys == ("slack:U1", "linkedin:https://LinkedIn.com/in/jeff")
    assert record.emails == ("jeff@enron.com",) and record.aliases == ("JS",)
    assert exact_name_key(record) == "jeff skilling"
    assert exact_name_key(P("x", None, "pete.davis@enron.com")) == "pete davis"
    assert exact_name_key(P("x")) is None


def test_swapped_order_either_side() -> None:
    matcher = rules_only()
    assert matcher.compare(P("a", "Febokiwood Jennifer"), P("b", "Jennifer Febokiwood")).decision == "merge"
    # A nickname and a swapped order are two doubts: a person decides.
    one = matcher.compare(P("a", "Febokiwood Jennifer"), P("b", "Jenni Febokiwood"))
    other = matcher.compare(P("a", "Jenni Febokiwood"), P("b", "Febokiwood Jennifer"))
    assert one.decision == other.decision == "review"
    assert one.evidence[:2] == ["same last name febokiwood", "first name nickname (jennifer/jenni)"]


def test_weak_but_compatible_partners_do_not_make_a_record_ambiguous() -> None:
    records = [
        P("k", "Kristopher Dalowood", "kristopher.dalowood@mokani.com"),
        P("c", "Chris Dalowood"),  # a nickname, name only
        P("s", None, "kdalowood@mokani.com"),  # the company id of a rare surname
    ]
    decisions = {(d.a, d.b): d.decision for d in rules_only().run(records).decisions}
    assert decisions[("c", "k")] == "merge"
    assert decisions[("k", "s")] == "merge"


def test_linkedin_urls_are_compared_by_profile() -> None:
    same = rules_only().compare(
        P("a", "Jeff", keys=("linkedin:https://www.linkedin.com/in/jeff-d/?trk=x",)),
        P("b", "Someone", keys=("linkedin:linkedin.com/in/Jeff-D",)),
    )
    assert same.decision == "merge" and same.score == 1.0
