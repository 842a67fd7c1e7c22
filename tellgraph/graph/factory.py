"""Open the configured GraphStore."""

from __future__ import annotations

import logging

from tellgraph.graph.store import GraphStore
from tellgraph.settings import Settings, StoreKind

logger = logging.getLogger(__name__)


def open_store(
    *, settings: Settings, kind: StoreKind | None = None, check: bool = True, query_timeout: float | None = None
) -> GraphStore:
    """The store ``settings`` (or ``kind``) selects, checked to answer when ``check`` is set.

    ``query_timeout`` bounds each Neo4j query (see ``Neo4jStore``); the embedded store ignores it.

    Raises:
        StoreUnavailable: the store cannot be reached (with its URI, never a driver traceback).
    """
    chosen = kind or settings.store
    store: GraphStore
    if chosen is StoreKind.NEO4J:
        # Imported here so that the embedded path never loads the driver.
        from tellgraph.graph.neo4j_store import Neo4jStore

        store = Neo4jStore(
            uri=settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
            connect_timeout=settings.neo4j_connect_timeout,
            max_retry_time=settings.neo4j_max_retry_time,
            query_timeout=query_timeout,
        )
    else:
        from tellgraph.graph.memory import MemoryStore

        store = MemoryStore(path=settings.memory_store_path)
    if check:
        try:
            store.ping()
        except Exception:
            store.close()
            raise
    logger.debug("opened %s store at %s", chosen.value, store.uri)
    return store
