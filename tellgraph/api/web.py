"""The web page and the Neo4j Browser guide: static files, no data.

- ``/`` is the single-page app built from ``web/`` (``make web``) into ``static/``;
  it asks for an API token and reads everything through ``/graphql``, so the page
  itself is public and the data stays behind the token.
- ``/static/...`` serves the bundle, gzip-compressed for clients that accept it.
- ``/browser-guide`` is a Neo4j Browser guide (``:play <url>``) with the saved
  queries, and ``/browser-guide/tellgraph.grass`` the style sheet (``:style <url>``).
  Browser fetches both from its own origin, so they carry CORS headers; they hold
  no data, only queries and colours.
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tellgraph.api import browser_guide

STATIC_DIR = Path(__file__).with_name("static")
INDEX = STATIC_DIR / "index.html"

_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    # The page loads its own script and style only and is never framed.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    # Neo4j Browser sends these with every guide and style request.
    "Access-Control-Allow-Headers": "pragma, cache-control, content-type",
    "Access-Control-Max-Age": "600",
}


async def index(request: Request) -> Response:
    """The single-page app, or a hint to build it."""
    if not INDEX.exists():
        return PlainTextResponse(
            "The web page is not built: run `make web` (needs node), or use GraphiQL at /graphql.", status_code=503
        )
    return FileResponse(INDEX, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


def _cors(content: str, media_type: str, request: Request) -> Response:
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=_CORS)
    return Response(content, media_type=media_type, headers={**_CORS, "Cache-Control": "no-cache"})


async def guide(request: Request) -> Response:
    """The Neo4j Browser guide: ``:play http://<api>/browser-guide``."""
    return _cors(browser_guide.render_guide(base_url=str(request.base_url)), "text/html; charset=utf-8", request)


async def grass(request: Request) -> Response:
    """The Neo4j Browser style sheet: ``:style http://<api>/browser-guide/tellgraph.grass``."""
    return _cors(browser_guide.style_text(), "text/plain; charset=utf-8", request)


async def queries(request: Request) -> Response:
    """The saved queries as a Cypher file."""
    return _cors(browser_guide.QUERIES_FILE.read_text(encoding="utf-8"), "text/plain; charset=utf-8", request)


def web_routes() -> list[BaseRoute]:
    """The page, its assets and the Neo4j Browser guide."""
    # check_dir=False: a checkout without the built bundle still serves the API (and says so at /).
    static = GZipMiddleware(StaticFiles(directory=STATIC_DIR, check_dir=False), minimum_size=1000)
    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount("/static", app=static, name="static"),
        Route("/browser-guide", guide, methods=["GET", "OPTIONS"]),
        Route("/browser-guide/tellgraph.grass", grass, methods=["GET", "OPTIONS"]),
        Route("/browser-guide/queries.cypher", queries, methods=["GET", "OPTIONS"]),
    ]
