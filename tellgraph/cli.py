"""The ``tellgraph`` command line.

Heavy libraries (the Neo4j driver, spaCy, sentence-transformers) are imported
inside the commands that need them so that ``tellgraph --help`` stays instant.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tellgraph.errors import InvalidInput, TellgraphError
from tellgraph.settings import Settings, StoreKind, get_settings

if TYPE_CHECKING:
    from tellgraph.ingest.service import IngestRun, IngestSummary

if TYPE_CHECKING:
    from tellgraph.ingest.service import IngestRun, IngestSummary

app = typer.Typer(help="tellgraph: a relationship-intelligence knowledge graph.", no_args_is_help=True)
neo4j_app = typer.Typer(help="Run a local Neo4j 5.26 Community (provisioned from Maven Central).", no_args_is_help=True)
schema_app = typer.Typer(help="Constraints, indexes and migrations.", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(schema_app, name="schema")

console = Console(stderr=True)
out = Console()
logger = logging.getLogger("tellgraph")

StoreOption = Annotated[
    StoreKind | None, typer.Option("--store", help="neo4j or memory (default: TELLGRAPH_STORE or neo4j).")
]


def _settings(store: StoreKind | None = None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"store": store}) if store else settings


def _fail(exc: TellgraphError) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(code=1)


@app.callback()
def main_callback(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    """Configure logging for every command."""
    from tellgraph.logging_setup import configure_logging

    configure_logging(verbose=verbose)


# -- neo4j ----------------------------------------------------------------------
@neo4j_app.command("start")
def neo4j_start() -> None:
    """Provision (first time) and start Neo4j on 127.0.0.1; waits until Bolt answers."""
    from tellgraph.graph.neo4j_server import LocalNeo4j

    try:
        result = LocalNeo4j(settings=get_settings()).start()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    console.print(result.message)


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j (no-op when it is not running)."""
    from tellgraph.graph.neo4j_server import LocalNeo4j

    try:
        stopped = LocalNeo4j(settings=get_settings()).stop()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    console.print("Neo4j stopped." if stopped else "Neo4j was not running.")


