"""Goal creation, target suggestions, and the goal map on a world with known answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from tellgraph.errors import NotFound
from tellgraph.goals.map import GoalMapOptions, coverage_at, goal_map, thread_subject
from tellgraph.goals.models import GapKind, GoalInput, PersonStatus, StallKind, TargetOrigin
from tellgraph.goals.roles import role_score
from tellgraph.goals.service import create_goal, get_goal, list_goals, suggest_targets
from tellgraph.goals.snapshots import list_snapshots, record_snapshot
from tellgraph.graph.memory import MemoryStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.schema.model import Project
from tests.unit.goals.world import ACME, NOW, build_world, pid

GOAL = GoalInput(
    name="Win the Acme tender",
    description="Win the Acme Sports production tender; the Commercial Director signs.",
    companies=["acme.example"],
    people=["omar@acme.example", "hana@acme.example", "siti@acme.example"],
    projects=["Acme tender"],
    deadline=NOW + timedelta(days=100),
    owner="maya@northlight.example",
    team=["leo@northlight.example"],
)


class FakeEmbedder:
    """Bag-of-words vectors: deterministic and fast; similar words give similar vectors."""

    VOCAB = ("tender", "production", "acme", "sports", "budget", "rights", "media")

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            lowered = text.lower()
            vector = [float(lowered.count(word)) for word in self.VOCAB] + [0.1]
            norm = sum(x * x for x in vector) ** 0.5
            vectors.append([x / norm for x in vector])
        return vectors


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    build_world(store)
    return store


def test_create_goal_resolves_targets_and_team(store: MemoryStore) -> None:
    record = create_goal(store, goal=GOAL, now=NOW)
    assert record.goal.name == "Win the Acme tender"
    assert record.owner is not None and record.owner.id == pid("maya")
    assert record.team_ids == [pid("maya"), pid("leo")]
    by_label = {(t.label, t.id) for t in record.targets}
    assert (NodeLabel.COMPANY, ACME) in by_label
    assert {(NodeLabel.PERSON, pid(k)) for k in ("omar", "hana", "siti")} <= by_label
    project = next(t for t in record.targets if t.label is NodeLabel.PROJECT)
    assert project.created and project.name == "Acme tender"
    # Creating it again is an update, not a second goal.
    again = create_goal(store, goal=GOAL, now=NOW)
    assert again.goal.id == record.goal.id
    assert [g.id for g in list_goals(store)] == [record.goal.id]
    assert get_goal(store, goal_id=record.goal.id).targets == again.targets
    edge = store.get_edge(
        rel_type=RelType.OWNS,
        src_label=NodeLabel.PERSON,
        src_id=pid("maya"),
        dst_label=NodeLabel.GOAL,
        dst_id=record.goal.id,
    )
    assert edge is not None


def test_unknown_references_become_stubs_and_unknown_team_fails(store: MemoryStore) -> None:
    record = create_goal(
        store,
        goal=GoalInput(
            name="New market",
            companies=["newco.example"],
            people=["ceo@newco.example"],
            owner="maya@northlight.example",
            suggest=False,
        ),
        now=NOW,
    )
    assert all(t.created for t in record.targets)
    gmap = goal_map(store, goal_id=record.goal.id, now=NOW)
    assert [g.kind for g in gmap.gaps if g.target_id] == [GapKind.NO_CONTACTS] or GapKind.NO_PATH in {
        g.kind for g in gmap.gaps
    }
    with pytest.raises(NotFound):
        create_goal(store, goal=GoalInput(name="x", owner="nobody@nowhere.example"), now=NOW)


def test_suggestions_by_name_acronym_and_semantics(store: MemoryStore) -> None:
    store.upsert_entities(entities=[Project(id="proj_tender", name="Production tender 2027")])
    found = suggest_targets(store, text="Win the deal with Acme Sports and meet Hana Sato.")
    by_id = {s.id: s for s in found}
    assert by_id[ACME].method == "exact" and by_id[ACME].score == 1.0
    assert by_id[pid("hana")].method == "exact"
    assert pid("maya") not in by_id
    acronym = suggest_targets(store, text="Our AS plan for 2027", exclude_ids=[])
    assert [(s.id, s.method) for s in acronym] == [(ACME, "acronym")]
    semantic = suggest_targets(store, text="production tender", embedder=FakeEmbedder())
    assert any(s.id == "proj_tender" and s.method in {"exact", "fuzzy", "semantic"} for s in semantic)
    # Suggestions above the bar become targets when none are given.
    record = create_goal(store, goal=GoalInput(name="Acme Sports deal", owner="maya@northlight.example"), now=NOW)
    assert [(t.id, t.origin) for t in record.targets] == [(ACME, TargetOrigin.SUGGESTED)]


def test_goal_map_known_answers(store: MemoryStore) -> None:
    record = create_goal(store, goal=GOAL, now=NOW)
    gmap = goal_map(store, goal_id=record.goal.id, now=NOW)
    status = {k.person.id: k.status for k in gmap.people}
    assert status == {
        pid("hana"): PersonStatus.DIRECT,
        pid("siti"): PersonStatus.DIRECT,
        pid("omar"): PersonStatus.WARM,
        pid("kim"): PersonStatus.DIRECT,
        pid("zed"): PersonStatus.NONE,
    }
    assert (gmap.coverage.covered, gmap.coverage.direct, gmap.coverage.total, gmap.coverage.ratio) == (4, 3, 5, 0.8)
    omar = next(k for k in gmap.people if k.person.id == pid("omar"))
    assert omar.best_path is not None and omar.best_path.node_ids == [pid("maya"), pid("daniel"), pid("omar")]
    assert omar.best_path.score == pytest.approx(0.36)
    assert omar.decision_maker and omar.person.title == "Commercial Director"
    gaps = {(g.kind, g.person_id) for g in gmap.gaps}
    assert gaps == {
        (GapKind.NO_PATH, pid("zed")),
        (GapKind.NOBODY_KNOWN, pid("omar")),
        (GapKind.COLD, pid("kim")),
    }
    assert all(g.evidence for g in gmap.gaps)
    assert len(gmap.stalls) == 1
    stall = gmap.stalls[0]
    assert stall.kind is StallKind.NO_REPLY and stall.subject == "Tender question"
    assert (stall.days_waiting, stall.days_silent, stall.chasers) == (55, 41, 1)
    assert stall.team_ids[0] == pid("leo") and stall.external_ids == [pid("siti")]
    kinds = [(s.kind, s.contact.id) for s in gmap.next_steps]
    assert ("intro", pid("omar")) in kinds and ("follow_up", pid("siti")) in kinds
    assert ("find_route", pid("zed")) in kinds and ("reconnect", pid("kim")) in kinds
    intro = next(s for s in gmap.next_steps if s.kind == "intro")
    assert intro.actor is not None and intro.actor.id == pid("maya")
    assert intro.via is not None and intro.via.id == pid("daniel")
    assert "Daniel Wu wrote about Omar Haddad" in intro.why_now
    follow = next(s for s in gmap.next_steps if s.kind == "follow_up")
    assert follow.actor is not None and follow.actor.id == pid("leo")
    assert follow.via is not None and follow.via.id == pid("hana")  # a colleague the team knows well
    assert [s.priority for s in gmap.next_steps] == sorted((s.priority for s in gmap.next_steps), reverse=True)
    assert gmap.days_to_deadline == 100
    assert gmap.communications and gmap.communications[0].evidence
    assert (gmap.momentum.activity_30, gmap.momentum.activity_prev_30, gmap.momentum.activity_90) == (2, 2, 4)
    assert (gmap.momentum.inbound_30, gmap.momentum.outbound_30) == (1, 1)
    assert gmap.projects[0].name == "Acme tender" and gmap.projects[0].targeted
    assert coverage_at(gmap, 0.37) == 0.6  # Omar's 0.36 path no longer counts
    assert gmap.targets[0].id == ACME and gmap.targets[0].covered


def test_threshold_and_hops_change_the_answer(store: MemoryStore) -> None:
    record = create_goal(store, goal=GOAL, now=NOW)
    strict = goal_map(store, goal_id=record.goal.id, now=NOW, options=GoalMapOptions(threshold=0.5, max_hops=1))
    status = {k.person.id: k.status for k in strict.people}
    assert status[pid("omar")] is PersonStatus.NONE and status[pid("kim")] is PersonStatus.WEAK
    assert strict.coverage.covered == 2


def test_the_same_clock_gives_the_same_map(store: MemoryStore) -> None:
    record = create_goal(store, goal=GOAL, now=NOW)
    first = goal_map(store, goal_id=record.goal.id, now=NOW).model_dump(exclude={"timings_ms"})
    second = goal_map(store, goal_id=record.goal.id, now=NOW).model_dump(exclude={"timings_ms"})
    assert first == second


def test_snapshots_compare_with_the_past(store: MemoryStore) -> None:
    record = create_goal(store, goal=GOAL, now=NOW)
    earlier = NOW - timedelta(days=30)
    old = goal_map(store, goal_id=record.goal.id, now=earlier)
    record_snapshot(store, goal_map=old)
    record_snapshot(store, goal_map=old)  # the same day: one snapshot
    assert len(list_snapshots(store, goal_id=record.goal.id)) == 1
    assert old.stalls == []  # 30 days ago Leo's chaser was 11 days old: not stalled yet
    now_map = goal_map(store, goal_id=record.goal.id, now=NOW)
    assert [h.at for h in now_map.history] == [earlier]
    assert now_map.changes.since == earlier
    assert now_map.momentum.reach_change is not None
    assert now_map.changes.new_stalls == [now_map.stalls[0].key] and now_map.stalls[0].new is True


def test_roles() -> None:
    assert role_score("Commercial Director").decision_maker
    assert role_score("Chief Executive Officer").score == 1.0
    assert not role_score("Procurement Manager").decision_maker
    assert role_score(None).score == 0.0
    assert role_score("Directorate assistant").seniority is None
    assert thread_subject("RE: Fwd: Tender question") == "tender question"
