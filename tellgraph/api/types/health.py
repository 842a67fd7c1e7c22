"""Relationship health: ties that are due, at risk or cooling, with the scores that say so."""

from __future__ import annotations

from enum import Enum
from typing import Self

import strawberry

from tellgraph.api.types.relationship import Relationship
from tellgraph.services.health import HealthItem
from tellgraph.services.health import HealthKind as HealthKindModel


@strawberry.enum(description="Why a tie needs attention.")
class HealthKind(Enum):
    DUE = HealthKindModel.DUE.value
    AT_RISK = HealthKindModel.AT_RISK.value
    COOLING = HealthKindModel.COOLING.value

    def to_domain(self) -> HealthKindModel:
        """The service's value."""
        return HealthKindModel(self.value)


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@strawberry.type(description="A tie that needs attention, and why.")
class RelationshipHealth:
    relationship: Relationship = strawberry.field(description="`person` is whose tie it is, `other` the contact.")
    kinds: list[HealthKind] = strawberry.field(description="Every reason the tie is on the list.")
    at_risk: bool
    risk_reasons: list[str] = strawberry.field(description="The warning signs scoring found, in words.")
    attention_in_days: int | None = strawberry.field(
        description="Days until contact is due by the pair's own rhythm; negative when overdue."
    )
    sentiment_trend: str | None = strawberry.field(description="cooling, warming or steady.")
    preferred_channel: str | None
    preferred_format: str | None = strawberry.field(description="check-in or meeting.")
    priority: float = strawberry.field(description="Higher is more urgent: strength, days overdue, risk.")

    @classmethod
    def from_domain(cls, item: HealthItem) -> Self:
        props = item.edge.props
        return cls(
            relationship=Relationship.from_domain(item.edge, other=item.other, person=item.person),
            kinds=[HealthKind(k.value) for k in item.kinds],
            at_risk=props.get("at_risk") is True,
            risk_reasons=_strings(props.get("risk_reasons")),
            attention_in_days=item.attention_in_days,
            sentiment_trend=_text(props.get("sentiment_trend")),
            preferred_channel=_text(props.get("preferred_channel")),
            preferred_format=_text(props.get("preferred_format")),
            priority=item.priority,
        )
