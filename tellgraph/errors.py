"""One root exception and its precise subclasses.

Every subclass builds its message from its arguments so that callers raise them
with data, not prose, and the API layer can translate them without parsing text.
"""

from __future__ import annotations


class TellgraphError(Exception):
    """Root of every error tellgraph raises on purpose."""


class ConfigError(TellgraphError):
    """A setting is missing or invalid."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"Setting {setting!r}: {problem}")


class InvalidInput(TellgraphError):
    """Input that tellgraph refuses, with the field that is wrong and why."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"Invalid {field}: {problem}")


class NotFound(TellgraphError):
    """An entity that does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"No {kind} found for {key!r}")


class StoreUnavailable(TellgraphError):
    """The graph store cannot be reached or refused the connection."""

    def __init__(self, uri: str, reason: str) -> None:
        self.uri = uri
        self.reason = reason
        super().__init__(f"Graph store at {uri} is unavailable: {reason}")


class StoreError(TellgraphError):
    """The graph store answered but the operation failed."""

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(f"Store operation {operation!r} failed: {reason}")


class StoreTimeout(StoreError):
    """The graph store stopped a query that ran past the time it was given (nothing was changed)."""

    def __init__(self, operation: str, seconds: float) -> None:
        self.operation = operation
        self.reason = f"stopped by the database after {seconds:g} s"
        self.seconds = seconds
        # The message reaches API clients, so it names no query text.
        TellgraphError.__init__(self, f"The graph store stopped a query after {seconds:g} s; ask for less")


class StorageError(StoreError):
    """The embedded store could not write its snapshot to disk; the previous snapshot is intact.

    The in-memory graph keeps the changes, so a later flush (after space is freed or the
    location made writable) writes them.
    """

    def __init__(self, path: str, problem: str, *, errno: int | None = None) -> None:
        self.path = path
        self.problem = problem
        self.errno = errno
        super().__init__("save snapshot", f"{path}: {problem}; the previous snapshot is intact")


class StorageFull(StorageError):
    """No space left (disk full, quota exceeded) where the snapshot is written."""


class StorageReadOnly(StorageError):
    """The snapshot's location cannot be written (read-only file system, no permission)."""


class ExtractionError(TellgraphError):
    """A source record could not be parsed into an activity."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"Could not extract from {source}: {reason}")


class ConnectorError(TellgraphError):
    """A connector could not read its source at all (not a single bad record)."""

    def __init__(self, connector: str, reason: str) -> None:
        self.connector = connector
        self.reason = reason
        super().__init__(f"Connector {connector!r} failed: {reason}")


class ProvisioningError(TellgraphError):
    """The local Neo4j server could not be provisioned, started or stopped."""

    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(f"Neo4j {step} failed: {reason}")


class PermissionDenied(TellgraphError):
    """The caller's role does not allow the operation."""

    def __init__(self, action: str, required_role: str) -> None:
        self.action = action
        self.required_role = required_role
        super().__init__(f"{action} needs the {required_role!r} role")
