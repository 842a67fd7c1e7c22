"""Export the GraphQL SDL: ``python -m tellgraph.api.export_schema [--check] [PATH]``.

Writes ``schema.graphql`` at the repository root by default. ``--check`` writes
nothing and exits 1 when the file differs from the code's schema (for CI and
for a test that catches unintended schema changes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tellgraph.api.schema import build_schema
from tellgraph.settings import Settings

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"


def schema_sdl() -> str:
    """The schema in SDL, exactly as ``str(schema)`` prints it, with a final newline."""
    # Limits and introspection settings do not change the SDL; defaults make it reproducible.
    return str(build_schema(settings=Settings(api_introspection=True))) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write or check the SDL file; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file is not up to date")
    args = parser.parse_args(argv)
    sdl = schema_sdl()
    path: Path = args.path
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != sdl:
            print(f"{path} is out of date: run python -m tellgraph.api.export_schema", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(sdl, encoding="utf-8")
    print(f"wrote {path} ({len(sdl.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
