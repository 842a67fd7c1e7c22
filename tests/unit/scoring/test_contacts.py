"""Communications to pairwise contacts: the interaction_count contract and broadcast weights."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tellgraph.graph.store import Interaction
from tellgraph.scoring.config import ScoringConfig
from tellgraph.scoring.contacts import A_TO_B, B_TO_A, TOGETHER, broadcast_weight, build_contacts
from tests.unit.scoring.helpers import at, mail, meeting

CONFIG = ScoringConfig()


def rows(interactions: list[Interaction], **kw: object) -> dict[tuple[str, str], list[tuple[int, float]]]:
    table, _ = build_contacts(interactions, config=CONFIG, **kw)  # type: ignore[arg-type]
    out: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for p, d, w in zip(table.pair.tolist(), table.direction.tolist(), table.weight.tolist(), strict=True):
        out.setdefault(table.pairs[p], []).append((d, round(w, 4)))
    return out


def test_sender_and_recipients_are_in_contact_but_co_recipients_are_not() -> None:
    found = rows([mail("ann", ["bo"], cc=["cy"], days=0)])
    assert set(found) == {("ann", "bo"), ("ann", "cy")}
    assert found[("ann", "bo")] == [(A_TO_B, 1.0)]
    assert found[("ann", "cy")] == [(A_TO_B, CONFIG.cc_weight)]


def test_direction_is_from_the_lower_id() -> None:
    found = rows([mail("zed", ["amy"], days=0)])
    assert found == {("amy", "zed"): [(B_TO_A, 1.0)]}


def test_one_communication_is_one_contact_however_it_is_addressed() -> None:
    # The same person in To and Cc, and the same id read twice (another folder).
    comm = mail("ann", ["bo"], cc=["bo"], days=0, cid="same")
    found = rows([comm, comm])
    assert found == {("ann", "bo"): [(A_TO_B, 1.0)]}


def test_self_sent_mail_creates_no_tie() -> None:
    assert rows([mail("ann", ["ann"], days=0)]) == {}
    found = rows([mail("ann", ["ann", "bo"], days=0)])
    assert found == {("ann", "bo"): [(A_TO_B, 1.0)]}  # the audience is bo alone


def test_meetings_tie_everyone_together_up_to_the_group_limit() -> None:
    found = rows([meeting("ann", ["bo", "cy"], days=0)])
    assert set(found) == {("ann", "bo"), ("ann", "cy"), ("bo", "cy")}
    assert all(d == TOGETHER for contacts in found.values() for d, _ in contacts)
    big = [f"p{i:03d}" for i in range(CONFIG.group_limit + 1)]
    assert rows([meeting("ann", big, days=0)]) == {}


def test_broadcast_weight_falls_with_the_audience() -> None:
    assert broadcast_weight(1, config=CONFIG) == 1.0
    assert broadcast_weight(CONFIG.free_recipients, config=CONFIG) == 1.0
    assert broadcast_weight(40, config=CONFIG) == pytest.approx(CONFIG.free_recipients / 40)
    assert broadcast_weight(400, config=CONFIG) < 0.01
    newsletter = rows([mail("news", [f"r{i:03d}" for i in range(300)], days=0)])
    assert len(newsletter) == 300  # every recipient still counts for interaction_count...
    assert max(w for contacts in newsletter.values() for _, w in contacts) == pytest.approx(0.01)  # ...but barely


def test_bogus_dates_are_skipped_and_counted() -> None:
    old = Interaction(
        id="x1979",
        timestamp=datetime(1979, 12, 31, 16, tzinfo=UTC),
        channel="email",
        senders=["ann"],
        recipients=[("bo", "TO")],
        participants=[],
    )
    future = mail("ann", ["bo"], days=900)
    table, stats = build_contacts([old, future, mail("ann", ["bo"], days=1)], config=CONFIG, latest=at(100))
    assert len(table) == 1
    assert stats.skipped_bogus_dates == 2
    assert stats.newest == at(1)


def test_only_pairs_and_before_select_rows() -> None:
    comms = [mail("ann", ["bo", "cy"], days=0), mail("bo", ["cy"], days=5)]
    table, _ = build_contacts(comms, config=CONFIG, only_pairs=[("cy", "bo")])
    assert table.pairs == [("bo", "cy")]
    full, _ = build_contacts(comms, config=CONFIG)
    early = full.before(at(1))
    assert sorted(early.pairs) == [("ann", "bo"), ("ann", "cy")]
    assert np.array_equal(np.sort(np.unique(early.pair)), np.arange(early.pair_count))
    assert full.for_pairs([("cy", "bo")]).pairs == [("bo", "cy")]
