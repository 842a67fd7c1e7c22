"""Neo4j Browser assets: the GraSS style, the saved queries and a Browser guide made from them.

The queries live in ``browser/queries.cypher`` (also copied to ``docs/neo4j-browser/``),
each with a ``// name:``, ``// description:`` and ``// param NAME: VALUE`` header.
:func:`render_guide` turns them into the HTML that ``:play <url>`` shows in
Neo4j Browser: one slide per query, each with a runnable block that sets the
parameters (``:params {...}``) and one with the query, and a first slide that
applies the style.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tellgraph.errors import InvalidInput

ASSETS = Path(__file__).with_name("browser")
STYLE_FILE = ASSETS / "tellgraph.grass"
QUERIES_FILE = ASSETS / "queries.cypher"

_PARAM = re.compile(r"^param\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)$")


@dataclass(frozen=True)
class SavedQuery:
    """One saved query: a title, what it shows, its parameters (Cypher literals) and the Cypher."""

    name: str
    description: str
    cypher: str
    params: dict[str, str] = field(default_factory=dict)

    def params_command(self) -> str | None:
        """The Neo4j Browser command that sets this query's parameters (one command, one frame)."""
        if not self.params:
            return None
        return ":params {" + ", ".join(f"{key}: {value}" for key, value in self.params.items()) + "}"


def parse_queries(text: str) -> list[SavedQuery]:
    """The queries of a ``queries.cypher`` file, in order.

    Raises:
        InvalidInput: a query without a name or without Cypher, or a malformed header line.
    """
    blocks = re.split(r"(?m)^(?=// name:)", text)
    queries: list[SavedQuery] = []
    for block in blocks[1:]:
        name = ""
        description: list[str] = []
        params: dict[str, str] = {}
        body: list[str] = []
        for line in block.splitlines():
            if not body and line.startswith("//"):
                comment = line[2:].strip()
                if comment.startswith("name:"):
                    name = comment[len("name:") :].strip()
                elif comment.startswith("description:"):
                    description.append(comment[len("description:") :].strip())
                elif comment.startswith("param "):
                    match = _PARAM.match(comment)
                    if not match:
                        raise InvalidInput("queries.cypher", f"malformed parameter line {line!r}")
                    params[match.group(1)] = match.group(2).strip()
                elif comment:
                    description.append(comment)
            elif line.strip() or body:
                body.append(line)
        cypher = "\n".join(body).strip().removesuffix(";").strip()
        if not name or not cypher:
            raise InvalidInput("queries.cypher", f"every query needs a name and Cypher (near {name or block[:40]!r})")
        queries.append(SavedQuery(name=name, description=" ".join(description), cypher=cypher, params=params))
    return queries


@cache
def saved_queries() -> tuple[SavedQuery, ...]:
    """The shipped queries."""
    return tuple(parse_queries(QUERIES_FILE.read_text(encoding="utf-8")))


def style_text() -> str:
    """The shipped GraSS style sheet."""
    return STYLE_FILE.read_text(encoding="utf-8")


def render_guide(*, base_url: str) -> str:
    """The Browser guide HTML; ``base_url`` is where the API serves it (for the style link)."""
    base = base_url.rstrip("/")
    style_url = f"{base}/browser-guide/tellgraph.grass"
    esc = html.escape
    slides = [
        f"""<slide class="row-fluid">
  <div class="col-sm-12">
    <h3>tellgraph in Neo4j Browser</h3>
    <p>Captions, colours and sizes for people, companies, goals and the rest of the graph. Apply them with
    <a exec-topic="style {esc(style_url)}">:style {esc(style_url)}</a> (or run it in the editor).</p>
    <pre class="runnable">:style {esc(style_url)}</pre>
    <p>Then step through the saved queries on the next slides: click a block to copy it into the editor and
    run it (Ctrl+Enter), the parameters first; change a parameter if you like.</p>
    <ol>{"".join(f"<li>{esc(q.name)}</li>" for q in saved_queries())}</ol>
  </div>
</slide>"""
    ]
    for query in saved_queries():
        command = query.params_command()
        params = f'<p>Parameters:</p>\n    <pre class="runnable params">{esc(command)}</pre>' if command else ""
        slides.append(
            f"""<slide class="row-fluid">
  <div class="col-sm-12">
    <h3>{esc(query.name)}</h3>
    <p>{esc(query.description)}</p>
    {params}
    <pre class="runnable pre-scrollable query">{esc(query.cypher)}</pre>
  </div>
</slide>"""
        )
    return (
        '<article class="guide">\n<carousel class="deck container-fluid">\n'
        + "\n".join(slides)
        + "\n</carousel>\n</article>\n"
    )
