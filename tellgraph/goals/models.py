"""What the goal services take and return: inputs, goal records and the goal map.

Every element of a map carries ``evidence``: the facts (edges, messages, titles)
it was derived from, in words, so a person can check any claim.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import MAX_NAME_LENGTH, MAX_TEXT_LENGTH, Goal, Node

MAX_TARGETS = 50
MAX_TEAM = 50


Reference = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]
"""A company, person or project reference (domain, email, id or name)."""


class GoalInput(BaseModel):
    """A goal to create: targets are references (company domains, ids or names; emails; project names)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    description: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    # References longer than a name would become names of stub companies and projects: refused here.
    companies: list[Reference] = Field(default_factory=list, max_length=MAX_TARGETS)
    people: list[Reference] = Field(default_factory=list, max_length=MAX_TARGETS)
    projects: list[Reference] = Field(default_factory=list, max_length=MAX_TARGETS)
    deadline: datetime | None = None
    owner: Reference | None = None
    team: list[Reference] = Field(default_factory=list, max_length=MAX_TEAM)
    suggest: bool = True
    """Add confident targets suggested from the description (always when no target is given)."""

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value


class PersonRef(BaseModel):
    """A person as maps show them."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None = None
    emails: list[str] = Field(default_factory=list)
    title: str | None = None

    @classmethod
    def from_node(cls, node: Node, *, title: str | None = None) -> PersonRef:
        """From a stored Person node (an edge's title wins over the node's)."""
        return cls(
            id=node.id,
            name=node.name,
            emails=list(node.props.get("emails") or []),
            title=title or node.props.get("title"),
        )

    @property
    def label(self) -> str:
        """A display name: the name, else the first address, else the id."""
        return self.name or (self.emails[0] if self.emails else self.id)


class TargetOrigin(StrEnum):
    """Whether a person named a target or tellgraph suggested it."""

    GIVEN = "given"
    SUGGESTED = "suggested"


class GoalTarget(BaseModel):
    """One target of a goal."""

    id: str
    label: NodeLabel
    name: str | None
    origin: TargetOrigin
    ref: str | None = None
    domain: str | None = None
    score: float | None = None
    reason: str | None = None
    created: bool = False
    """The entity was not in the graph yet and was created as a stub."""


class TargetSuggestion(BaseModel):
    """An entity the description seems to be about."""

    id: str
    label: NodeLabel
    name: str
    score: float
    method: str
    matched: str
    reason: str
    applied: bool = False


class GoalRecord(BaseModel):
    """A goal with its targets, owner and team."""

    goal: Goal
    targets: list[GoalTarget]
    owner: PersonRef | None
    team: list[PersonRef]
    suggestions: list[TargetSuggestion] = Field(default_factory=list)

    @property
    def team_ids(self) -> list[str]:
        """Owner first, then the team, without repeats."""
        ids = ([self.owner.id] if self.owner else []) + [p.id for p in self.team]
        return list(dict.fromkeys(ids))


class HopView(BaseModel):
    """One tie on a path."""

    src_id: str
    dst_id: str
    strength: float
    last_interaction: datetime | None = None


class PathView(BaseModel):
    """A warm path from a team member to someone, with its explanation."""

    score: float
    node_ids: list[str]
    names: list[str]
    hops: list[HopView]
    explanation: str

    @property
    def via_id(self) -> str | None:
        """The first intermediary (the person to ask for an introduction), if any."""
        return self.node_ids[1] if len(self.node_ids) > 2 else None


class TieView(BaseModel):
    """A direct tie between a team member and a key person."""

    team_member: PersonRef
    strength: float
    interaction_count: int
    last_interaction: datetime | None
    days_since: int | None
    cold: bool
    at_risk: bool
    next_contact_due: datetime | None = None
    reasons: list[str] = Field(default_factory=list)


class PersonStatus(StrEnum):
    """How well the team reaches someone."""

    DIRECT = "direct"
    """A team member knows them with strength at or above the threshold."""
    WARM = "warm"
    """An introduction path reaches them at or above the threshold."""
    WEAK = "weak"
    """Only paths below the threshold."""
    NONE = "none"
    """No path at all."""


class KeyPerson(BaseModel):
    """Someone who matters for the goal: a target person or a ranked decision-maker at a target company."""

    person: PersonRef
    ids: list[str]
    """Every node id that is this person (name duplicates not yet merged by resolution)."""
    company_id: str | None
    company_name: str | None
    role_score: float
    seniority: str | None
    decision_maker: bool
    targeted: bool
    status: PersonStatus
    best_path: PathView | None
    direct_ties: list[TieView]
    evidence: list[str]


class TargetView(BaseModel):
    """A target and how well it is covered."""

    id: str
    label: NodeLabel
    name: str | None
    origin: TargetOrigin
    people_ids: list[str]
    covered: bool
    best_score: float | None
    evidence: list[str]


class Coverage(BaseModel):
    """Share of key people the team reaches by a warm path at or above ``threshold``."""

    threshold: float
    covered: int
    direct: int
    total: int
    ratio: float
    explanation: str


class GapKind(StrEnum):
    """Kinds of gap in a goal map."""

    NO_PATH = "no_path"
    NOBODY_KNOWN = "nobody_known"
    WEAK_PATH = "weak_path"
    COLD = "cold"
    NO_CONTACTS = "no_contacts"
    NO_DECISION_MAKER = "no_decision_maker"


class Gap(BaseModel):
    """Something missing: a target nobody reaches, a role nobody knows, a tie gone cold."""

    key: str
    kind: GapKind
    target_id: str | None
    person_id: str | None
    title: str
    severity: float
    evidence: list[str]


class CommView(BaseModel):
    """A communication relevant to the goal."""

    id: str
    timestamp: datetime
    subject: str | None
    channel: str
    thread_key: str | None
    sender_ids: list[str]
    score: float
    proximity: float
    semantic: float
    evidence: list[str]


class ProjectView(BaseModel):
    """A project relevant to the goal."""

    id: str
    name: str
    stage: str | None
    targeted: bool
    score: float
    evidence: list[str]


class Momentum(BaseModel):
    """Goal-relevant activity and strength lately, compared with the period before."""

    activity_30: int
    activity_prev_30: int
    activity_90: int
    activity_prev_90: int
    inbound_30: int
    outbound_30: int
    reach_score: float
    """Mean best-path score over key people (0 when unreachable): how warm the route to them is."""
    reach_change: float | None
    """Change of ``reach_score`` since the snapshot nearest to 30 days ago, when there is one."""
    trend: str
    explanation: str


class StallKind(StrEnum):
    """Whose move a stalled thread waits for."""

    NO_REPLY = "no_reply"
    """We wrote last and they have not answered."""
    AWAITING_US = "awaiting_us"
    """They wrote last and we have not answered."""


class Stall(BaseModel):
    """A key thread with no reply or no activity for too long."""

    key: str
    kind: StallKind
    thread_key: str
    subject: str | None
    last_comm_id: str
    first_unanswered_at: datetime
    last_activity_at: datetime
    days_waiting: int
    days_silent: int
    chasers: int
    team_ids: list[str]
    external_ids: list[str]
    new: bool
    evidence: list[str]


class NextStep(BaseModel):
    """Who should contact whom, through whom, and why now."""

    key: str
    kind: str
    actor: PersonRef | None
    contact: PersonRef
    via: PersonRef | None
    why: str
    why_now: str
    priority: float
    related_ids: list[str] = Field(default_factory=list)
    evidence: list[str]


class SnapshotView(BaseModel):
    """The key numbers of one earlier goal map."""

    at: datetime
    coverage: float
    reach_score: float
    activity_30: int
    open_stalls: int
    gaps: int
    stall_keys: list[str] = Field(default_factory=list)
    gap_keys: list[str] = Field(default_factory=list)


class Changes(BaseModel):
    """What changed since the latest earlier snapshot."""

    since: datetime | None
    coverage_delta: float | None
    new_stalls: list[str]
    resolved_stalls: list[str]
    new_gaps: list[str]
    closed_gaps: list[str]


class GoalMap(BaseModel):
    """Everything the team needs to see about one goal, as of ``generated_at``."""

    goal: GoalRecord
    generated_at: datetime
    days_to_deadline: int | None
    targets: list[TargetView]
    people: list[KeyPerson]
    coverage: Coverage
    gaps: list[Gap]
    communications: list[CommView]
    projects: list[ProjectView]
    momentum: Momentum
    stalls: list[Stall]
    next_steps: list[NextStep]
    history: list[SnapshotView]
    changes: Changes
    timings_ms: dict[str, float] = Field(default_factory=dict)