@neo4j_app.command("status")
def neo4j_status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Whether the local Neo4j is running, and where."""
    from tellgraph.graph.neo4j_server import LocalNeo4j

    status = LocalNeo4j(settings=get_settings()).status()
    if as_json:
        out.print_json(json.dumps(status.to_dict(), default=str))
    else:
        for key, value in status.to_dict().items():
            out.print(f"{key:>14}: {value}")
    raise typer.Exit(code=0 if status.running else 3)


@neo4j_app.command("import")
def neo4j_import(
    nodes: Annotated[list[str], typer.Option("--nodes", help="Label=file.csv (repeatable).")],
    relationships: Annotated[
        list[str] | None, typer.Option("--relationships", help="TYPE=file.csv (repeatable).")
    ] = None,
    database: Annotated[str, typer.Option(help="Database to create.")] = "neo4j",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Delete that database's files first.")] = False,
    multiline: Annotated[bool, typer.Option("--multiline-fields", help="Some values span lines.")] = False,
    max_off_heap_memory: Annotated[str | None, typer.Option(help="Importer cache cap, e.g. 4g or 50%.")] = None,
) -> None:
    """Bulk-load CSVs (in tellgraph.graph.neo4j_bulk's shape) into the STOPPED local Neo4j, offline.

    For first loads of millions of records; then `tellgraph neo4j start` and `tellgraph schema apply`.
    """
    from tellgraph.graph.neo4j_bulk import bulk_import_args
    from tellgraph.graph.neo4j_server import LocalNeo4j

    try:
        args = bulk_import_args(nodes=nodes, relationships=relationships or [], multiline=multiline)
        result = LocalNeo4j(settings=get_settings()).import_csv(
            args=args, database=database, overwrite=overwrite, max_off_heap_memory=max_off_heap_memory
        )
    except TellgraphError as exc:
        raise _fail(exc) from exc
    console.print(result.message)


# -- schema ---------------------------------------------------------------------
@schema_app.command("apply")
def schema_apply(store: StoreOption = None) -> None:
    """Create constraints and indexes and run pending migrations (idempotent)."""
    from tellgraph.graph.factory import open_store

    try:
        graph = open_store(settings=_settings(store))
        try:
            report = graph.apply_schema()
        finally:
            graph.close()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    applied = ", ".join(map(str, report.applied)) or "none (already up to date)"
    console.print(
        f"Schema version {report.version}; migrations applied: {applied}; {report.statements} statements checked."
    )


# -- ingest ---------------------------------------------------------------------
@app.command("ingest")
def ingest(
    kind: Annotated[
        str,
        typer.Argument(
            help="maildir, mbox, gmail, slack, slack-export, linkedin, ics, transcript, contacts or attendees."
        ),
    ],
    path: Annotated[
        Path | None, typer.Argument(help="File or folder to read (not needed for gmail and slack).")
    ] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Ignore checkpoints and re-read everything.")] = False,
    nlp: Annotated[
        bool, typer.Option("--nlp/--no-nlp", help="Analyse new messages' text (entities, topics, sentiment, actions).")
    ] = True,
    owner_email: Annotated[str | None, typer.Option(help="linkedin: the account owner's email.")] = None,
    owner_name: Annotated[str | None, typer.Option(help="linkedin: the account owner's name.")] = None,
    mapping: Annotated[Path | None, typer.Option(help="contacts: JSON column mapping.")] = None,
    event_name: Annotated[str | None, typer.Option(help="attendees: the event's name.")] = None,
    event_date: Annotated[str | None, typer.Option(help="attendees: the event's date (YYYY-MM-DD).")] = None,
    participants: Annotated[Path | None, typer.Option(help="transcript: JSON map of speaker name to email.")] = None,
    workspace: Annotated[str | None, typer.Option(help="slack: the workspace name.")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="slack: channel ids to read (default all).")] = None,
    label: Annotated[list[str] | None, typer.Option(help="gmail: label ids to read.")] = None,
    query: Annotated[str | None, typer.Option(help="gmail: a search query.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="maildir: ingest the mailboxes (top-level folders) with N processes (Neo4j).")
    ] = 1,
) -> None:
    """Read a source into the graph; prints read / new / duplicate / rejected."""
    from tellgraph.extractors.registry import ConnectorOptions, make_connector
    from tellgraph.graph.factory import open_store
    from tellgraph.ingest.service import IngestRun

    settings = _settings(store)
    try:
        options = ConnectorOptions(
            owner_email=owner_email,
            owner_name=owner_name,
            mapping=mapping,
            event_name=event_name,
            event_date=date.fromisoformat(event_date) if event_date else None,
            participants=participants,
            workspace=workspace,
            channels=channel,
            label=label,
            query=query,
        )
    except ValueError as exc:
        console.print(f"[red]error:[/red] invalid option: {exc}")
        raise typer.Exit(code=2) from exc
    try:
        if workers > 1 and kind != "maildir":
            raise InvalidInput("--workers", "only a maildir is split between workers (one mailbox per task)")
        connector = make_connector(kind=kind, path=path, options=options, settings=settings)
        graph = open_store(settings=settings)
        try:
            graph.apply_schema()
            if workers > 1 and path is not None:
                from tellgraph.ingest.parallel import ingest_maildir_in_parallel

                summary = ingest_maildir_in_parallel(
                    store=graph, path=path, settings=settings, workers=workers, full=full, nlp=nlp
                )
            else:
                enricher = None
                if nlp:
                    from tellgraph.ingest.enrich import make_enricher

                    enricher = make_enricher(store=graph, settings=settings)
                run = IngestRun(store=graph, connector=connector, settings=settings, full=full, enricher=enricher)
                summary = _run_with_progress(run, quiet=as_json)
        finally:
            graph.close()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    if as_json:
        out.print_json(summary.model_dump_json())
        return
    out.print(
        f"{summary.kind} {summary.location}: read {summary.read}, new {summary.new}, "
        f"duplicate {summary.duplicate}, rejected {summary.rejected}"
        + (f", contacts {summary.contacts}" if summary.contacts else "")
        + (f", events {summary.events}" if summary.events else "")
        + f" in {summary.seconds:.1f}s"
    )
    for reason, count in sorted(summary.rejected_reasons.items(), key=lambda item: -item[1]):
        out.print(f"  rejected {count:>6}: {reason}")


def _run_with_progress(run: IngestRun, *, quiet: bool) -> IngestSummary:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    if quiet or not console.is_terminal:
        return run.run()
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"ingest {run.summary.kind}", total=None)
        return run.run(progress=lambda n: progress.advance(task, n))


# -- score ----------------------------------------------------------------------
@app.command("score")
def score(store: StoreOption = None) -> None:
    """Derive employment from email domains, then recompute KNOWS edges, scores and inferred ties."""
    from tellgraph.graph.factory import open_store
    from tellgraph.resolution.companies import derive_employment
    from tellgraph.schema.model import utcnow
    from tellgraph.scoring.derive import rebuild_knows

    settings = _settings(store)
    try:
        graph = open_store(settings=settings)
        try:
            now = utcnow()
            entities, edges = derive_employment(graph, now=now)
            graph.write_batch(entities=entities, edges=edges, now=now)
            report = rebuild_knows(graph, settings=settings)
        finally:
            graph.close()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    console.print(
        f"Employment: {len(edges)} WORKS_AT edges. Scored {report.pairs} relationships from "
        f"{report.communications} communications in {report.seconds:.1f}s."
    )


@app.command("resolve")
def resolve(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    actor: Annotated[str, typer.Option(help="Who is recorded in the audit log.")] = "resolver",
) -> None:
    """Merge people who are certainly the same; queue uncertain pairs for review (audited, reversible)."""
    from tellgraph.graph.factory import open_store
    from tellgraph.resolution.merge import resolve_store

    try:
        graph = open_store(settings=_settings(store))
        try:
            report = resolve_store(graph, actor=actor)
        finally:
            graph.close()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    if as_json:
        out.print_json(report.model_dump_json())
        return
    out.print(
        f"{report.people} people, {report.candidate_pairs} candidate pairs: {report.merges} merged, "
        f"{report.reviews_queued} queued for review in {report.seconds:.1f}s."
    )
    if report.rescore_needed:
        out.print("Run `tellgraph score` to rescore the merged relationships.")


agents_app = typer.Typer(help="Agents that propose actions for a person to approve.", no_args_is_help=True)
app.add_typer(agents_app, name="agents")


@agents_app.command("run")
def agents_run(
    store: StoreOption = None,
    agent: Annotated[
        list[str] | None, typer.Option(help="relationship, coordination, goal, research or strategy (default all).")
    ] = None,
    feed: Annotated[list[str] | None, typer.Option(help="research: RSS/Atom feed URLs or files.")] = None,
    page: Annotated[list[str] | None, typer.Option(help="research: announcement page URLs or files.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run the agents once; every proposal waits for approval."""
    from tellgraph.agents.base import AgentConfig
    from tellgraph.agents.runner import run_agents
    from tellgraph.graph.factory import open_store
    from tellgraph.schema.model import utcnow

    settings = _settings(store)
    try:
        graph = open_store(settings=settings)
        try:
            report = run_agents(
                graph,
                settings=settings,
                now=utcnow(),
                agents=agent or None,
                config=AgentConfig(feeds=feed or [], pages=page or []),
            )
        finally:
            graph.close()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    if as_json:
        out.print_json(report.model_dump_json())
        return
    out.print(f"{report.proposed} actions proposed; approve them in the API (suggestedActions).")


@app.command("stats")
def stats(store: StoreOption = None) -> None:
    """Node and edge counts."""
    from tellgraph.graph.factory import open_store

    try:
        graph = open_store(settings=_settings(store))
        try:
            counts = graph.counts()
        finally:
            graph.close()
    except TellgraphError as exc:
        raise _fail(exc) from exc
    out.print_json(counts.model_dump_json())


# -- export ---------------------------------------------------------------------
@app.command("export")
def export(
    kind: Annotated[str, typer.Argument(help="people or relationships.")],
    csv_format: Annotated[bool, typer.Option("--csv", help="CSV (the only format, and the default).")] = True,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (created 0600); default stdout.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Export people or relationships as CSV; cells a spreadsheet would run as formulas start with '."""
    import os

    from tellgraph.graph.factory import open_store
    from tellgraph.services.export import ExportKind, export_csv

    try:
        try:
            chosen = ExportKind(kind)
        except ValueError:
            raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(k.value for k in ExportKind)}") from None
        graph = open_store(settings=_settings(store))
        try:
            if output is None:
                rows = export_csv(graph, kind=chosen, out=sys.stdout)
            else:
                # Exports hold personal data: readable by the owner only.
                fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with open(fd, "w", encoding="utf-8", newline="") as handle:
                    rows = export_csv(graph, kind=chosen, out=handle)
        finally:
            graph.close()
    except (TellgraphError, OSError) as exc:
        if isinstance(exc, OSError):
            console.print(f"[red]error:[/red] cannot write {output}: {exc.strerror or exc}")
            raise typer.Exit(code=1) from exc
        raise _fail(exc) from exc
    console.print(f"exported {rows} {chosen.value}" + (f" to {output}" if output else ""))


# -- serve ----------------------------------------------------------------------
@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    store: StoreOption = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """Serve GraphQL at /graphql and health at /healthz."""
    from tellgraph.api.server import run_server

    settings = _settings(store)
    try:
        run_server(settings=settings, host=host, port=port, workers=workers, console=console)
    except TellgraphError as exc:
        raise _fail(exc) from exc


@app.command("demo")
def demo(
    port: Annotated[int | None, typer.Option(help="API port (default 8000).")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load the demo and exit.")] = False,
) -> None:
    """Start Neo4j (or fall back to the embedded store), load the demo data, score, serve."""
    from tellgraph.demo import run_demo

    try:
        run_demo(settings=get_settings(), port=port, serve=not no_serve, console=console)
    except TellgraphError as exc:
        raise _fail(exc) from exc


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
