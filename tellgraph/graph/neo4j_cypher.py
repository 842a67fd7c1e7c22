"""Cypher for ``Neo4jStore``: parameterised constants and builders.

Builders interpolate only labels and relationship types from the allow-lists in
:mod:`tellgraph.schema.labels`, property names from the domain models (code, not
user input) and bounded integers. Every value travels as a ``$parameter``.
"""

from __future__ import annotations

from functools import cache

from tellgraph.graph.store import MAX_PATH_HOPS
from tellgraph.schema.labels import NodeLabel, RelType, check_label, check_property_name, check_rel_type
from tellgraph.schema.model import ENTITY_TYPES

ALL_LABELS = [label.value for label in NodeLabel]

PING = "RETURN 1 AS ok"

APPLIED_MIGRATIONS = "MATCH (m:SchemaMigration) RETURN m.version AS version"

RECORD_MIGRATION = """
MERGE (m:SchemaMigration {version: $version})
ON CREATE SET m.name = $name, m.applied_at = datetime()
"""

AWAIT_INDEXES = "CALL db.awaitIndexes(300)"

CLEAR = """
MATCH (n) WHERE NOT n:SchemaMigration
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS
"""

RESOLVE_IDENTITIES = """
UNWIND $keys AS key
MATCH (i:Identity {id: key})-[:IDENTIFIES]->(p:Person)
RETURN i.id AS key, p.id AS person_id
"""

INTERACTIONS = """
MATCH (c:Communication)
RETURN c.id AS id, c.timestamp AS timestamp, c.channel AS channel, c.thread_key AS thread_key,
       c.sentiment AS sentiment,
       [(s:Person)-[:SENT]->(c) | s.id] AS senders,
       [(c)-[r:TO|CC|BCC]->(p:Person) | [p.id, type(r)]] AS recipients,
       [(q:Person)-[:PARTICIPATED]->(c) | q.id] AS participants
ORDER BY id
"""

ALL_NODES = """
MATCH (n) WHERE NOT n:SchemaMigration
RETURN [l IN labels(n) WHERE l IN $labels][0] AS label, n.id AS id, properties(n) AS props
"""

ALL_EDGES = """
MATCH (a)-[r]->(b)
RETURN type(r) AS type, a.id AS src, b.id AS dst, properties(r) AS props
"""


@cache
def upsert_entities(label: NodeLabel) -> str:
    """MERGE on id, then apply the entity's merge rules field by field."""
    label = check_label(label)
    entity_type = ENTITY_TYPES[label]
    sets = []
    for name in entity_type.field_names():
        check_property_name(name)
        if name in entity_type.LIST_FIELDS:
            sets.append(
                f"n.{name} = reduce(acc = coalesce(n.{name}, []), x IN coalesce(row.props.{name}, []) "
                f"| CASE WHEN x IN acc THEN acc ELSE acc + x END)"
            )
        elif name == "name" and name in entity_type.KEEP_FIRST:
            # Keep the first name, except that a name which is only an address gives way to a real one.
            sets.append(
                "n.name = CASE WHEN n.name IS NULL OR (n.name CONTAINS '@' "
                "AND NOT coalesce(row.props.name, '@') CONTAINS '@') "
                "THEN coalesce(row.props.name, n.name) ELSE n.name END"
            )
        elif name in entity_type.KEEP_FIRST:
            sets.append(f"n.{name} = coalesce(n.{name}, row.props.{name})")
        else:
            sets.append(f"n.{name} = coalesce(row.props.{name}, n.{name})")
    return (
        "UNWIND $rows AS row\n"
        f"MERGE (n:{label.value} {{id: row.id}})\n"
        "ON CREATE SET n.created_at = $now\n"
        f"SET {', '.join(sets)}\n"
        "RETURN count(n) AS written"
    )


@cache
def upsert_edges(rel_type: RelType, src_label: NodeLabel, dst_label: NodeLabel) -> str:
    """MATCH both ends by id, MERGE the edge, overwrite its props and union its provenance."""
    rel_type, src_label, dst_label = check_rel_type(rel_type), check_label(src_label), check_label(dst_label)
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{src_label.value} {{id: row.src}})\n"
        f"MATCH (b:{dst_label.value} {{id: row.dst}})\n"
        f"MERGE (a)-[r:{rel_type.value}]->(b)\n"
        "ON CREATE SET r.created_at = $now\n"
        "SET r += row.props\n"
        "SET r.provenance = reduce(acc = coalesce(r.provenance, []), x IN row.provenance "
        "| CASE WHEN x IN acc THEN acc ELSE acc + x END)\n"
        "RETURN count(r) AS written"
    )


@cache
def delete_nodes(label: NodeLabel) -> str:
    """Detach-delete nodes by id."""
    label = check_label(label)
    return f"UNWIND $ids AS id MATCH (n:{label.value} {{id: id}}) DETACH DELETE n RETURN count(*) AS removed"


@cache
def remove_props(label: NodeLabel, names: tuple[str, ...]) -> str:
    """REMOVE named properties from one node."""
    label = check_label(label)
    removals = ", ".join(f"n.{check_property_name(name)}" for name in names)
    return f"MATCH (n:{label.value} {{id: $id}}) REMOVE {removals}"


