"""Shared helpers for the benchmarks: machine description, peak memory, a private Neo4j."""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pid_rss_mb(pid: int) -> float | None:
    """Current resident memory of another process (the Neo4j JVM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@contextmanager
def private_neo4j(*, bolt_port: int, http_port: int, heap: str = "2g", pagecache: str = "1g") -> Iterator[Any]:
    """A Neo4j of our own (separate home and ports, shared jar cache), stopped afterwards."""
    from tellgraph.graph.neo4j_server import LocalNeo4j
    from tellgraph.settings import Settings

    settings = Settings(
        cache_dir=Path(f"/tmp/tellgraph-bench-{bolt_port}"),
        neo4j_bolt_port=bolt_port,
        neo4j_http_port=http_port,
        neo4j_uri=f"bolt://127.0.0.1:{bolt_port}",
        neo4j_heap=heap,
        neo4j_pagecache=pagecache,
    )
    server = LocalNeo4j(settings=settings, lib_dir=Settings().neo4j_home / f"lib-{settings.neo4j_version}")
    # Benchmarks clear the database anyway; a server killed mid-run would otherwise spend
    # minutes recovering gigabytes of transaction logs before it answers.
    shutil.rmtree(server.data_dir, ignore_errors=True)
    server.start()
    try:
        yield settings, server
    finally:
        server.stop()


def save(name: str, figures: dict[str, Any]) -> Path:
    """Write figures as JSON under bench/results/ (ignored by git)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **figures}, indent=2, default=str))
    return path


def cpu_seconds(process: Any) -> float:
    """User plus system CPU seconds of a ``psutil.Process`` (0 when there is none or it has gone)."""
    if process is None:
        return 0.0
    try:
        times = process.cpu_times()
    except Exception:  # psutil.Error: the process ended or cannot be read
        return 0.0
    return float(times.user + times.system)
