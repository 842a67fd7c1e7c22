"""Persisted queries: send a SHA-256 instead of the query text (Apollo's APQ protocol).

A client sends ``extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}``
(with GET: ``?extensions=...`` URL-encoded) and no ``query``. When the server
knows the hash it runs that query; otherwise it answers with the error code
``PERSISTED_QUERY_NOT_FOUND`` and the client repeats the request once with the
query text, which the server checks against the hash and remembers.

``TELLGRAPH_API_PERSISTED_QUERIES`` may name a JSON file ``{"<sha256>": "<query>"}``
of queries known in advance (a build step of the client can write it); those
never expire. Learnt queries live in a bounded in-memory LRU per process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tellgraph.errors import ConfigError, TellgraphError

MAX_LEARNT = 2000


class PersistedQueryError(TellgraphError):
    """A persisted-query request the server cannot serve, with the APQ error code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def sha256_hex(query: str) -> str:
    """The hash clients send for a query."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


class PersistedQueries:
    """Known queries by hash: a fixed map from a file plus an LRU of learnt ones."""

    def __init__(self, *, known: Mapping[str, str] | None = None, max_learnt: int = MAX_LEARNT) -> None:
        self._known = dict(known or {})
        self._learnt: OrderedDict[str, str] = OrderedDict()
        self._max = max_learnt
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path | None) -> PersistedQueries:
        """Load the fixed map (hashes are checked), or start empty."""
        if path is None:
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError("TELLGRAPH_API_PERSISTED_QUERIES", f"cannot read {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError("TELLGRAPH_API_PERSISTED_QUERIES", "must hold a JSON object {sha256: query}")
        for digest, query in data.items():
            if not isinstance(query, str) or sha256_hex(query) != str(digest).lower():
                raise ConfigError("TELLGRAPH_API_PERSISTED_QUERIES", f"entry {digest!r} does not match its query")
        return cls(known={str(k).lower(): v for k, v in data.items()})

    def resolve(self, *, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The query to run for a request's ``query`` and ``extensions``.

        Raises:
            PersistedQueryError: an unknown hash without the text, a hash that does not match
                the text, or an unsupported version.
        """
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
            raise PersistedQueryError("PERSISTED_QUERY_NOT_SUPPORTED", "Only persistedQuery version 1 is supported")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise PersistedQueryError("PERSISTED_QUERY_INVALID", "persistedQuery.sha256Hash must be 64 hex digits")
        digest = digest.lower()
        if query is not None:
            if sha256_hex(query) != digest:
                raise PersistedQueryError("PERSISTED_QUERY_HASH_MISMATCH", "The query does not match its sha256Hash")
            if digest not in self._known:
                with self._lock:
                    self._learnt[digest] = query
                    self._learnt.move_to_end(digest)
                    while len(self._learnt) > self._max:
                        self._learnt.popitem(last=False)
            return query
        if digest in self._known:
            return self._known[digest]
        with self._lock:
            found = self._learnt.get(digest)
            if found is not None:
                self._learnt.move_to_end(digest)
        if found is None:
            raise PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        return found
