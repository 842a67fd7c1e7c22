"""From exceptions to GraphQL errors: a stable ``extensions.code`` for each kind, no stack traces.

Expected failures (:class:`~tellgraph.errors.TellgraphError` subclasses) keep
their message; anything else is logged with a short id and the client sees only
that id. Store errors are internal too: their messages quote Cypher.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import GraphQLError

from tellgraph.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreTimeout,
    StoreUnavailable,
    TellgraphError,
)

logger = logging.getLogger(__name__)

NOT_FOUND = "NOT_FOUND"
INVALID_INPUT = "INVALID_INPUT"
FORBIDDEN = "FORBIDDEN"
UNAUTHENTICATED = "UNAUTHENTICATED"
UNAVAILABLE = "UNAVAILABLE"
TIMEOUT = "TIMEOUT"
INTERNAL = "INTERNAL_SERVER_ERROR"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
RATE_LIMITED = "RATE_LIMITED"


class Unauthenticated(TellgraphError):
    """The request carries no valid API token."""

    def __init__(self) -> None:
        super().__init__("Missing or invalid API token: send Authorization: Bearer <token>")


class QueryTimeout(TellgraphError):
    """The request took longer than the configured limit."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"The request took longer than {seconds:g} s and was stopped; ask for less")


class FeatureUnavailable(TellgraphError):
    """A feature this build does not have (yet)."""

    def __init__(self, feature: str, reason: str) -> None:
        self.feature = feature
        super().__init__(f"{feature} is not available: {reason}")


_CODES: list[tuple[type[TellgraphError], str]] = [
    (NotFound, NOT_FOUND),
    (InvalidInput, INVALID_INPUT),
    (PermissionDenied, FORBIDDEN),
    (Unauthenticated, UNAUTHENTICATED),
    (StoreUnavailable, UNAVAILABLE),
    (QueryTimeout, TIMEOUT),
    (StoreTimeout, TIMEOUT),
    (FeatureUnavailable, NOT_IMPLEMENTED),
]


def code_for(exc: BaseException) -> str | None:
    """The code of an expected failure, or None for an internal one."""
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return None


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """One error in the response's ``errors`` list."""
    return {"message": message, "extensions": {"code": code, **extensions}}


def format_error(error: GraphQLError, *, request_error: bool, validation: bool = False) -> dict[str, Any]:
    """A GraphQL error as JSON with ``extensions.code``, masked when it is internal.

    Args:
        error: the error from execution.
        request_error: it happened before execution (parse, validation, variables).
        validation: it happened while parsing or validating the document (not coercing variables).
    """
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        code = code_for(original)
        if code is None:  # StoreError and anything unexpected: logged with an id, never shown
            error_id = uuid.uuid4().hex[:12]
            logger.error("internal error %s at %s", error_id, error.path, exc_info=original)
            formatted["message"] = f"Internal error (id {error_id}); it has been logged."
            extensions = {"code": INTERNAL, "errorId": error_id}
        else:
            formatted["message"] = str(original)
            extensions["code"] = code
            if isinstance(original, InvalidInput):
                extensions["field"] = original.field
    elif "code" not in extensions:
        if validation:
            if error.message.startswith("Syntax Error"):
                extensions["code"] = PARSE_FAILED
            elif "exceeds maximum operation depth" in error.message:
                extensions["code"] = QUERY_TOO_DEEP
            else:
                extensions["code"] = VALIDATION_FAILED
        elif request_error:
            extensions["code"] = INVALID_INPUT  # variables that do not fit their types
        else:
            extensions["code"] = INTERNAL
            logger.warning("execution error without a cause at %s: %s", error.path, error.message)
    formatted["extensions"] = extensions
    return formatted


def is_unavailable(errors: list[dict[str, Any]]) -> bool:
    """Whether any error says the store is down (the response becomes a 503)."""
    return any((e.get("extensions") or {}).get("code") == UNAVAILABLE for e in errors)
