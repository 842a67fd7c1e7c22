"""GraphQL types, one concern per module, each mapped from the domain with ``from_domain``."""

from __future__ import annotations

from tellgraph.api.types.audit import AuditEntry
from tellgraph.api.types.communication import Communication, Participation
from tellgraph.api.types.company import Company, Employment
from tellgraph.api.types.entities import Event, Goal, Project, Topic
from tellgraph.api.types.errors import InvalidInputError, NotFoundError, UserError
from tellgraph.api.types.intro_path import Hop, IntroPath
from tellgraph.api.types.network import Network, NetworkEdge, NetworkNode
from tellgraph.api.types.node import Node
from tellgraph.api.types.pagination import (
    Connection,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
)
from tellgraph.api.types.person import Person
from tellgraph.api.types.relationship import Breakdown, Relationship
from tellgraph.api.types.search import SearchConnection, SearchHit, to_graphql
from tellgraph.api.types.stats import CountEntry, Stats

__all__ = [
    "AuditEntry",
    "Breakdown",
    "Communication",
    "Company",
    "Connection",
    "CountEntry",
    "Edge",
    "Employment",
    "Event",
    "Goal",
    "Hop",
    "IntroPath",
    "InvalidInputError",
    "Network",
    "NetworkEdge",
    "NetworkNode",
    "Node",
    "NotFoundError",
    "PageInfo",
    "Participation",
    "Person",
    "Project",
    "Relationship",
    "SearchConnection",
    "SearchHit",
    "Stats",
    "Topic",
    "UserError",
    "decode_cursor",
    "encode_cursor",
    "page_size",
    "to_graphql",
]
