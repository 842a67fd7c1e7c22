"""Ingest one maildir with several worker processes sharing one Neo4j.

The maildir is partitioned by source: each top-level folder (a mailbox, in the
Enron layout) is one task, and ``workers`` processes take tasks from a queue
until none is left. Every task is an ordinary :class:`IngestRun` with its own
``Source`` node and checkpoints (``<root>#<mailbox>``), reading with the same
root as a serial run, so a message gets the same source key and content key
whichever worker reads it.

The same mail is often filed in several mailboxes (the sender's sent folder, each
recipient's inbox). A serial run stores the copy it reads first; so that the
parallel run stores that same copy, a quick first pass lists each mailbox's
content keys, and each communication is then written only by the first mailbox
(in the serial run's order) that holds it: the others count it as a duplicate.

Why this stays idempotent and free of duplicates with writers running at once:

- every node is ``MERGE``d on an id under a unique constraint, so two workers
  storing the same person at the same moment get one node (Neo4j serialises them
  on the constraint's index entry);
- lock-order deadlocks between two workers' transactions (which do happen, on
  shared people) and other transient errors are retried by the driver as whole
  transactions; an outage is waited out by :class:`~tellgraph.ingest.retry.StoreRetry`;
- merge rules are commutative where order could show: lists are unioned, and the
  kept display name does not depend on which mailbox was read first for the forms
  mail headers use (addresses, "Last, First", "First Last"). Two different display
  names of the same form for one address are the exception: the first stored wins.

When every mailbox is done, the run records the root ``Source`` as a serial run
does and drops the per-mailbox ones, so the graph equals a serial run's. An
interrupted run leaves the per-mailbox checkpoints; running it again resumes each.

With text analysis on (``nlp``) the communications, people and their links are
still those of a serial run, but what the text mentions may resolve differently:
the enricher matches names against the people and companies already stored, and
which are stored by then depends on the order mailboxes are read in (in a serial
run too, if the folders were read in another order).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tellgraph.errors import ConfigError, ConnectorError, InvalidInput, StoreUnavailable, TellgraphError
from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.retry import StoreRetry
from tellgraph.ingest.service import MAX_EXAMPLES, IngestRun, IngestSummary, RejectedExample, source_id
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Activity, Source, utcnow
from tellgraph.schema.records import SourceRecord
from tellgraph.settings import Settings, StoreKind

logger = logging.getLogger(__name__)

# One store connection (and NLP pipeline) per worker process, opened once by the initializer.
_worker: dict[str, Any] = {}


def maildir_partitions(root: Path) -> list[str]:
    """The top-level folders of a maildir that can be read independently, sorted.

    Raises:
        InvalidInput: ``root`` is not a folder, or is itself a single maildir (``cur``/``new``).
    """
    if not root.is_dir():
        raise InvalidInput("path", f"{root} is not a folder")
    with os.scandir(root) as scan:
        entries = sorted((e for e in scan if not e.name.startswith(".")), key=lambda e: e.name)
    names = [e.name for e in entries]
    if {"cur", "new"} <= set(names):
        raise InvalidInput("--workers", f"{root} is a single maildir (cur/new); there are no mailboxes to split")
    return [e.name for e in entries if e.is_dir(follow_symlinks=False)]


def _init_worker(settings: Settings, full: bool, nlp: bool) -> None:
    from tellgraph.graph.factory import open_store

    store = open_store(settings=settings, kind=StoreKind.NEO4J, check=False)
    enricher = None
    if nlp:
        from tellgraph.extractors.nlp import MAX_NLP_CHARS
        from tellgraph.ingest.enrich import NlpEnricher

        # One NLP process per worker: the workers already use the cores.
        enricher = NlpEnricher(
            store=store,
            batch_size=int(getattr(settings, "nlp_batch_size", 256)),
            n_process=1,
            max_chars=int(getattr(settings, "nlp_max_chars", MAX_NLP_CHARS)),
        )
    _worker.update(settings=settings, store=store, full=full, enricher=enricher)


class _SkipCopies:
    """A mailbox's connector without the communications another mailbox stores (it reads them first)."""

    def __init__(self, inner: MaildirConnector, *, skip: frozenset[str]) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.incremental = inner.incremental
        self.skip = skip
        self.skipped = 0

    @property
    def location(self) -> str:
        return self.inner.location

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        for record in self.inner.read(checkpoints=checkpoints):
            if isinstance(record, Activity) and record.key in self.skip:
                self.skipped += 1
                continue
            yield record


