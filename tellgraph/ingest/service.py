"""Run a connector into a store: batching, dedupe, checkpoints and a summary.

Each batch is written atomically and only then are the checkpoints before it
stored, so a run killed at any point resumes without losing or repeating a
record. Communications are keyed by content identity: ingesting the same data
again finds every key already stored and writes nothing.

When the store goes away mid-run (Neo4j stopped or restarting) each store call
is retried with bounded exponential backoff (:class:`~tellgraph.ingest.retry.StoreRetry`,
``TELLGRAPH_STORE_RETRY_*``); a batch is retried as a whole, which is safe
because its writes are idempotent. If the outage outlasts the limit the run
stops with :class:`~tellgraph.errors.StoreUnavailable`, and the stored
checkpoints cover only what was stored: a rerun resumes from there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field

from tellgraph.errors import ConfigError
from tellgraph.extractors.base import Connector
from tellgraph.graph.canonical import merge_entity_props
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.crypto import BodyCipher
from tellgraph.ingest.mapping import (
    GraphWrite,
    IdentityMap,
    activity_write,
    attendance_write,
    contact_write,
    record_keys,
)
from tellgraph.ingest.retry import StoreRetry
from tellgraph.schema.labels import NodeLabel
from tellgraph.schema.model import Activity, Edge, Entity, Source, stable_id, utcnow
from tellgraph.schema.records import AttendanceRecord, CheckpointMark, ContactRecord, Rejected
from tellgraph.settings import Settings

logger = logging.getLogger(__name__)

MAX_EXAMPLES = 20


class RejectedExample(BaseModel):
    """One rejected record, for the summary."""

    source_key: str
    reason: str


class IngestSummary(BaseModel):
    """What an ingest run did: ``read = new + duplicate + rejected`` (+ contacts and events)."""

    kind: str
    location: str
    read: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    contacts: int = 0
    events: int = 0
    batches: int = 0
    resumed: bool = False
    seconds: float = 0.0
    store_retries: int = 0
    store_wait_seconds: float = 0.0
    rejected_reasons: dict[str, int] = Field(default_factory=dict)
    rejected_examples: list[RejectedExample] = Field(default_factory=list)


ProgressCallback = Callable[[int], None]


class Enricher(Protocol):
    """Turns new activities into extra graph writes (mentions, topics, sentiment, action items).

    Called once per batch with only the activities that are new, so text is analysed
    once per distinct communication however many copies were read.
    """

    def enrich(self, activities: Sequence[Activity], *, identities: IdentityMap, now: datetime) -> GraphWrite:
        """Entities and edges to add for these activities (idempotent: same input, same output)."""
        ...


_Writable = Activity | ContactRecord | AttendanceRecord


@dataclass
class _Batch:
    """What one written batch adds to the summary (applied only once the batch is stored)."""

    new: int = 0
    duplicate: int = 0
    contacts: int = 0
    events: int = 0
    written: bool = False


def source_id(kind: str, location: str) -> str:
    """The id of the ``Source`` node that keeps a source's checkpoints."""
    return stable_id("s", kind, location)


def _reason_class(reason: str) -> str:
    """Group reasons by their first clause so the summary stays short."""
    return reason.split(":", 1)[0].strip()[:80] or "unknown"


def compact(entities: Iterable[Entity]) -> list[Entity]:
    """Merge repeated entities (the same person in many messages) into one write each."""
    merged: dict[tuple[str, str], Entity] = {}
    for entity in entities:
        key = (entity.LABEL.value, entity.id)
        previous = merged.get(key)
        if previous is None:
            merged[key] = entity
            continue
        props = merge_entity_props(type(entity), previous.to_props(), entity.to_props())
        merged[key] = type(entity).from_props(entity.id, props)
    return list(merged.values())


def _compact_edges(edges: Iterable[Edge]) -> list[Edge]:
    unique: dict[tuple[str, str, str], Edge] = {}
    for edge in edges:
        unique.setdefault(edge.key, edge)
    return list(unique.values())


