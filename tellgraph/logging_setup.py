"""Logging for the command line: readable lines on stderr, secrets never formatted in."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


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