def _keys_of_part(root: str, part: str) -> tuple[str, list[str]]:
    """The content keys of one mailbox's messages (the first pass)."""
    keys = {
        record.key
        for record in MaildirConnector(path=Path(root), only=[part]).read(checkpoints={})
        if isinstance(record, Activity)
    }
    return part, sorted(keys)


def _ingest_part(root: str, part: str, skip: frozenset[str]) -> dict[str, Any]:
    """Ingest one mailbox in this worker; errors come back as data (TellgraphErrors do not pickle)."""
    settings: Settings = _worker["settings"]
    connector = _SkipCopies(MaildirConnector(path=Path(root), only=[part]), skip=skip)
    try:
        run = IngestRun(
            store=_worker["store"],
            connector=connector,
            settings=settings,
            full=_worker["full"],
            enricher=_worker["enricher"],
        )
        summary = run.run()
        # Copies stored from another mailbox are duplicates here, as in a serial run.
        summary.read += connector.skipped
        summary.duplicate += connector.skipped
    except StoreUnavailable as exc:
        return {"part": part, "error": "unavailable", "uri": exc.uri, "reason": exc.reason}
    except TellgraphError as exc:
        return {"part": part, "error": type(exc).__name__, "reason": str(exc)}
    return {"part": part, "summary": summary.model_dump(mode="json"), "pid": os.getpid()}


def _copies_to_skip(keys_by_part: Mapping[str, list[str]]) -> dict[str, frozenset[str]]:
    """For each mailbox, the keys a mailbox before it (in the serial run's order) also holds."""
    owner: dict[str, str] = {}
    for part in sorted(keys_by_part):  # the serial walk visits top-level folders in name order
        for key in keys_by_part[part]:
            owner.setdefault(key, part)
    return {part: frozenset(key for key in keys if owner[key] != part) for part, keys in keys_by_part.items()}


