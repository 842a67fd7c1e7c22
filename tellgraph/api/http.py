"""GraphQL over HTTP, following the GraphQL-over-HTTP specification.

- ``GET`` (queries only; a mutation over GET is a 405) and ``POST`` with
  ``Content-Type: application/json`` (anything else is a 415); other methods are 405.
- The response is ``application/graphql-response+json`` when the client accepts it,
  else ``application/json``; a client accepting neither gets a 406.
- Request errors (unparseable JSON, a missing or invalid query, validation and
  variable errors, an over-limit query) have no ``data`` entry; with
  ``application/graphql-response+json`` they are 400s, with ``application/json`` 200s
  as the spec asks for that legacy media type. Malformed HTTP requests are 400 either way.
- Every error has ``extensions.code``; a store outage is a 503 (fast, see :mod:`tellgraph.api.health`),
  a request over the time limit a 504.
- No valid bearer token: 401 before anything is parsed; a token over its rate limit
  (``TELLGRAPH_API_RATE_LIMIT`` per second, bursts of ``TELLGRAPH_API_RATE_BURST``): 429
  with ``Retry-After``. A browser asking for
  ``/graphql`` (``Accept: text/html``, no query) gets GraphiQL.
- Persisted queries (APQ) by ``extensions.persistedQuery``; see :mod:`tellgraph.api.persisted`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from tellgraph.api import errors as codes
from tellgraph.api.auth import TokenTable
from tellgraph.api.context import Context, Shared
from tellgraph.api.health import StoreHealth
from tellgraph.api.loaders import Loaders
from tellgraph.api.persisted import PersistedQueries, PersistedQueryError
from tellgraph.api.ratelimit import RateLimiter
from tellgraph.api.runner import StoreRunner
from tellgraph.graph.store import GraphStore
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
ALLOW = "GET, POST"


class HTTPError(Exception):
    """A request refused at the HTTP level, with its status and error code."""

    def __init__(self, status: int, message: str, code: str, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        super().__init__(message)


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None when the client accepts neither."""
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if media == GRAPHQL_RESPONSE:
            candidate = (q, 2, GRAPHQL_RESPONSE)
        elif media == JSON:
            candidate = (q, 1, JSON)
        elif media in ("application/*", "*/*"):
            candidate = (q, 0, JSON)
        else:
            continue
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else None


def wants_ide(request: Request) -> bool:
    """A browser navigating to the endpoint (not a GraphQL client)."""
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "extensions" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    )


