"""``make demo``: Neo4j (or the embedded fallback), the bundled demo data, scores, the API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tellgraph.errors import TellgraphError
from tellgraph.settings import Settings, StoreKind

if TYPE_CHECKING:
    from rich.console import Console

logger = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"

# (kind, path relative to demo/, options)
DEMO_SOURCES: list[tuple[str, str, dict[str, str]]] = [
    # People sources first, so that names mentioned in messages resolve to known people.
    ("linkedin", "linkedin/Connections.csv", {"owner_email": "maya.chen@northlight.tv", "owner_name": "Maya Chen"}),
    ("contacts", "contacts/crm-export.csv", {}),
    ("attendees", "attendees", {}),
    ("ics", "calendar", {}),
    ("maildir", "maildir", {}),
    ("slack-export", "slack", {}),
    ("transcript", "transcripts", {"participants": "transcripts/participants.json"}),
    ("maildir", "enron-sample/maildir", {}),
]


def choose_store(*, settings: Settings, console: Console) -> Settings:
    """Start the local Neo4j when it can run here; otherwise fall back to the embedded store and say so."""
    if settings.store is StoreKind.MEMORY:
        console.print("Using the embedded networkx store (TELLGRAPH_STORE=memory).")
        return settings
    from tellgraph.graph.neo4j_server import LocalNeo4j, java_available, maven_available

    if not (java_available() and maven_available()):
        console.print(
            "[yellow]Java 17 and Maven are needed to run Neo4j locally and were not found: "
            "falling back to the embedded networkx store.[/yellow]"
        )
        return settings.model_copy(update={"store": StoreKind.MEMORY})
    try:
        console.print(LocalNeo4j(settings=settings).start().message)
    except TellgraphError as exc:
        console.print(f"[yellow]Neo4j could not start ({exc}): falling back to the embedded networkx store.[/yellow]")
        return settings.model_copy(update={"store": StoreKind.MEMORY})
    return settings


DEMO_NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
"""The demo's story is set on this day (its newest message is from 2026-11-13)."""


def load_demo(
    *, settings: Settings, console: Console, demo_dir: Path = DEMO_DIR, nlp: bool = True, embeddings: bool = False
) -> None:
    """Apply the schema, ingest every demo source, resolve people, derive employers, score, create the goal.

    Args:
        nlp: analyse the messages' text (entities, topics, sentiment, action items).
        embeddings: let entity resolution and goal matching use sentence embeddings (slower to start).
    """
    from tellgraph.extractors.registry import ConnectorOptions, make_connector
    from tellgraph.goals.demo import create_demo_goal
    from tellgraph.graph.factory import open_store
    from tellgraph.ingest.service import IngestRun
    from tellgraph.resolution.companies import derive_employment
    from tellgraph.resolution.matcher import MatchConfig, Matcher
    from tellgraph.resolution.merge import resolve_store
    from tellgraph.scoring.derive import rebuild_knows

    store = open_store(settings=settings)
    try:
        store.apply_schema()
        enricher = None
        if nlp:
            from tellgraph.ingest.enrich import make_enricher

            enricher = make_enricher(store=store, settings=settings)
        for kind, rel_path, raw_options in DEMO_SOURCES:
            path = demo_dir / rel_path
            if not path.exists():
                console.print(f"[yellow]demo source missing, skipped: {path}[/yellow]")
                continue
            options = ConnectorOptions(
                **{k: (demo_dir / v if k in {"participants", "mapping"} else v) for k, v in raw_options.items()}
            )
            connector = make_connector(kind=kind, path=path, options=options, settings=settings)
            summary = IngestRun(store=store, connector=connector, settings=settings, enricher=enricher).run()
            console.print(
                f"  {kind:<13} {rel_path:<28} read {summary.read:>4}  new {summary.new:>4}  "
                f"duplicate {summary.duplicate:>4}  rejected {summary.rejected:>3}"
            )
        resolution = resolve_store(
            store, actor="demo", matcher=Matcher(config=MatchConfig(use_embeddings=embeddings)), now=DEMO_NOW
        )
        console.print(f"  resolved people: {resolution.merges} merged, {resolution.reviews_queued} sent to review")
        entities, edges = derive_employment(store, now=DEMO_NOW)
        store.write_batch(entities=entities, edges=edges, now=DEMO_NOW)
        report = rebuild_knows(store, settings=settings)
        console.print(f"  scored {report.pairs} relationships from {report.communications} communications")
        goal = create_demo_goal(store, demo_dir=demo_dir, now=DEMO_NOW)
        console.print(f"  goal: {goal.goal.name} (id {goal.goal.id}, {len(goal.targets)} targets)")
        store.flush()
    finally:
        store.close()


DEMO_HISTORY_WEEKS = 8
"""Goals are also mapped weekly over the weeks before ``DEMO_NOW``, so their momentum has a history."""


def run_demo_agents(*, settings: Settings, console: Console, now: datetime = DEMO_NOW) -> None:
    """Snapshot every goal weekly before ``now``, then run the agents as of ``now`` so the page has actions to decide.

    Idempotent: snapshots are one per goal and day, actions one per agent, target and week.
    """
    from datetime import timedelta

    from tellgraph.agents.runner import run_agents
    from tellgraph.goals.map import goal_map
    from tellgraph.goals.service import list_goals
    from tellgraph.goals.snapshots import record_snapshot
    from tellgraph.graph.factory import open_store

    store = open_store(settings=settings)
    try:
        # Past maps are only recorded: agents run once, now, so no stale proposals pile up.
        for goal in list_goals(store, limit=100):
            for weeks in range(DEMO_HISTORY_WEEKS, 0, -1):
                past = goal_map(store, goal_id=goal.id, now=now - timedelta(weeks=weeks))
                record_snapshot(store, goal_map=past)
        report = run_agents(store, settings=settings, now=now)
        console.print(f"  agents proposed {report.proposed} actions (approve or reject them on the web page)")
        store.flush()
    finally:
        store.close()


def run_demo(*, settings: Settings, port: int | None, serve: bool, console: Console) -> None:
    """The whole demo, then serve until interrupted."""
    settings = choose_store(settings=settings, console=console)
    console.print(f"Loading the demo data into the {settings.store.value} store...")
    load_demo(settings=settings, console=console)
    run_demo_agents(settings=settings, console=console)
    if settings.store is StoreKind.NEO4J:
        console.print(
            f"Neo4j Browser: http://127.0.0.1:{settings.neo4j_http_port}/browser/  "
            f"(bolt://127.0.0.1:{settings.neo4j_bolt_port}, user {settings.neo4j_user})"
        )
    if serve:
        from tellgraph.api.server import run_server

        run_server(settings=settings, host=None, port=port, console=console)