def _merge(total: IngestSummary, part: IngestSummary) -> None:
    for name in ("read", "new", "duplicate", "rejected", "contacts", "events", "batches", "store_retries"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.store_wait_seconds = round(total.store_wait_seconds + part.store_wait_seconds, 3)
    total.resumed = total.resumed or part.resumed
    for reason, count in part.rejected_reasons.items():
        total.rejected_reasons[reason] = total.rejected_reasons.get(reason, 0) + count
    room = MAX_EXAMPLES - len(total.rejected_examples)
    total.rejected_examples.extend(RejectedExample.model_validate(e) for e in part.rejected_examples[:room])


def _finish(store: GraphStore, *, root: MaildirConnector, parts: list[str], summary: IngestSummary) -> None:
    """Record the root source as a serial run would and drop the per-mailbox sources."""
    now = utcnow()
    whole = Source(
        id=source_id(root.kind, root.location),
        kind=root.kind,
        location=root.location,
        cursors=[],
        last_run_at=now,
        last_summary=summary.model_dump_json(exclude={"rejected_examples"}),
    )
    per_part = [source_id(root.kind, MaildirConnector(path=Path(root.location), only=[p]).location) for p in parts]
    retry = StoreRetry(timeout=60.0)
    retry.call("record the finished run", lambda: store.upsert_entities(entities=[whole]))
    retry.call("drop the per-mailbox checkpoints", lambda: store.delete_nodes(label=NodeLabel.SOURCE, ids=per_part))


def ingest_maildir_in_parallel(
    *, store: GraphStore, path: Path, settings: Settings, workers: int, full: bool = False, nlp: bool = False
) -> IngestSummary:
    """Ingest the mailboxes under ``path`` with ``workers`` processes; returns the combined summary.

    Args:
        store: an open Neo4j store (the schema applied); used here only for the final bookkeeping.
        path: the maildir root holding one folder per mailbox.
        settings: as for a serial run; the workers connect with the same settings.
        workers: worker processes (at most one per mailbox is used).
        full: ignore stored checkpoints.
        nlp: analyse new messages' text in the workers (one NLP process each).

    Raises:
        ConfigError: the store is the embedded one (it lives in one process).
        StoreUnavailable: a worker found Neo4j gone for longer than the retry limit.
        ConnectorError: a mailbox could not be read; the others were, and a rerun resumes.
    """
    if settings.store is not StoreKind.NEO4J:
        raise ConfigError(
            "--workers", "parallel ingest needs Neo4j (TELLGRAPH_STORE=neo4j): the embedded store is one process"
        )
    started = time.perf_counter()
    root = MaildirConnector(path=path)
    parts = maildir_partitions(path.resolve())
    total = IngestSummary(kind=root.kind, location=root.location)
    if not parts:
        return total
    count = max(1, min(workers, len(parts)))
    logger.info("ingesting %d mailboxes of %s with %d workers", len(parts), root.location, count)
    if nlp:
        logger.warning(
            "text analysis matches mentions against what is already stored, which depends on the order the "
            "workers get there: mentions and topics may differ a little from a serial run (messages, senders "
            "and recipients do not)"
        )
    failures: list[dict[str, Any]] = []
    pids: set[int] = set()
    # spawn, not fork: the parent holds a driver with threads and sockets that must not be copied.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_init_worker,
        # The settings object itself (pickled down a local pipe): its JSON form masks the password.
        initargs=(settings, full, nlp),
    ) as pool:
        skips = _copies_to_skip(dict(pool.map(_keys_of_part, [root.location] * len(parts), parts)))
        logger.info(
            "%d messages are filed in more than one mailbox; each is stored from the first",
            len({key for keys in skips.values() for key in keys}),
        )
        for result in pool.map(_ingest_part, [root.location] * len(parts), parts, [skips[p] for p in parts]):
            if "error" in result:
                failures.append(result)
                logger.error("mailbox %s failed: %s", result["part"], result["reason"])
                continue
            pids.add(int(result["pid"]))
            _merge(total, IngestSummary.model_validate(result["summary"]))
    total.seconds = round(time.perf_counter() - started, 3)
    if failures:
        first = failures[0]
        if first["error"] == "unavailable":
            raise StoreUnavailable(first["uri"], f"{first['reason']} (mailbox {first['part']})")
        names = ", ".join(f["part"] for f in failures)
        raise ConnectorError(
            root.kind,
            f"{len(failures)} of {len(parts)} mailboxes failed ({names}): {first['reason']}; run again to resume",
        )
    _finish(store, root=root, parts=parts, summary=total)
    logger.info(
        "ingested %s in parallel (%d mailboxes, %d worker processes): read %d, new %d, duplicate %d in %.1fs",
        root.location,
        len(parts),
        len(pids),
        total.read,
        total.new,
        total.duplicate,
        total.seconds,
    )
    return total


def iter_partition_sources(store: GraphStore, *, path: Path) -> Iterator[Source]:
    """The per-mailbox sources an interrupted parallel run left (for inspection and tests)."""
    for part in maildir_partitions(path.resolve()):
        location = MaildirConnector(path=path, only=[part]).location
        for node in store.get_nodes(label=NodeLabel.SOURCE, ids=[source_id("maildir", location)]):
            entity = node.as_entity()
            if isinstance(entity, Source):
                yield entity


__all__ = ["ingest_maildir_in_parallel", "iter_partition_sources", "maildir_partitions"]