def _valid_unicode(value: Any) -> bool:
    """No string in a decoded JSON value holds a lone surrogate (which cannot be encoded as UTF-8)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_valid_unicode(k) and _valid_unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_valid_unicode(v) for v in value)
    return True


def _json_param(value: str | None, name: str) -> Any:
    if value is None or value == "":
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the decoder allows
        raise HTTPError(400, f"The {name} parameter is not valid JSON", codes.INVALID_INPUT) from None


class GraphQLEndpoint:
    """The ``/graphql`` ASGI endpoint."""

    def __init__(
        self,
        *,
        schema: Any,
        store: GraphStore,
        settings: Settings,
        tokens: TokenTable,
        runner: StoreRunner,
        shared: Shared,
        persisted: PersistedQueries,
        health: StoreHealth,
    ) -> None:
        self.health = health
        self.schema = schema
        self.store = store
        self.settings = settings
        self.tokens = tokens
        self.runner = runner
        self.shared = shared
        self.persisted = persisted
        self.limiter = RateLimiter(rate=settings.api_rate_limit, burst=settings.api_rate_burst)
        self._ide = get_graphql_ide_html(graphql_ide="graphiql")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    # -- responses ------------------------------------------------------------------
    @staticmethod
    def _respond(
        body: Mapping[str, Any], *, status: int, media: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
        merged = {"Cache-Control": "no-store", "Vary": "Accept, Authorization", **(headers or {})}
        return Response(content, status_code=status, media_type=f"{media}; charset=utf-8", headers=merged)

    def _error(self, exc: HTTPError, media: str) -> Response:
        return self._respond(
            {"errors": [codes.error_body(exc.message, exc.code)]}, status=exc.status, media=media, headers=exc.headers
        )

    # -- request handling -----------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        """Answer one HTTP request."""
        media = negotiate(request.headers.get("accept")) or JSON
        if request.method not in ("GET", "POST"):
            return self._error(
                HTTPError(405, "GraphQL accepts GET and POST", codes.INVALID_INPUT, {"Allow": ALLOW}), media
            )
        if wants_ide(request):
            return HTMLResponse(self._ide)
        if negotiate(request.headers.get("accept")) is None:
            return self._error(HTTPError(406, f"Accept {GRAPHQL_RESPONSE} or {JSON}", codes.INVALID_INPUT), JSON)
        principal = self.tokens.principal_for(request.headers.get("authorization"))
        if principal is None:
            return self._error(
                HTTPError(401, str(codes.Unauthenticated()), codes.UNAUTHENTICATED, {"WWW-Authenticate": "Bearer"}),
                media,
            )
        # Per token, before the body is read: an open (loopback-only) API has no tokens to limit.
        wait = None if self.tokens.open else self.limiter.acquire(principal.fingerprint)
        if wait is not None:
            limit = f"{self.limiter.rate:g} requests per second (bursts of {self.limiter.burst})"
            return self._error(
                HTTPError(
                    429,
                    f"Too many requests for this token: the limit is {limit}; retry in {wait:.1f} s",
                    codes.RATE_LIMITED,
                    {"Retry-After": RateLimiter.retry_after(wait)},
                ),
                media,
            )
        try:
            params = await self._params(request)
            query = self._query(params)
        except HTTPError as exc:
            return self._error(exc, media)
        except PersistedQueryError as exc:
            status = 400 if media == GRAPHQL_RESPONSE else 200
            return self._respond({"errors": [codes.error_body(str(exc), exc.code)]}, status=status, media=media)
        down = await self.health.unavailable()
        if down is not None:
            return self._error(HTTPError(503, down, codes.UNAVAILABLE, {"Retry-After": "5"}), media)
        context = Context(
            store=self.store,
            settings=self.settings,
            principal=principal,
            run=self.runner,
            loaders=Loaders(store=self.store, run=self.runner),
            shared=self.shared,
            request_id=uuid.uuid4().hex[:12],
        )
        allowed = {OperationType.QUERY} if request.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        try:
            async with asyncio.timeout(self.settings.api_timeout):
                result = await self.schema.execute(
                    query,
                    variable_values=params.get("variables"),
                    context_value=context,
                    operation_name=params.get("operationName"),
                    allowed_operation_types=allowed,
                    operation_extensions=params.get("extensions"),
                )
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                return self._error(HTTPError(400, "Subscriptions are not supported", codes.INVALID_INPUT), media)
            return self._error(HTTPError(405, "Mutations need POST", codes.INVALID_INPUT, {"Allow": "POST"}), media)
        except CannotGetOperationTypeError as exc:
            return self._error(HTTPError(400, exc.as_http_error_reason(), codes.INVALID_INPUT), media)
        except MissingQueryError:
            return self._error(HTTPError(400, "No GraphQL query found in the request", codes.INVALID_INPUT), media)
        except TimeoutError:
            logger.warning("request %s timed out after %ss", context.request_id, self.settings.api_timeout)
            down = await self.health.probe()
            if down is not None:
                return self._error(HTTPError(503, down, codes.UNAVAILABLE, {"Retry-After": "5"}), media)
            timeout = codes.QueryTimeout(self.settings.api_timeout)
            return self._error(HTTPError(504, str(timeout), codes.TIMEOUT), media)
        errors = result.errors or []
        validation = isinstance(result, PreExecutionError)
        request_error = validation or (result.data is None and bool(errors) and all(e.path is None for e in errors))
        body: dict[str, Any] = {}
        if not request_error:
            body["data"] = result.data
        formatted = [codes.format_error(e, request_error=request_error, validation=validation) for e in errors]
        if formatted:
            body["errors"] = formatted
        if result.extensions:
            body["extensions"] = result.extensions
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        headers = {"X-Request-Id": context.request_id}
        if codes.is_unavailable(formatted):
            status = 503
            headers["Retry-After"] = "5"
            self.health.mark_down(next(e["message"] for e in formatted if e["extensions"]["code"] == codes.UNAVAILABLE))
        return self._respond(body, status=status, media=media, headers=headers)

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            raw: Any = {
                "query": request.query_params.get("query"),
                "operationName": request.query_params.get("operationName"),
                "variables": _json_param(request.query_params.get("variables"), "variables"),
                "extensions": _json_param(request.query_params.get("extensions"), "extensions"),
            }
        else:
            raw = await self._json_body(request)
        if not isinstance(raw, dict):
            raise HTTPError(400, "The body must be a JSON object (batching is not supported)", codes.INVALID_INPUT)
        checks = {"query": str, "operationName": str, "variables": dict, "extensions": dict}
        for name, kind in checks.items():
            value = raw.get(name)
            if value is not None and not isinstance(value, kind):
                expected = "a string" if kind is str else "an object"
                raise HTTPError(400, f"The {name} parameter must be {expected} or null", codes.INVALID_INPUT)
        params = {name: raw.get(name) for name in checks}
        if not _valid_unicode(params):
            # JSON may escape a lone surrogate ("\\ud800"): valid JSON, but no text any store can hold.
            raise HTTPError(400, "The request holds a string that is not valid Unicode", codes.INVALID_INPUT)
        return params

    async def _json_body(self, request: Request) -> Any:
        content_type = request.headers.get("content-type", "")
        media, *params = (p.strip() for p in content_type.split(";"))
        if media.lower() != JSON:
            raise HTTPError(415, f"Send the request as {JSON}", codes.INVALID_INPUT, {"Accept": JSON})
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
                raise HTTPError(415, "Only utf-8 request bodies are accepted", codes.INVALID_INPUT)
        limit = self.settings.api_max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise HTTPError(413, f"The request body is larger than {limit} bytes", codes.INVALID_INPUT)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise HTTPError(413, f"The request body is larger than {limit} bytes", codes.INVALID_INPUT)
        if not body:
            raise HTTPError(400, "The request body is empty", codes.INVALID_INPUT)
        try:
            return json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise HTTPError(400, "The request body is not valid JSON", codes.INVALID_INPUT) from None

    def _query(self, params: dict[str, Any]) -> str:
        query = self.persisted.resolve(query=params.get("query"), extensions=params.get("extensions"))
        if not query:
            raise HTTPError(400, "No GraphQL query found in the request", codes.INVALID_INPUT)
        limit = self.settings.api_max_query_bytes
        if len(query.encode("utf-8")) > limit:
            raise HTTPError(413, f"The query is longer than {limit} bytes", codes.INVALID_INPUT)
        return query
