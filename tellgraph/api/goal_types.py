"""GraphQL types for goals, goal maps and suggested actions, each mapped with ``from_domain``."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self

import strawberry

from tellgraph.agents.approval import ActionResult
from tellgraph.api.types.mirror import mirror
from tellgraph.goals import models
from tellgraph.schema.actions import ActionStatus
from tellgraph.schema.actions import SuggestedAction as SuggestedActionModel


@strawberry.enum(description="Where a suggested action is in its life.")
class SuggestedActionStatus(Enum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTING = "executing"
    EXECUTED = "executed"

    def to_domain(self) -> ActionStatus:
        """The domain status."""
        return ActionStatus(self.value)


@strawberry.type(description="A person as goal maps show them.")
class GoalPerson:
    id: strawberry.ID
    name: str | None
    emails: list[str]
    title: str | None

    @classmethod
    def from_domain(cls, person: models.PersonRef) -> Self:
        return cls(id=strawberry.ID(person.id), name=person.name, emails=list(person.emails), title=person.title)


@strawberry.type(description="One target of a goal: a company, person or project.")
class GoalTarget:
    id: strawberry.ID
    kind: str
    name: str | None
    origin: str
    reason: str | None
    score: float | None

    @classmethod
    def from_domain(cls, target: models.GoalTarget) -> Self:
        return mirror(
            cls,
            target,
            id=strawberry.ID(target.id),
            kind=target.label.value,
            origin=target.origin.value,
        )


@strawberry.type(description="An entity the goal's description seems to be about.")
class TargetSuggestion:
    id: strawberry.ID
    kind: str
    name: str
    score: float
    method: str
    reason: str
    applied: bool

    @classmethod
    def from_domain(cls, s: models.TargetSuggestion) -> Self:
        return mirror(
            cls,
            s,
            id=strawberry.ID(s.id),
            kind=s.label.value,
        )


@strawberry.type(description="A goal with its owner, team and targets (the Goal node type only has its fields).")
class GoalDetail:
    id: strawberry.ID
    name: str
    description: str | None
    deadline: datetime | None
    status: str
    owner: GoalPerson | None
    team: list[GoalPerson]
    targets: list[GoalTarget]
    suggestions: list[TargetSuggestion]

    @classmethod
    def from_domain(cls, record: models.GoalRecord) -> Self:
        goal = record.goal
        return cls(
            id=strawberry.ID(goal.id),
            name=goal.name,
            description=goal.description,
            deadline=goal.deadline,
            status=goal.status,
            owner=GoalPerson.from_domain(record.owner) if record.owner else None,
            team=[GoalPerson.from_domain(p) for p in record.team],
            targets=[GoalTarget.from_domain(t) for t in record.targets],
            suggestions=[TargetSuggestion.from_domain(s) for s in record.suggestions],
        )


@strawberry.input(description="A goal to create; targets are references resolved against the graph.")
class CreateGoalInput:
    name: str
    description: str | None = None
    companies: list[str] = strawberry.field(default_factory=list, description="Domains, ids or names.")
    people: list[str] = strawberry.field(default_factory=list, description="Emails or ids.")
    projects: list[str] = strawberry.field(default_factory=list, description="Names or ids.")
    deadline: datetime | None = None
    owner: str | None = strawberry.field(default=None, description="Email or id.")
    team: list[str] = strawberry.field(default_factory=list, description="Emails or ids.")
    suggest: bool = strawberry.field(default=True, description="Add confident targets found in the description.")

    def to_domain(self) -> models.GoalInput:
        """The service input (validated there)."""
        return models.GoalInput(
            name=self.name,
            description=self.description,
            companies=self.companies,
            people=self.people,
            projects=self.projects,
            deadline=self.deadline,
            owner=self.owner,
            team=self.team,
            suggest=self.suggest,
        )


# -- goal map -------------------------------------------------------------------------------


@strawberry.type
class WarmPathHop:
    from_id: strawberry.ID
    to_id: strawberry.ID
    strength: float
    last_interaction: datetime | None


@strawberry.type(description="A path of ties from a team member to someone.")
class WarmPath:
    score: float
    node_ids: list[strawberry.ID]
    names: list[str]
    hops: list[WarmPathHop]
    explanation: str

    @classmethod
    def from_domain(cls, path: models.PathView) -> Self:
        return cls(
            score=path.score,
            node_ids=[strawberry.ID(i) for i in path.node_ids],
            names=path.names,
            hops=[
                WarmPathHop(
                    from_id=strawberry.ID(h.src_id),
                    to_id=strawberry.ID(h.dst_id),
                    strength=h.strength,
                    last_interaction=h.last_interaction,
                )
                for h in path.hops
            ],
            explanation=path.explanation,
        )


@strawberry.type(description="A team member's direct tie to a key person.")
class DirectTie:
    team_member: GoalPerson
    strength: float
    interaction_count: int
    last_interaction: datetime | None
    days_since: int | None
    cold: bool
    at_risk: bool
    reasons: list[str]

    @classmethod
    def from_domain(cls, tie: models.TieView) -> Self:
        return mirror(
            cls,
            tie,
            team_member=GoalPerson.from_domain(tie.team_member),
        )


@strawberry.type(description="Someone who matters for the goal, and how the team reaches them.")
class KeyPerson:
    person: GoalPerson
    ids: list[strawberry.ID]
    company_id: strawberry.ID | None
    company_name: str | None
    role_score: float
    seniority: str | None
    decision_maker: bool
    targeted: bool
    status: str
    best_path: WarmPath | None
    direct_ties: list[DirectTie]
    evidence: list[str]

    @classmethod
    def from_domain(cls, k: models.KeyPerson) -> Self:
        return mirror(
            cls,
            k,
            person=GoalPerson.from_domain(k.person),
            ids=[strawberry.ID(i) for i in k.ids],
            company_id=strawberry.ID(k.company_id) if k.company_id else None,
            status=k.status.value,
            best_path=WarmPath.from_domain(k.best_path) if k.best_path else None,
            direct_ties=[DirectTie.from_domain(t) for t in k.direct_ties],
        )


@strawberry.type(description="A target and how well it is covered.")
class TargetCoverage:
    id: strawberry.ID
    kind: str
    name: str | None
    origin: str
    people_ids: list[strawberry.ID]
    covered: bool
    best_score: float | None
    evidence: list[str]

    @classmethod
    def from_domain(cls, t: models.TargetView) -> Self:
        return mirror(
            cls,
            t,
            id=strawberry.ID(t.id),
            kind=t.label.value,
            origin=t.origin.value,
            people_ids=[strawberry.ID(i) for i in t.people_ids],
        )


@strawberry.type(description="Share of key people reached by a warm path at or above the threshold.")
class GoalCoverage:
    threshold: float
    covered: int
    direct: int
    total: int
    ratio: float
    explanation: str

    @classmethod
    def from_domain(cls, c: models.Coverage) -> Self:
        return mirror(cls, c)


@strawberry.type(description="A target nobody reaches, a role nobody knows, a tie gone cold.")
class GoalGap:
    key: str
    kind: str
    target_id: strawberry.ID | None
    person_id: strawberry.ID | None
    title: str
    severity: float
    evidence: list[str]

    @classmethod
    def from_domain(cls, g: models.Gap) -> Self:
        return mirror(
            cls,
            g,
            kind=g.kind.value,
            target_id=strawberry.ID(g.target_id) if g.target_id else None,
            person_id=strawberry.ID(g.person_id) if g.person_id else None,
        )


@strawberry.type(description="A communication relevant to the goal.")
class GoalCommunication:
    id: strawberry.ID
    timestamp: datetime
    subject: str | None
    channel: str
    score: float
    proximity: float
    semantic: float
    evidence: list[str]

    @classmethod
    def from_domain(cls, c: models.CommView) -> Self:
        return mirror(
            cls,
            c,
            id=strawberry.ID(c.id),
        )


@strawberry.type(description="A project relevant to the goal.")
class GoalProject:
    id: strawberry.ID
    name: str
    stage: str | None
    targeted: bool
    score: float
    evidence: list[str]

    @classmethod
    def from_domain(cls, p: models.ProjectView) -> Self:
        return mirror(
            cls,
            p,
            id=strawberry.ID(p.id),
        )


@strawberry.type(description="Goal-related activity and reach lately, against the period before.")
class GoalMomentum:
    activity_30: int
    activity_prev_30: int
    activity_90: int
    activity_prev_90: int
    inbound_30: int
    outbound_30: int
    reach_score: float
    reach_change: float | None
    trend: str
    explanation: str

    @classmethod
    def from_domain(cls, m: models.Momentum) -> Self:
        return cls(**m.model_dump())


@strawberry.type(description="A key thread with no reply or no activity for too long.")
class GoalStall:
    key: str
    kind: str
    subject: str | None
    last_communication_id: strawberry.ID
    first_unanswered_at: datetime
    last_activity_at: datetime
    days_waiting: int
    days_silent: int
    chasers: int
    team_ids: list[strawberry.ID]
    external_ids: list[strawberry.ID]
    new: bool
    evidence: list[str]

    @classmethod
    def from_domain(cls, s: models.Stall) -> Self:
        return mirror(
            cls,
            s,
            kind=s.kind.value,
            last_communication_id=strawberry.ID(s.last_comm_id),
            team_ids=[strawberry.ID(i) for i in s.team_ids],
            external_ids=[strawberry.ID(i) for i in s.external_ids],
        )


@strawberry.type(description="Who should contact whom, through whom, and why now.")
class NextStep:
    key: str
    kind: str
    actor: GoalPerson | None
    contact: GoalPerson
    via: GoalPerson | None
    why: str
    why_now: str
    priority: float
    evidence: list[str]

    @classmethod
    def from_domain(cls, s: models.NextStep) -> Self:
        return mirror(
            cls,
            s,
            actor=GoalPerson.from_domain(s.actor) if s.actor else None,
            contact=GoalPerson.from_domain(s.contact),
            via=GoalPerson.from_domain(s.via) if s.via else None,
        )


@strawberry.type(description="The key numbers of an earlier goal map.")
class GoalSnapshot:
    at: datetime
    coverage: float
    reach_score: float
    activity_30: int
    open_stalls: int
    gaps: int

    @classmethod
    def from_domain(cls, s: models.SnapshotView) -> Self:
        return mirror(cls, s)


@strawberry.type(description="What changed since the latest earlier snapshot.")
class GoalChanges:
    since: datetime | None
    coverage_delta: float | None
    new_stalls: list[str]
    resolved_stalls: list[str]
    new_gaps: list[str]
    closed_gaps: list[str]

    @classmethod
    def from_domain(cls, c: models.Changes) -> Self:
        return cls(**c.model_dump())


@strawberry.type(description="Everything about one goal: key people, reach, gaps, activity, stalls, next steps.")
class GoalMap:
    goal: GoalDetail
    generated_at: datetime
    days_to_deadline: int | None
    coverage: GoalCoverage
    targets: list[TargetCoverage]
    people: list[KeyPerson]
    gaps: list[GoalGap]
    communications: list[GoalCommunication]
    projects: list[GoalProject]
    momentum: GoalMomentum
    stalls: list[GoalStall]
    next_steps: list[NextStep]
    history: list[GoalSnapshot]
    changes: GoalChanges

    @classmethod
    def from_domain(cls, m: models.GoalMap) -> Self:
        return mirror(
            cls,
            m,
            goal=GoalDetail.from_domain(m.goal),
            coverage=GoalCoverage.from_domain(m.coverage),
            targets=[TargetCoverage.from_domain(t) for t in m.targets],
            people=[KeyPerson.from_domain(k) for k in m.people],
            gaps=[GoalGap.from_domain(g) for g in m.gaps],
            communications=[GoalCommunication.from_domain(c) for c in m.communications],
            projects=[GoalProject.from_domain(p) for p in m.projects],
            momentum=GoalMomentum.from_domain(m.momentum),
            stalls=[GoalStall.from_domain(s) for s in m.stalls],
            next_steps=[NextStep.from_domain(s) for s in m.next_steps],
            history=[GoalSnapshot.from_domain(s) for s in m.history],
            changes=GoalChanges.from_domain(m.changes),
        )


# -- suggested actions ----------------------------------------------------------------------


@strawberry.type(description="Something an agent proposes; anything that leaves the system waits for approval.")
class SuggestedAction:
    id: strawberry.ID
    kind: str
    agent: str
    channel: str
    status: SuggestedActionStatus
    title: str
    target_ids: list[strawberry.ID]
    goal_id: strawberry.ID | None
    actor_id: strawberry.ID | None
    via_id: strawberry.ID | None
    recipients: list[str]
    subject: str | None
    draft: str | None
    reasons: list[str]
    evidence: list[str]
    priority: float
    needs_approval: bool
    proposed_at: datetime | None
    edited: bool
    decided_by: str | None
    decided_at: datetime | None
    reject_reason: str | None
    execution_id: str | None
    executed_at: datetime | None
    execution_error: str | None

    @classmethod
    def from_domain(cls, a: SuggestedActionModel) -> Self:
        return mirror(
            cls,
            a,
            id=strawberry.ID(a.id),
            channel=a.channel.value,
            status=SuggestedActionStatus(a.status.value),
            target_ids=[strawberry.ID(i) for i in a.target_ids],
            goal_id=strawberry.ID(a.goal_id) if a.goal_id else None,
            actor_id=strawberry.ID(a.actor_id) if a.actor_id else None,
            via_id=strawberry.ID(a.via_id) if a.via_id else None,
            recipients=list(a.recipients),
            reasons=list(a.reasons),
            evidence=list(a.evidence),
        )


@strawberry.type(description="An action after a decision, and what happened outside.")
class ActionOutcome:
    action: SuggestedAction
    executed_now: bool
    recovered: bool
    message: str

    @classmethod
    def from_domain(cls, r: ActionResult) -> Self:
        return mirror(
            cls,
            r,
            action=SuggestedAction.from_domain(r.action),
        )
