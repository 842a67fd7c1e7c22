"""Team view: for each outside contact, which team member holds the strongest tie.

Observed ties (KNOWS strength) always win over inferred ones; an inferred tie
(``INFERRED_KNOWS``) is reported only for contacts no team member has been seen
talking to, ranked by its confidence, so the answer to "who should reach out?"
is never a guess when a real relationship exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tellgraph.graph.store import GraphStore
from tellgraph.schema.labels import NodeLabel, RelType
from tellgraph.scoring.history import resolve_person

NEIGHBOUR_LIMIT = 100_000


class MemberTie(BaseModel):
    """One team member's tie to a contact."""

    model_config = ConfigDict(frozen=True)

    member_id: str
    member_name: str | None = None
    strength: float
    kind: str
    """``observed`` (KNOWS strength) or ``inferred`` (INFERRED_KNOWS confidence)."""
    last_interaction: datetime | None = None
    at_risk: bool = False


class TeamTie(BaseModel):
    """The team member best placed to reach a contact, and everyone else's tie to them."""

    model_config = ConfigDict(frozen=True)

    contact_id: str
    contact_name: str | None = None
    best: MemberTie | None
    others: list[MemberTie] = Field(default_factory=list)

    @property
    def member_id(self) -> str | None:
        """The id of the team member with the strongest tie (None when nobody has one)."""
        return self.best.member_id if self.best else None


def _tie(member: str, props: dict[str, Any], kind: str, names: dict[str, str | None]) -> MemberTie:
    value = props.get("strength") if kind == "observed" else props.get("confidence")
    return MemberTie(
        member_id=member,
        member_name=names.get(member),
        strength=float(value or 0.0),
        kind=kind,
        last_interaction=props.get("last_interaction"),
        at_risk=bool(props.get("at_risk") or False),
    )


def rank_ties(ties: Sequence[MemberTie]) -> list[MemberTie]:
    """Observed before inferred, then strongest first, then by member id (a stable order)."""
    return sorted(ties, key=lambda t: (t.kind != "observed", -t.strength, t.member_id))


def team_view(store: GraphStore, *, team: list[str], contacts: list[str] | None = None) -> list[TeamTie]:
    """For each contact, the team member with the strongest tie.

    Args:
        store: the graph.
        team: team members, as person ids or email addresses.
        contacts: the people to cover (ids or emails); ``None`` means everyone any
            team member has a tie to, outside the team.

    Returns:
        One entry per contact, contacts with the strongest best tie first;
        contacts nobody on the team knows come last with ``best=None``.
    """
    members = list(dict.fromkeys(resolve_person(store, m) for m in team))
    member_set = set(members)
    member_names = {n.id: n.name for n in store.get_nodes(label=NodeLabel.PERSON, ids=members)}
    wanted = None if contacts is None else list(dict.fromkeys(resolve_person(store, c) for c in contacts))
    wanted_set = None if wanted is None else set(wanted)
    ties: dict[str, list[MemberTie]] = {}
    names: dict[str, str | None] = {}
    for member in members:
        for neighbour in store.neighbours(
            label=NodeLabel.PERSON,
            node_id=member,
            rel_types=[RelType.KNOWS, RelType.INFERRED_KNOWS],
            limit=NEIGHBOUR_LIMIT,
        ):
            other = neighbour.node.id
            if other in member_set or (wanted_set is not None and other not in wanted_set):
                continue
            names[other] = neighbour.node.name
            kind = "observed" if neighbour.edge.type is RelType.KNOWS else "inferred"
            ties.setdefault(other, []).append(_tie(member, neighbour.edge.props, kind, member_names))
    if wanted is not None:
        missing = [c for c in wanted if c not in names]
        names.update({n.id: n.name for n in store.get_nodes(label=NodeLabel.PERSON, ids=missing)})
    out = []
    for contact in wanted if wanted is not None else sorted(ties):
        ranked = rank_ties(ties.get(contact, []))
        # An inferred tie is only worth reporting while nobody has a real one.
        ranked = [t for t in ranked if t.kind == "observed"] or ranked
        best = ranked[0] if ranked else None
        out.append(TeamTie(contact_id=contact, contact_name=names.get(contact), best=best, others=ranked[1:]))
    out.sort(key=_order)
    return out


def _order(tie: TeamTie) -> tuple[bool, bool, float, str]:
    best = tie.best
    if best is None:
        return (True, True, 0.0, tie.contact_id)
    return (False, best.kind != "observed", -best.strength, tie.contact_id)
