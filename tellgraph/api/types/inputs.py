"""Filters and orderings for the people and company lists."""

from __future__ import annotations

from enum import Enum

import strawberry

from tellgraph.graph.queries import CompanySort, PersonSort


@strawberry.enum(description="What to order people by.")
class PersonSortField(Enum):
    NAME = PersonSort.NAME.value
    DEGREE = PersonSort.DEGREE.value
    STRENGTH = PersonSort.STRENGTH.value
    LAST_INTERACTION = PersonSort.LAST_INTERACTION.value


@strawberry.enum(description="What to order companies by.")
class CompanySortField(Enum):
    NAME = CompanySort.NAME.value
    PEOPLE = CompanySort.PEOPLE.value
    LAST_INTERACTION = CompanySort.LAST_INTERACTION.value


@strawberry.enum(description="Ascending or descending.")
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="How to order people; the direction defaults to A-Z for names, largest first otherwise.")
class PersonOrder:
    field: PersonSortField = PersonSortField.NAME
    direction: SortDirection | None = None


@strawberry.input(description="Which people to list; every filter given must hold.")
class PersonFilter:
    name_contains: str | None = None
    company: str | None = strawberry.field(default=None, description="Works there now: a company domain or id.")
    email_domain: str | None = strawberry.field(default=None, description="Has an address at this domain.")
    is_team: bool | None = None
    ids: list[strawberry.ID] | None = None


@strawberry.input(
    description="How to order companies; the direction defaults to A-Z for names, largest first otherwise."
)
class CompanyOrder:
    field: CompanySortField = CompanySortField.NAME
    direction: SortDirection | None = None


@strawberry.input(description="Which companies to list; every filter given must hold.")
class CompanyFilter:
    name_contains: str | None = None
    domain: str | None = None
