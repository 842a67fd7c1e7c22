"""Logging for the command line: readable lines on stderr, secrets never formatted in."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


class DropQueryStrings(logging.Filter):
    """Access-log lines keep the request path but not its query string.

    A GraphQL GET carries the whole request in the query string (``?query=...&variables=...``):
    emails, names and search text, which must not end up in a server log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client address, method, path with query, HTTP version, status).
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


_ACCESS_FILTER = DropQueryStrings()


def quiet_access_log() -> None:
    """Drop query strings from uvicorn's access log (idempotent; call once uvicorn has set up logging)."""
    access = logging.getLogger("uvicorn.access")
    if _ACCESS_FILTER not in access.filters:
        access.addFilter(_ACCESS_FILTER)


def configure_logging(*, verbose: bool = False) -> None:
    """Send logs to stderr through rich; quiet the chatty libraries."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="[%X]",
        # stderr, so that --json output on stdout stays machine-readable.
        handlers=[RichHandler(console=Console(stderr=True), rich_tracebacks=False, show_path=False, markup=False)],
        force=True,
    )
    for noisy in (
        "neo4j",
        "httpx",
        "urllib3",
        "googleapiclient",
        "slack_sdk",
        "sentence_transformers",
        "uvicorn.access",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
