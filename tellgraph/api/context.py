"""Per-request GraphQL context: the store, the caller, request-scoped loaders and shared services."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

import strawberry

from tellgraph.api.auth import Principal, Role

if TYPE_CHECKING:
    from tellgraph.api.loaders import Loaders
    from tellgraph.api.runner import StoreRunner
    from tellgraph.goals.embedding import Embedder
    from tellgraph.graph.store import GraphStore
    from tellgraph.services.intros import IntroPolicy
    from tellgraph.services.search import EmbeddingAvailability
    from tellgraph.settings import Settings

logger = logging.getLogger(__name__)


def _default_embedder() -> Embedder:
    from tellgraph.goals.embedding import default_embedder

    embedder = default_embedder()
    embedder.encode(["warm-up"])  # loads the model now, not in the first request that needs it
    return embedder


class NewestCommunication:
    """The newest communication's time, asked of the store at most every ``ttl`` seconds.

    It moves only when something is ingested, and staleness is measured in days.
    """

    def __init__(self, *, ttl: float = 30.0) -> None:
        self._ttl = ttl
        self._value: datetime | None = None
        self._checked_at = -1e18
        self._lock = threading.Lock()

    def get(self, store: GraphStore) -> datetime | None:
        """The cached value, refreshed when older than the TTL."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at < self._ttl:
                return self._value
        value = store.latest_communication()
        with self._lock:
            self._value, self._checked_at = value, now
        return value


@dataclass
class Shared:
    """Process-wide helpers the resolvers use: the query embedder and caches.

    The embedding model takes seconds to load, so it loads in a background thread
    the first time a search could use it; until it is ready, search answers from
    the full-text indexes alone (and says so with ``semantic: false``).
    """

    intro_policy: IntroPolicy
    embeddings: EmbeddingAvailability
    embedder: Embedder | None = None
    newest: NewestCommunication = field(default_factory=NewestCommunication)
    embedder_factory: Callable[[], Embedder] = _default_embedder
    _loader: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ready_embedder(self) -> Embedder | None:
        """The query embedder if it is loaded; otherwise start loading it and return None."""
        if self.embedder is not None:
            return self.embedder
        with self._lock:
            if self._loader is None:
                self._loader = threading.Thread(target=self._load, name="tellgraph-embedder", daemon=True)
                self._loader.start()
        return None

    def _load(self) -> None:
        try:
            self.embedder = self.embedder_factory()
        except Exception:  # search keeps working on the full-text indexes
            logger.warning("could not load the embedding model; search stays full-text only", exc_info=True)


@dataclass
class Context:
    """What every resolver sees; created fresh per request so nothing leaks between requests."""

    store: GraphStore
    settings: Settings
    principal: Principal | None
    run: StoreRunner
    loaders: Loaders
    shared: Shared
    request_id: str = ""
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def role(self) -> str:
        """The caller's role name (``viewer``, ``editor``, ``admin``), empty without a token."""
        return self.principal.role.name.lower() if self.principal else ""

    def has_role(self, role: Role) -> bool:
        """Whether the caller has at least ``role``."""
        return self.principal is not None and self.principal.role >= role

    @property
    def actor(self) -> str:
        """How audit entries name the caller."""
        return self.principal.actor if self.principal else "anonymous"


Info: TypeAlias = strawberry.Info[Context, None]