class IngestRun:
    """One run of one connector into one store.

    Args:
        store: where to write.
        connector: what to read.
        settings: batch size, body storage and encryption.
        full: ignore stored checkpoints and re-read everything (still idempotent).
        enricher: optional text analysis of new activities (NLP), run inside each batch.
        retry: how to wait out store outages; by default from ``settings``.
    """

    def __init__(
        self,
        *,
        store: GraphStore,
        connector: Connector,
        settings: Settings,
        full: bool = False,
        enricher: Enricher | None = None,
        retry: StoreRetry | None = None,
    ) -> None:
        self._store = store
        self._retry = retry or StoreRetry.from_settings(settings)
        self._enricher = enricher
        self._connector = connector
        self._settings = settings
        self._full = full
        self._cipher: BodyCipher | None = None
        if settings.store_raw_bodies:
            if settings.body_key is None:
                raise ConfigError("TELLGRAPH_BODY_KEY", "is required when TELLGRAPH_STORE_RAW_BODIES is set")
            self._cipher = BodyCipher(key=settings.body_key.get_secret_value())
        self.summary = IngestSummary(kind=connector.kind, location=connector.location)
        self._source_id = source_id(connector.kind, connector.location)
        self._cursors: dict[str, str] = {}

    def _load_cursors(self) -> dict[str, str]:
        nodes = self._store.get_nodes(label=NodeLabel.SOURCE, ids=[self._source_id])
        if not nodes:
            return {}
        source = nodes[0].as_entity()
        assert isinstance(source, Source)
        return source.cursor_map()

    def _save_source(
        self, *, now: datetime, summary: str | None = None, cursors: dict[str, str] | None = None
    ) -> Source:
        return Source(
            id=self._source_id,
            kind=self._connector.kind,
            location=self._connector.location,
            cursors=Source.encode_cursors(self._cursors if cursors is None else cursors),
            last_run_at=now if summary is not None else None,
            last_summary=summary,
        )

    def run(self, *, progress: ProgressCallback | None = None) -> IngestSummary:
        """Read the whole source and write it; returns the summary."""
        started = time.perf_counter()
        self._cursors = {} if self._full else self._retry.call("read the checkpoints", self._load_cursors)
        self.summary.resumed = bool(self._cursors)
        if self._cursors:
            logger.info(
                "resuming %s %s from %d checkpoint(s)",
                self._connector.kind,
                self._connector.location,
                len(self._cursors),
            )
        pending: list[_Writable] = []
        pending_marks: list[CheckpointMark] = []
        batch_size = self._settings.batch_size
        # One writer thread: batch N is written (store round trips) while this thread parses
        # batch N+1. Batches still go out one at a time and in order, so checkpoints advance
        # exactly as in a serial run; waiting for the previous batch before handing over the
        # next keeps memory bounded and surfaces a failed write at once. With NLP the batch is
        # written here instead: spaCy's worker processes must be started from the main thread,
        # and the analysis, not the parsing, is then what takes the time.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
            in_flight: Future[None] | None = None

            def hand_over(records: list[_Writable], marks: list[CheckpointMark]) -> None:
                nonlocal in_flight
                if in_flight is not None:
                    in_flight.result()
                if self._enricher is None:
                    in_flight = writer.submit(self._write, records, marks)
                else:
                    self._write(records, marks)

            for record in self._connector.read(checkpoints=dict(self._cursors)):
                if isinstance(record, CheckpointMark):
                    pending_marks.append(record)
                    if len(pending) >= batch_size // 4 or not pending:
                        hand_over(pending, pending_marks)
                        pending, pending_marks = [], []
                    continue
                self.summary.read += 1
                if progress is not None:
                    progress(1)
                if isinstance(record, Rejected):
                    self._reject(record)
                    continue
                pending.append(record)
                if len(pending) >= batch_size:
                    hand_over(pending, pending_marks)
                    pending, pending_marks = [], []
            hand_over(pending, pending_marks)
            if in_flight is not None:
                in_flight.result()
        if not getattr(self._connector, "incremental", True):
            # Sources whose cursors are positions (a maildir's sorted paths) resume only within an
            # interrupted run; a finished run forgets them so files added anywhere are found next
            # time, and content identity keeps the re-read idempotent.
            self._cursors = {}
        self.summary.seconds = round(time.perf_counter() - started, 3)
        self._note_retries()
        now = utcnow()
        finished = self._save_source(now=now, summary=self.summary.model_dump_json(exclude={"rejected_examples"}))

        def save_finished() -> None:
            self._store.upsert_entities(entities=[finished])
            self._store.flush()

        self._retry.call("record the finished run", save_finished)
        self._note_retries()
        logger.info(
            "ingested %s %s: read %d, new %d, duplicate %d, rejected %d in %.1fs",
            self.summary.kind,
            self.summary.location,
            self.summary.read,
            self.summary.new,
            self.summary.duplicate,
            self.summary.rejected,
            self.summary.seconds,
        )
        return self.summary

    def _note_retries(self) -> None:
        self.summary.store_retries = self._retry.retries
        self.summary.store_wait_seconds = round(self._retry.waited, 3)

    def _reject(self, record: Rejected) -> None:
        self.summary.rejected += 1
        reason = _reason_class(record.reason)
        self.summary.rejected_reasons[reason] = self.summary.rejected_reasons.get(reason, 0) + 1
        if len(self.summary.rejected_examples) < MAX_EXAMPLES:
            self.summary.rejected_examples.append(RejectedExample(source_key=record.source_key, reason=record.reason))
        logger.debug("rejected %s: %s", record.source_key, record.reason)

    def _write(self, records: list[_Writable], marks: list[CheckpointMark]) -> None:
        if not records and not marks:
            return
        what = f"write batch {self.summary.batches + 1} ({len(records)} records)" if records else "store a checkpoint"
        batch = self._retry.call(what, lambda: self._write_once(records, marks))
        # Counted only now, so a batch retried after an outage is counted once.
        self.summary.new += batch.new
        self.summary.duplicate += batch.duplicate
        self.summary.contacts += batch.contacts
        self.summary.events += batch.events
        self.summary.batches += int(batch.written)
        for mark in marks:
            self._cursors[mark.stream] = mark.cursor

    def _write_once(self, records: list[_Writable], marks: list[CheckpointMark]) -> _Batch:
        now = utcnow()
        batch = _Batch()
        write = GraphWrite()
        activities = [r for r in records if isinstance(r, Activity)]
        # Dedupe inside the batch first, then against the store, by content identity.
        unique: dict[str, Activity] = {}
        for activity in activities:
            if activity.key in unique:
                batch.duplicate += 1
            else:
                unique[activity.key] = activity
        known = self._store.existing_ids(label=NodeLabel.COMMUNICATION, ids=list(unique)) if unique else set()
        batch.duplicate += len(known)
        fresh = [a for key, a in unique.items() if key not in known]
        others = [r for r in records if not isinstance(r, Activity)]
        to_resolve = record_keys([*fresh, *others])
        identities = IdentityMap(self._store.resolve_identities(keys=to_resolve) if to_resolve else {})
        for activity in fresh:
            body = self._cipher.encrypt(activity.text) if self._cipher and activity.text else None
            write.extend(
                activity_write(
                    activity,
                    identities=identities,
                    now=now,
                    store_previews=self._settings.store_previews,
                    encrypted_body=body,
                )
            )
        if self._enricher is not None and fresh:
            write.extend(self._enricher.enrich(fresh, identities=identities, now=now))
        batch.new = len(fresh)
        for record in others:
            if isinstance(record, ContactRecord):
                write.extend(contact_write(record, identities=identities, now=now))
                batch.contacts += 1
            elif isinstance(record, AttendanceRecord):
                write.extend(attendance_write(record, identities=identities, now=now))
                batch.events += 1
        entities = compact(write.entities)
        if marks:
            # The cursor travels in the same atomic batch as the records before it.
            cursors = {**self._cursors, **{mark.stream: mark.cursor for mark in marks}}
            entities.append(self._save_source(now=now, cursors=cursors))
        if entities or write.edges:
            self._store.write_batch(entities=entities, edges=_compact_edges(write.edges), now=now)
            batch.written = True
        if marks:
            self._store.flush()
        return batch
