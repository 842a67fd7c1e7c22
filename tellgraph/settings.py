"""The one settings object. Nothing else in tellgraph reads the environment."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreKind(StrEnum):
    """Which GraphStore implementation to use."""

    NEO4J = "neo4j"
    MEMORY = "memory"


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "tellgraph"


def _default_cache() -> Path:
    return Path.home() / ".cache" / "tellgraph"


class Settings(BaseSettings):
    """tellgraph configuration, read from ``TELLGRAPH_*`` environment variables.

    Secrets have no defaults that could leak into logs: the Neo4j password has a
    development default only because the local server is bound to 127.0.0.1 and
    provisioned by tellgraph itself with that password.
    """

    model_config = SettingsConfigDict(env_prefix="TELLGRAPH_", extra="ignore")

    store: StoreKind = StoreKind.NEO4J
    data_dir: Path = Field(default_factory=_default_home)
    cache_dir: Path = Field(default_factory=_default_cache)

    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("tellgraph-dev")
    neo4j_database: str = "neo4j"
    neo4j_http_port: int = 7474
    neo4j_bolt_port: int = 7687
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"
    neo4j_version: str = "5.26.12"
    neo4j_browser_version: str = "5.24.0"
    neo4j_start_timeout: float = 180.0
    neo4j_connect_timeout: float = 5.0
    # How long the driver retries one transaction on transient errors (deadlocks, a leader switch, a restart).
    neo4j_max_retry_time: float = 15.0

    # How an ingest run waits for a store that went away: exponential backoff from the initial delay,
    # each wait at most max_delay, giving up (StoreUnavailable) once it has waited retry_timeout seconds.
    store_retry_timeout: float = 120.0
    store_retry_initial_delay: float = 0.5
    store_retry_max_delay: float = 15.0

    api_tokens: SecretStr = SecretStr("")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_introspection: bool = True
    api_max_depth: int = 10
    api_max_page: int = 100
    api_max_cost: int = 5000
    api_max_aliases: int = 30
    api_max_tokens: int = 2000
    api_max_query_bytes: int = 20_000
    api_max_body_bytes: int = 200_000
    api_timeout: float = 15.0
    api_threads: int = 8
    api_persisted_queries: Path | None = None
    api_stale_after_days: float = 180.0
    api_network_max_nodes: int = 200
    # Per API token: requests per second (0 turns the limit off) and how many may come at once.
    api_rate_limit: float = 50.0
    api_rate_burst: int = 100

    batch_size: int = 1000
    store_previews: bool = True
    store_raw_bodies: bool = False
    body_key: SecretStr | None = None

    owner_email: str | None = None
    slack_token: SecretStr | None = None
    slack_base_url: str | None = None
    gmail_credentials_file: Path | None = None
    gmail_token_file: Path | None = None

    # Scoring
    half_life_days: float = 90.0

    @field_validator("batch_size")
    @classmethod
    def _positive_batch(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator(
        "neo4j_max_retry_time", "store_retry_timeout", "store_retry_initial_delay", "store_retry_max_delay"
    )
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @property
    def neo4j_home(self) -> Path:
        """Where the locally provisioned Neo4j keeps its jars, config, data and logs."""
        return self.cache_dir / "neo4j"

    @property
    def memory_store_path(self) -> Path:
        """The embedded store's snapshot file."""
        return self.data_dir / "memory-store.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
