"""The ASGI application: GraphQL at /graphql (GraphiQL in a browser), health at /healthz."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from tellgraph.api.auth import Role, TokenTable
from tellgraph.api.context import Context
from tellgraph.api.schema import build_schema
from tellgraph.errors import TellgraphError
from tellgraph.graph.store import GraphStore
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)


class TellgraphGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with a fresh context per request."""

    def __init__(self, *, store: GraphStore, settings: Settings, tokens: TokenTable) -> None:
        super().__init__(
            build_schema(max_depth=settings.api_max_depth),
            graphql_ide="graphiql",
            allow_queries_via_get=True,
        )
        self._store = store
        self._settings = settings
        self._tokens = tokens

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        role = self._tokens.role_for(request.headers.get("authorization"))
        return Context(store=self._store, settings=self._settings, role=role.name.lower() if role else "")


class RequireToken:
    """No token, no data: refuse requests without a valid bearer token (GraphiQL's page itself is static).

    A class, not a closure, so that Starlette routes it as a raw ASGI app.
    """

    def __init__(self, app: ASGIApp, *, tokens: TokenTable) -> None:
        self._app = app
        self._tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            wants_ide = request.method == "GET" and "text/html" in request.headers.get("accept", "")
            if not wants_ide and self._tokens.role_for(request.headers.get("authorization")) is None:
                response = JSONResponse(
                    {"errors": [{"message": "Missing or invalid API token: send Authorization: Bearer <token>"}]},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


def create_app(*, store: GraphStore, settings: Settings) -> Starlette:
    """The tellgraph web application over an open store."""
    tokens = TokenTable(settings.api_tokens.get_secret_value())
    graphql_app = TellgraphGraphQL(store=store, settings=settings, tokens=tokens)

    async def healthz(request: Request) -> JSONResponse:
        try:
            store.ping()
        except TellgraphError as exc:
            return JSONResponse({"status": "unavailable", "store": store.uri, "reason": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "store": store.uri})

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/graphql", RequireToken(graphql_app, tokens=tokens), methods=["GET", "POST"]),
        ]
    )
    app.state.store = store
    app.state.tokens = tokens
    return app


__all__ = ["Role", "create_app"]
