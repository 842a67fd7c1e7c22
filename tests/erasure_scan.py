"""Test-only helpers that look everywhere for an erased person's name and addresses.

``neo4j_hits`` reads every property of every node and relationship with raw Cypher (whatever
its label or type, so nothing outside the store's allow-lists escapes the scan) and asks both
full-text indexes; ``text_hits`` searches any text (a snapshot file, a log) case-insensitively,
with any whitespace between a name's words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import neo4j

from tellgraph.settings import Settings


def pattern(terms: Iterable[str]) -> re.Pattern[str]:
    """Any term, case-insensitively, whitespace-tolerant (also inside JSON, where a newline is ``\\n``)."""
    parts = [r"(?:\s|\\n|\\t)+".join(re.escape(w) for w in term.split()) for term in terms if term.strip()]
    return re.compile("|".join(parts), re.IGNORECASE)


def text_hits(text: str, terms: Iterable[str], *, context: int = 80) -> list[str]:
    """Each place in ``text`` where a term occurs, with some context."""
    return [text[max(0, m.start() - context) : m.end() + context] for m in pattern(terms).finditer(text)]


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def neo4j_hits(settings: Settings, terms: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """(kind, label or type, id, property) of every node or relationship property that names a term,
    plus ``("index", name, id, "")`` for every full-text index hit on a term as a phrase."""
    terms = list(terms)
    found = pattern(terms)
    hits: list[tuple[str, str, str, str]] = []
    driver = neo4j.GraphDatabase.driver(
        settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value())
    )
    try:
        with driver.session(database=settings.neo4j_database) as session:
            for record in session.run("MATCH (n) RETURN labels(n) AS labels, n.id AS id, properties(n) AS props"):
                for key, value in record["props"].items():
                    if key != "embedding" and found.search(_dump(value)):
                        hits.append(("node", ":".join(record["labels"]), str(record["id"]), key))
            for record in session.run(
                "MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id + '->' + b.id AS id, properties(r) AS props"
            ):
                for key, value in record["props"].items():
                    if found.search(_dump(value)):
                        hits.append(("edge", record["type"], str(record["id"]), key))
            for index in ("entity_names", "communication_text"):
                for term in terms:
                    phrase = '"' + " ".join(term.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'
                    for record in session.run(
                        "CALL db.index.fulltext.queryNodes($index, $phrase) YIELD node RETURN node.id AS id",
                        {"index": index, "phrase": phrase},
                    ):
                        hits.append(("index", index, str(record["id"]), term))
    finally:
        driver.close()
    return hits
