"""Per-request GraphQL context: the store, the caller's role and request-scoped caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

import strawberry

if TYPE_CHECKING:
    from tellgraph.graph.store import GraphStore
    from tellgraph.settings import Settings


@dataclass
class Context:
    """What every resolver sees; created fresh per request so nothing leaks between requests."""

    store: GraphStore
    settings: Settings
    role: str
    cache: dict[str, object] = field(default_factory=dict)


Info: TypeAlias = strawberry.Info[Context, None]