@cache
def get_nodes(label: NodeLabel) -> str:
    """Nodes by id."""
    label = check_label(label)
    return f"UNWIND $ids AS id MATCH (n:{label.value} {{id: id}}) RETURN n.id AS id, properties(n) AS props"


@cache
def existing_ids(label: NodeLabel) -> str:
    """Which ids exist (index-backed)."""
    label = check_label(label)
    return f"UNWIND $ids AS id MATCH (n:{label.value} {{id: id}}) RETURN n.id AS id"


@cache
def find_nodes(label: NodeLabel, prop: str) -> str:
    """Nodes whose scalar property equals a value."""
    label, prop = check_label(label), check_property_name(prop)
    return (
        f"MATCH (n:{label.value}) WHERE n.{prop} = $value "
        "RETURN n.id AS id, properties(n) AS props ORDER BY n.id LIMIT $limit"
    )


@cache
def list_nodes(label: NodeLabel) -> str:
    """Keyset page of nodes ordered by id."""
    label = check_label(label)
    return (
        f"MATCH (n:{label.value}) WHERE $after IS NULL OR n.id > $after "
        "RETURN n.id AS id, properties(n) AS props ORDER BY n.id LIMIT $limit"
    )


@cache
def get_edge(rel_type: RelType, src_label: NodeLabel, dst_label: NodeLabel, undirected: bool) -> str:
    """One edge between two nodes; undirected types match either way round."""
    rel_type, src_label, dst_label = check_rel_type(rel_type), check_label(src_label), check_label(dst_label)
    arrow = "-" if undirected else "->"
    return (
        f"MATCH (a:{src_label.value} {{id: $src}})-[r:{rel_type.value}]{arrow}(b:{dst_label.value} {{id: $dst}}) "
        "RETURN startNode(r).id AS src, endNode(r).id AS dst, properties(r) AS props LIMIT 1"
    )


@cache
def iter_edges(rel_type: RelType) -> str:
    """Every edge of a type in (source, target) order."""
    rel_type = check_rel_type(rel_type)
    return (
        f"MATCH (a)-[r:{rel_type.value}]->(b) RETURN a.id AS src, b.id AS dst, properties(r) AS props ORDER BY src, dst"
    )


@cache
def neighbours(label: NodeLabel, rel_types: tuple[RelType, ...]) -> str:
    """Adjacent nodes over some edge types, strongest first then by id."""
    label = check_label(label)
    types = "|".join(check_rel_type(r).value for r in rel_types)
    return (
        f"MATCH (n:{label.value} {{id: $id}})-[r:{types}]-(m)\n"
        "WITH m, r, coalesce(r.strength, 0.0) AS strength\n"
        "WHERE $min_strength IS NULL OR strength >= $min_strength\n"
        "RETURN [l IN labels(m) WHERE l IN $labels][0] AS label, m.id AS id, properties(m) AS node_props,\n"
        "       type(r) AS type, startNode(r).id AS src, endNode(r).id AS dst, properties(r) AS props\n"
        "ORDER BY strength DESC, id ASC, type ASC LIMIT $limit"
    )


@cache
def degree(label: NodeLabel, rel_types: tuple[RelType, ...]) -> str:
    """Number of edges of some types at a node (served from the node's degree store)."""
    label = check_label(label)
    types = "|".join(check_rel_type(r).value for r in rel_types)
    return f"MATCH (n:{label.value} {{id: $id}}) RETURN COUNT {{ (n)-[:{types}]-() }} AS degree"


@cache
def k_best_paths(rel_type: RelType, max_hops: int) -> str:
    """Bounded enumeration of simple paths between bound ends, best product of strengths first."""
    rel_type = check_rel_type(rel_type)
    if not 1 <= max_hops <= MAX_PATH_HOPS:
        raise ValueError(f"max_hops out of range: {max_hops}")
    return f"""
MATCH (t:Person) WHERE t.id IN $targets
MATCH (s:Person) WHERE s.id IN $sources AND NOT s.id IN $targets
MATCH p = (s)-[:{rel_type.value}*1..{max_hops}]-(t)
WHERE all(r IN relationships(p) WHERE coalesce(r.strength, 0.0) >= $min_strength)
  AND all(x IN nodes(p)[1..-1] WHERE NOT x.id IN $sources AND NOT x.id IN $targets)
  AND all(i IN range(0, size(nodes(p)) - 2) WHERE NOT nodes(p)[i] IN nodes(p)[i + 1..])
WITH p, [x IN nodes(p) | x.id] AS ids,
     reduce(acc = 1.0, r IN relationships(p) | acc * coalesce(r.strength, 0.0)) AS score
ORDER BY round(score, 12) DESC, length(p) ASC, ids ASC
LIMIT $k
RETURN ids, [r IN relationships(p) | properties(r)] AS rels, score
"""


def counts_query() -> str:
    """Node counts per label and edge counts per type, from Neo4j's count store."""
    parts = [
        f"MATCH (n:{label.value}) RETURN 'n' AS kind, '{label.value}' AS name, count(n) AS c"
        for label in NodeLabel
        if label is not NodeLabel.SCHEMA_MIGRATION
    ]
    parts += [
        f"MATCH ()-[r:{rel.value}]->() RETURN 'e' AS kind, '{rel.value}' AS name, count(r) AS c" for rel in RelType
    ]
    return "\nUNION ALL\n".join(parts)
