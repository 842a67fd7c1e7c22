"""Cypher for ``Neo4jStore``: parameterised constants and builders.

Builders interpolate only labels and relationship types from the allow-lists in
:mod:`tellgraph.schema.labels`, property names that pass ``check_property_name``
(the domain models' fields and edge property keys) and bounded integers. Every
value travels as a ``$parameter``.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache
from typing import get_args

from tellgraph.graph.queries import SCRUB_SKIPPED_EDGE_TYPES
from tellgraph.graph.store import MAX_PATH_HOPS
from tellgraph.schema.labels import NodeLabel, RelType, check_label, check_property_name, check_rel_type
from tellgraph.schema.model import ENTITY_TYPES

ALL_LABELS = [label.value for label in NodeLabel]


def wire_props(var: str, only: str | None = None) -> str:
    """``properties(var)`` in a form that is cheap to read: ``[[[key, value]...], [[key, seconds, nanos]...]]``.

    Zoned datetimes travel as two integers because the Python driver builds each one through
    pytz and its own temporal types (~40 us apiece, most of a warm-path request's decoding: 25
    paths of three ties carry 150). ``Neo4jStore`` turns the pairs back into the same UTC
    datetimes ``to_native()`` gives. ``only`` is a condition on ``k`` that limits the keys.
    ``var`` is one of the query's own variable names, never input.
    """
    keep = f"({only}) AND " if only else ""
    zoned = f"{var}[k] IS :: ZONED DATETIME"
    return (
        f"[[k IN keys({var}) WHERE {keep}NOT ({zoned}) | [k, {var}[k]]], "
        f"[k IN keys({var}) WHERE {keep}{zoned} | [k, {var}[k].epochSeconds, {var}[k].nanosecond]]]"
    )


PING = "RETURN 1 AS ok"

APPLIED_MIGRATIONS = "MATCH (m:SchemaMigration) RETURN m.version AS version"

RECORD_MIGRATION = """
MERGE (m:SchemaMigration {version: $version})
ON CREATE SET m.name = $name, m.applied_at = datetime()
"""

AWAIT_INDEXES = "CALL db.awaitIndexes(300)"

INDEXES_NOT_ONLINE = """
SHOW INDEXES YIELD name, state, populationPercent WHERE state <> 'ONLINE'
RETURN name, state, populationPercent AS progress ORDER BY name
"""

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

ALL_NODES = f"""
MATCH (n) WHERE NOT n:SchemaMigration
RETURN [l IN labels(n) WHERE l IN $labels][0] AS label, n.id AS id, {wire_props("n")} AS props
"""

ALL_EDGES = f"""
MATCH (a)-[r]->(b)
RETURN type(r) AS type, a.id AS src, b.id AS dst, {wire_props("r")} AS props
"""


# Bulk-write rows travel as lists, not maps: the pure-Python Bolt packer spends most of its
# time on map keys and, above all, on datetimes, so UTC datetimes travel as ISO-8601 strings
# that the server turns back into the same DateTime with datetime() (see bench/store_bench.py).
ENTITY_ROW_FIELDS = 1
"""Entity rows are ``[id, *field values]``, fields in :func:`entity_columns` order."""

EDGE_ROW_PROPS = 4
"""Edge rows are ``[src, dst, rows merged into this one, provenance, *property values]``."""

EdgeColumns = tuple[tuple[str, bool], ...]
"""The properties an edge row carries, in order, each with whether it travels as a UTC ISO string."""


def _is_datetime_field(annotation: object) -> bool:
    # Only ``datetime`` or ``datetime | None``: the value is then always a datetime or null.
    return annotation is datetime or set(get_args(annotation)) == {datetime, type(None)}


@cache
def entity_columns(label: NodeLabel) -> tuple[tuple[str, bool], ...]:
    """The fields an entity row carries after its id, each with whether it is a datetime field."""
    entity_type = ENTITY_TYPES[check_label(label)]
    return tuple(
        (check_property_name(name), _is_datetime_field(entity_type.model_fields[name].annotation))
        for name in entity_type.field_names()
    )


def _set_union(target: str, values: str) -> str:
    """``SET`` clause item: ``target`` becomes its list (none: empty) with ``values`` it lacks appended, in order."""
    return (
        f"{target} = reduce(acc = coalesce({target}, []), x IN {values} | CASE WHEN x IN acc THEN acc ELSE acc + x END)"
    )


@cache
def upsert_entities(label: NodeLabel) -> str:
    """MERGE on id, then apply the entity's merge rules field by field."""
    label = check_label(label)
    entity_type = ENTITY_TYPES[label]
    creates, sets = ["n.created_at = $now"], []
    for index, (name, is_datetime) in enumerate(entity_columns(label), start=ENTITY_ROW_FIELDS):
        value = f"datetime(row[{index}])" if is_datetime else f"row[{index}]"
        if name in entity_type.LIST_FIELDS:
            # A new node takes the row's list as it is (rows carry lists without repeats); only a
            # node that exists needs the union, and reduce() per row is the costliest step here.
            creates.append(f"n.{name} = coalesce({value}, [])")
            sets.append(_set_union(f"n.{name}", f"coalesce({value}, [])"))
            continue
        creates.append(f"n.{name} = {value}")
        if name == "name" and name in entity_type.KEEP_FIRST:
            # Keep the first name, except that a name which is only an address gives way to a real one and
            # (people) a "Last, First" name to a "First Last" one: see canonical.merge_entity_props.
            upgrades = [f"(n.name CONTAINS '@' AND NOT coalesce({value}, '@') CONTAINS '@')"]
            if label is NodeLabel.PERSON:
                upgrades.append(
                    f"(n.name CONTAINS ',' AND NOT n.name CONTAINS '@' AND NOT coalesce({value}, ',') CONTAINS ',' "
                    f"AND NOT {value} CONTAINS '@')"
                )
            sets.append(
                f"n.name = CASE WHEN n.name IS NULL OR {' OR '.join(upgrades)} "
                f"THEN coalesce({value}, n.name) ELSE n.name END"
            )
        elif name in entity_type.KEEP_FIRST:
            sets.append(f"n.{name} = coalesce(n.{name}, {value})")
        else:
            sets.append(f"n.{name} = coalesce({value}, n.{name})")
    return (
        "UNWIND $rows AS row\n"
        f"MERGE (n:{label.value} {{id: row[0]}})\n"
        f"ON CREATE SET {', '.join(creates)}\n"
        f"ON MATCH SET {', '.join(sets)}\n"
        "RETURN count(n) AS written"
    )


@lru_cache(maxsize=512)
def upsert_edges(rel_type: RelType, src_label: NodeLabel, dst_label: NodeLabel, columns: EdgeColumns = ()) -> str:
    """MATCH both ends by id, MERGE the edge, set the row's properties and union its provenance.

    Properties are set one by one from the row's ``columns`` (a null removes one) rather
    than with ``SET r += map``: with the names known the planner needs no Eager barrier.
    """
    rel_type, src_label, dst_label = check_rel_type(rel_type), check_label(src_label), check_label(dst_label)
    sets = [
        f"r.{check_property_name(name)} = " + (f"datetime(row[{index}])" if is_datetime else f"row[{index}]")
        for index, (name, is_datetime) in enumerate(columns, start=EDGE_ROW_PROPS)
    ]
    # A new edge takes the row's provenance as it is (rows carry it without repeats); only an
    # edge that exists needs the union, which costs a third of the write when done for every row.
    union = _set_union("r.provenance", "row[3]")
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{src_label.value} {{id: row[0]}})\n"
        f"MATCH (b:{dst_label.value} {{id: row[1]}})\n"
        f"MERGE (a)-[r:{rel_type.value}]->(b)\n"
        "ON CREATE SET r.created_at = $now, r.provenance = row[3]\n"
        f"ON MATCH SET {union}\n" + (f"SET {', '.join(sets)}\n" if sets else "") + "RETURN sum(row[2]) AS written"
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
    return f"UNWIND $ids AS id MATCH (n:{label.value} {{id: id}}) RETURN n.id AS id, {wire_props('n')} AS props"


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
        f"RETURN n.id AS id, {wire_props('n')} AS props ORDER BY n.id LIMIT $limit"
    )


@cache
def list_nodes(label: NodeLabel) -> str:
    """Keyset page of nodes ordered by id."""
    label = check_label(label)
    return (
        f"MATCH (n:{label.value}) WHERE $after IS NULL OR n.id > $after "
        f"RETURN n.id AS id, {wire_props('n')} AS props ORDER BY n.id LIMIT $limit"
    )


@cache
def get_edge(rel_type: RelType, src_label: NodeLabel, dst_label: NodeLabel, undirected: bool) -> str:
    """One edge between two nodes; undirected types match either way round."""
    rel_type, src_label, dst_label = check_rel_type(rel_type), check_label(src_label), check_label(dst_label)
    arrow = "-" if undirected else "->"
    return (
        f"MATCH (a:{src_label.value} {{id: $src}})-[r:{rel_type.value}]{arrow}(b:{dst_label.value} {{id: $dst}}) "
        f"RETURN startNode(r).id AS src, endNode(r).id AS dst, {wire_props('r')} AS props LIMIT 1"
    )


@cache
def iter_edges(rel_type: RelType) -> str:
    """Every edge of a type in (source, target) order."""
    rel_type = check_rel_type(rel_type)
    return (
        f"MATCH (a)-[r:{rel_type.value}]->(b) RETURN a.id AS src, b.id AS dst, {wire_props('r')} AS props "
        "ORDER BY src, dst"
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
        f"RETURN [l IN labels(m) WHERE l IN $labels][0] AS label, m.id AS id, {wire_props('m')} AS node_props,\n"
        f"       type(r) AS type, startNode(r).id AS src, endNode(r).id AS dst, {wire_props('r')} AS props\n"
        "ORDER BY strength DESC, id ASC, type ASC LIMIT $limit"
    )


@cache
def degree(label: NodeLabel, rel_types: tuple[RelType, ...]) -> str:
    """Number of edges of some types at a node (served from the node's degree store)."""
    label = check_label(label)
    types = "|".join(check_rel_type(r).value for r in rel_types)
    return f"MATCH (n:{label.value} {{id: $id}}) RETURN COUNT {{ (n)-[:{types}]-() }} AS degree"


def _path_branch(rel: str, length: int, meet: int, guard: str | None) -> str:
    """Paths of exactly ``length`` hops from bound ``s`` to bound ``t``, hash-joined at node ``meet``."""
    names = ["s", *(f"n{i}" for i in range(1, length)), "t"]
    rels = [f"r{i}" for i in range(1, length + 1)]
    pattern = "(s)" + "".join(f"-[{r}:{rel}]-({n})" for r, n in zip(rels, names[1:], strict=True))
    inner = names[1:-1]
    conditions = [f"coalesce({r}.strength, 0.0) >= $min_strength" for r in rels]
    conditions += [f"NOT {n}.id IN $sources AND NOT {n}.id IN $targets" for n in inner]
    conditions += [f"{a} <> {b}" for i, a in enumerate(inner) for b in inner[i + 1 :]]
    hint = f" USING JOIN ON {names[meet]}" if length >= 2 else ""
    prelude = f"  WITH s, t WHERE {guard}\n" if guard else ""
    return (
        f"{prelude}  MATCH {pattern}{hint}\n"
        f"  WHERE {' AND '.join(conditions)}\n"
        f"  RETURN [{', '.join(names)}] AS nodes, [{', '.join(rels)}] AS rels"
    )


@cache
def k_best_paths(rel_type: RelType, max_hops: int, with_nodes: bool = False) -> str:
    """Simple paths between bound ends, one fixed-length branch per length, best product of strengths first.

    Each branch walks half the path from each end and hash-joins the halves at the
    middle node, so a 3-hop search costs about deg^2 + deg instead of the deg^3 of
    a variable-length expansion from one end (which blew up at well-connected
    targets). For odd lengths the end with fewer ties (``COUNT {}`` reads the degree
    store) walks the longer half. The embedded store splits paths the same way
    (:mod:`tellgraph.graph.paths`).
    """
    rel = check_rel_type(rel_type).value
    if not 1 <= max_hops <= MAX_PATH_HOPS:
        raise ValueError(f"max_hops out of range: {max_hops}")
    fewer_at_s = f"COUNT {{ (s)-[:{rel}]-() }} <= COUNT {{ (t)-[:{rel}]-() }}"
    branches = []
    for length in range(1, max_hops + 1):
        if length % 2 and length > 1:
            branches.append(_path_branch(rel, length, (length + 1) // 2, fewer_at_s))
            branches.append(_path_branch(rel, length, length // 2, f"NOT ({fewer_at_s})"))
        else:
            branches.append(_path_branch(rel, length, length // 2, None))
    union = "\n  UNION ALL\n".join(branches)
    nodes = f"[x IN nodes | {wire_props('x')}]" if with_nodes else "[]"
    return f"""
MATCH (t:Person) WHERE t.id IN $targets
MATCH (s:Person) WHERE s.id IN $sources AND NOT s.id IN $targets
CALL (s, t) {{
{union}
}}
WITH nodes, rels, [x IN nodes | x.id] AS ids, reduce(acc = 1.0, r IN rels | acc * coalesce(r.strength, 0.0)) AS score
ORDER BY round(score, 12) DESC, size(rels) ASC, ids ASC
LIMIT $k
RETURN ids, [r IN rels | {wire_props("r")}] AS rels, score, {nodes} AS nodes
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


# -- goals and agents -------------------------------------------------------------
FIND_INTERACTIONS = """
CALL () {
  UNWIND $person_ids AS pid
  MATCH (:Person {id: pid})-[:SENT|PARTICIPATED]->(c:Communication)
  RETURN c
  UNION
  UNWIND $person_ids AS pid
  MATCH (c:Communication)-[:TO|CC|BCC]->(:Person {id: pid})
  RETURN c
  UNION
  UNWIND $comm_ids AS cid
  MATCH (c:Communication {id: cid})
  RETURN c
}
WITH c WHERE $since IS NULL OR c.timestamp >= $since
WITH c ORDER BY c.timestamp DESC, c.id ASC LIMIT $limit
RETURN c.id AS id, c.timestamp AS timestamp, c.channel AS channel, c.thread_key AS thread_key,
       c.sentiment AS sentiment,
       [(s:Person)-[:SENT]->(c) | s.id] AS senders,
       [(c)-[r:TO|CC|BCC]->(p:Person) | [p.id, type(r)]] AS recipients,
       [(q:Person)-[:PARTICIPATED]->(c) | q.id] AS participants
"""

PEOPLE_AT_DOMAIN = f"""
MATCH (i:Identity) WHERE i.kind = 'email' AND i.value ENDS WITH $suffix
MATCH (i)-[:IDENTIFIES]->(p:Person)
WITH DISTINCT p ORDER BY p.id LIMIT $limit
RETURN p.id AS id, {wire_props("p")} AS props
"""


# -- API queries (see tellgraph.graph.queries) ------------------------------------
_TOOK_PART = "SENT|TO|CC|BCC|PARTICIPATED"
"""Participation edge types (kept in step with ``queries.PARTICIPATION_TYPES``)."""


@cache
def find_by_ids(labels: tuple[NodeLabel, ...]) -> str:
    """Nodes by id over several labels, each branch served by that label's unique-id index."""
    branches = "\n  UNION\n".join(
        f"  MATCH (n:{check_label(label).value} {{id: id}}) RETURN {i} AS rank, '{label.value}' AS label, n"
        for i, label in enumerate(labels)
    )
    return (
        "UNWIND $ids AS id\n"
        f"CALL (id) {{\n{branches}\n}}\n"
        "WITH id, rank, label, n ORDER BY rank\n"
        f"WITH id, head(collect({{label: label, props: {wire_props('n')}}})) AS first\n"
        "RETURN id, first.label AS label, first.props AS props"
    )


@cache
def lookup_nodes(label: NodeLabel, prop: str) -> str:
    """Nodes whose property is one of some values."""
    label, prop = check_label(label), check_property_name(prop)
    return (
        f"MATCH (n:{label.value}) WHERE n.{prop} IN $values "
        f"RETURN n.id AS id, {wire_props('n')} AS props ORDER BY n.id LIMIT $limit"
    )


_EDGE_PROJECTION = "k IN $names OR any(p IN $prefixes WHERE k STARTS WITH p)"
"""Edge properties a caller asked for: named in ``$names`` or starting with one of ``$prefixes``."""


@cache
def neighbours_many(label: NodeLabel, rel_types: tuple[RelType, ...], projected: bool = False) -> str:
    """The strongest ``$limit`` neighbours of each of many nodes (same order as :func:`neighbours`).

    ``projected`` returns the edge's properties as ``[key, value]`` pairs, only those named in
    ``$names`` or starting with one of ``$prefixes``.
    """
    label = check_label(label)
    types = "|".join(check_rel_type(r).value for r in rel_types)
    props = wire_props("r", _EDGE_PROJECTION if projected else None)
    return (
        "UNWIND $ids AS key\n"
        f"MATCH (n:{label.value} {{id: key}})\n"
        "CALL (n) {\n"
        f"  MATCH (n)-[r:{types}]-(m)\n"
        "  WITH m, r, coalesce(r.strength, 0.0) AS strength\n"
        "  WHERE $min_strength IS NULL OR strength >= $min_strength\n"
        "  WITH m, r ORDER BY strength DESC, m.id ASC, type(r) ASC LIMIT $limit\n"
        "  RETURN m, r\n"
        "}\n"
        f"RETURN key, [l IN labels(m) WHERE l IN $labels][0] AS label, m.id AS id, {wire_props('m')} AS node_props,\n"
        f"       type(r) AS type, startNode(r).id AS src, endNode(r).id AS dst, {props} AS props"
    )


@cache
def tie_pages(label: NodeLabel, rel_types: tuple[RelType, ...], projected: bool = False) -> str:
    """Nodes with their first ``$limit`` ties (the order of :func:`neighbours`) and their degree: one row per node.

    Each tie is ``[label, id, node props, type, src, dst, edge props]``; ``projected`` as in
    :func:`neighbours_many`.
    """
    label = check_label(label)
    types = "|".join(check_rel_type(r).value for r in rel_types)
    props = wire_props("r", _EDGE_PROJECTION if projected else None)
    return (
        "UNWIND $ids AS key\n"
        f"MATCH (n:{label.value} {{id: key}})\n"
        f"RETURN key, {wire_props('n')} AS props, COUNT {{ (n)-[:{types}]-() }} AS total, COLLECT {{\n"
        f"  MATCH (n)-[r:{types}]-(m)\n"
        "  WITH m, r ORDER BY coalesce(r.strength, 0.0) DESC, m.id ASC, type(r) ASC LIMIT $limit\n"
        f"  RETURN [[l IN labels(m) WHERE l IN $labels][0], m.id, {wire_props('m')},\n"
        f"          type(r), startNode(r).id, endNode(r).id, {props}]\n"
        "} AS ties"
    )


@cache
def degrees(label: NodeLabel, rel_types: tuple[RelType, ...]) -> str:
    """Edge counts of some types at many nodes (from the degree store)."""
    label = check_label(label)
    types = "|".join(check_rel_type(r).value for r in rel_types)
    return f"UNWIND $ids AS key MATCH (n:{label.value} {{id: key}}) RETURN key, COUNT {{ (n)-[:{types}]-() }} AS degree"


@cache
def edges_among(label: NodeLabel, rel_type: RelType) -> str:
    """Edges of a type with both ends among some nodes."""
    label, rel_type = check_label(label), check_rel_type(rel_type)
    return (
        f"UNWIND $ids AS key MATCH (a:{label.value} {{id: key}})-[r:{rel_type.value}]->(b:{label.value}) "
        f"WHERE b.id IN $ids RETURN a.id AS src, b.id AS dst, {wire_props('r')} AS props ORDER BY src, dst"
    )


_KNOWS_DEGREE = "COUNT { (p)-[:KNOWS]-() }"
_KNOWS_STRENGTH = "round(reduce(s = 0.0, x IN [(p)-[k:KNOWS]-() | coalesce(k.strength, 0.0)] | s + x), 6)"
_KNOWS_LAST = (
    "COLLECT { MATCH (p)-[k:KNOWS]-() WHERE k.last_interaction IS NOT NULL "
    "RETURN k.last_interaction AS t ORDER BY t DESC LIMIT 1 }[0]"
)
_PEOPLE_SORT_KEYS = {
    "name": "toLower(coalesce(p.name, ''))",
    "degree": _KNOWS_DEGREE,
    "strength": _KNOWS_STRENGTH,
    "last_interaction": _KNOWS_LAST,
}


@cache
def query_people(sort: str, descending: bool, filters: frozenset[str]) -> str:
    """Filtered people ordered by a key (nulls last) then id, with the total and one window's metrics.

    Only the filters in use appear in the query, so an id list or a company starts from an
    index seek instead of a scan of every person.
    """
    key = _PEOPLE_SORT_KEYS[sort]
    direction = "DESC" if descending else "ASC"
    if "ids" in filters:
        start = "UNWIND $ids AS key MATCH (p:Person {id: key})\nWITH DISTINCT p"
    elif "company" in filters:
        start = "MATCH (:Company {id: $company})<-[w:WORKS_AT]-(p:Person) WHERE w.valid_to IS NULL\nWITH DISTINCT p"
    else:
        start = "MATCH (p:Person)\nWITH p"
    conditions = {
        "name": "toLower(coalesce(p.name, '')) CONTAINS $name",
        "suffix": "any(e IN coalesce(p.emails, []) WHERE e ENDS WITH $suffix)",
        "company": "EXISTS { MATCH (p)-[w:WORKS_AT]->(:Company {id: $company}) WHERE w.valid_to IS NULL }",
        "is_team": "coalesce(p.is_team, false) = $is_team",
    }
    where = [text for name, text in conditions.items() if name in filters]
    return f"""
{start}
{"WHERE " + " AND ".join(where) if where else ""}
WITH p, {key} AS k
ORDER BY (k IS NULL) ASC, k {direction}, p.id ASC
WITH collect(p) AS matched
RETURN size(matched) AS total,
       [p IN matched[$offset..$offset + $limit] | {{
          id: p.id, props: {wire_props("p")}, degree: {_KNOWS_DEGREE}, strength: {_KNOWS_STRENGTH}, last: {_KNOWS_LAST}
       }}] AS rows
"""


_STAFF = "(s:Person)-[w:WORKS_AT]->(c) WHERE w.valid_to IS NULL"
_COMPANY_PEOPLE = f"COUNT {{ MATCH {_STAFF} }}"
_COMPANY_LAST = (
    f"COLLECT {{ MATCH {_STAFF} MATCH (s)-[k:KNOWS]-() WHERE k.last_interaction IS NOT NULL "
    "RETURN k.last_interaction AS t ORDER BY t DESC LIMIT 1 }[0]"
)
_COMPANY_SORT_KEYS = {
    "name": "toLower(coalesce(c.name, ''))",
    "people": _COMPANY_PEOPLE,
    "last_interaction": _COMPANY_LAST,
}


@cache
def query_companies(sort: str, descending: bool, filters: frozenset[str]) -> str:
    """Filtered companies ordered by a key (nulls last) then id, with the total and one window's metrics."""
    key = _COMPANY_SORT_KEYS[sort]
    direction = "DESC" if descending else "ASC"
    if "ids" in filters:
        start = "UNWIND $ids AS key MATCH (c:Company {id: key})\nWITH DISTINCT c"
    elif "domain" in filters:
        start = "MATCH (c:Company {domain: $domain})\nWITH c"
    else:
        start = "MATCH (c:Company)\nWITH c"
    where = "WHERE toLower(coalesce(c.name, '')) CONTAINS $name" if "name" in filters else ""
    return f"""
{start}
{where}
WITH c, {key} AS k
ORDER BY (k IS NULL) ASC, k {direction}, c.id ASC
WITH collect(c) AS matched
RETURN size(matched) AS total,
       [c IN matched[$offset..$offset + $limit] | {{
          id: c.id, props: {wire_props("c")}, people: {_COMPANY_PEOPLE}, last: {_COMPANY_LAST}
       }}] AS rows
"""


COMMUNICATIONS_OF = f"""
MATCH (p:Person {{id: $id}})
CALL (p) {{ MATCH (p)-[:{_TOOK_PART}]-(c:Communication) RETURN count(DISTINCT c) AS total }}
RETURN total, COLLECT {{
  MATCH (p)-[:{_TOOK_PART}]-(c:Communication)
  WITH DISTINCT c
  WHERE $before_ts IS NULL OR c.timestamp < $before_ts OR (c.timestamp = $before_ts AND c.id < $before_id)
  WITH c ORDER BY c.timestamp DESC, c.id DESC LIMIT $limit
  RETURN {{id: c.id, props: {wire_props("c")}}}
}} AS page
"""

PARTICIPANTS_OF = f"""
UNWIND $ids AS key
MATCH (c:Communication {{id: key}})-[r:{_TOOK_PART}]-(p:Person)
RETURN key, p.id AS id, {wire_props("p")} AS props, type(r) AS type, r.role AS role
"""

INTERACTIONS_BETWEEN = f"""
UNWIND $ids AS pid
MATCH (:Person {{id: pid}})-[:{_TOOK_PART}]-(c:Communication)
WITH c, count(DISTINCT pid) AS shared WHERE shared >= 2
RETURN c.id AS id, c.timestamp AS timestamp, c.channel AS channel, c.thread_key AS thread_key,
       c.sentiment AS sentiment,
       [(s:Person)-[:SENT]->(c) | s.id] AS senders,
       [(c)-[r:TO|CC|BCC]->(q:Person) | [q.id, type(r)]] AS recipients,
       [(q:Person)-[:PARTICIPATED]->(c) | q.id] AS participants
ORDER BY id
"""

LATEST_COMMUNICATION = """
MATCH (c:Communication) WHERE c.timestamp IS NOT NULL
RETURN c.timestamp AS ts ORDER BY c.timestamp DESC LIMIT 1
"""

TEXT_SEARCH = """
CALL db.index.fulltext.queryNodes($index, $query, {limit: $limit}) YIELD node, score
RETURN [l IN labels(node) WHERE l IN $labels][0] AS label, node.id AS id, node {.*, embedding: null} AS props, score
"""

VECTOR_SEARCH = """
CALL db.index.vector.queryNodes($index, $limit, $vector) YIELD node, score
RETURN node.id AS id, node {.*, embedding: null} AS props, score
"""

HAS_EMBEDDINGS = """
CALL db.index.vector.queryNodes($index, 1, $probe) YIELD node
RETURN count(node) AS found
"""


@cache
def set_node_props(label: NodeLabel) -> str:
    """Overwrite some properties of one node (null values remove them)."""
    label = check_label(label)
    return f"MATCH (n:{label.value} {{id: $id}}) SET n += $props RETURN count(n) AS found"


# -- erasure: text that names the erased person ------------------------------------------

# A property holds a needle: a string containing one, or a list with such a string.
# $needles: for each term, the words it is made of; a text holds a term when it contains all of them.
_HOLDS_NEEDLE = (
    "any(k IN keys({x}) WHERE NOT k IN $skip AND ("
    "({x}[k] IS :: STRING AND any(g IN $needles WHERE all(w IN g WHERE toLower({x}[k]) CONTAINS w))) OR "
    "({x}[k] IS :: LIST<STRING NOT NULL> AND "
    "any(s IN {x}[k] WHERE any(g IN $needles WHERE all(w IN g WHERE toLower(s) CONTAINS w))))))"
)

# Label and type unions, so Neo4j reads the token indexes instead of every node and relationship.
# People, companies and events are many: those whose indexed text (name, aliases, title, description)
# holds a term come from the entity_names full-text index, plus whatever touches the person; the
# other labels are few enough to read whole.
_SCRUB_INDEXED = (NodeLabel.PERSON, NodeLabel.COMPANY, NodeLabel.EVENT, NodeLabel.COMMUNICATION)
_SCRUB_LABELS = "|".join(check_label(label).value for label in NodeLabel if label not in _SCRUB_INDEXED)
_SCRUB_TYPES = "|".join(check_rel_type(t).value for t in RelType if t not in SCRUB_SKIPPED_EDGE_TYPES)

SCRUB_NODE_CANDIDATES = f"""
CALL () {{
  MATCH (n:{_SCRUB_LABELS}) RETURN n
  UNION
  CALL db.index.fulltext.queryNodes('entity_names', $lucene, {{limit: $limit}}) YIELD node RETURN node AS n
  UNION
  MATCH (:Person {{id: $id}})--(n) WHERE NOT n:Communication RETURN n
  UNION
  MATCH (n:Person {{id: $id}}) RETURN n
}}
WITH DISTINCT n WHERE {_HOLDS_NEEDLE.format(x="n")}
RETURN elementId(n) AS eid, n.id AS id, n:Communication AS comm, n {{.*, embedding: null}} AS props
"""

SCRUB_COMMUNICATION_CANDIDATES = f"""
CALL () {{
  MATCH (:Person {{id: $id}})--(c:Communication) RETURN c
  UNION
  CALL db.index.fulltext.queryNodes('communication_text', $lucene, {{limit: $limit}}) YIELD node
  RETURN node AS c
}}
WITH DISTINCT c WHERE {_HOLDS_NEEDLE.format(x="c")}
RETURN elementId(c) AS eid, c.id AS id, true AS comm, c {{.*, embedding: null}} AS props
"""

SCRUB_EDGE_CANDIDATES = f"""
CALL () {{
  MATCH (:Person {{id: $id}})-[r]-() RETURN r
  UNION
  MATCH ()-[r:{_SCRUB_TYPES}]->() RETURN r
}}
WITH DISTINCT r WHERE {_HOLDS_NEEDLE.format(x="r")}
RETURN elementId(r) AS eid, properties(r) AS props
"""

SCRUB_SET_NODES = """
UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row.eid SET n += row.props RETURN count(n) AS written
"""

SCRUB_SET_EDGES = """
UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.eid SET r += row.props RETURN count(r) AS written
"""


@cache
def erase_person(person_props: tuple[str, ...], comm_props: tuple[str, ...]) -> tuple[str, str, str]:
    """Three statements, run in one transaction: strip the person, delete their identities, redact 1:1 mail."""
    person_removals = ", ".join(f"p.{check_property_name(name)}" for name in person_props)
    comm_removals = ", ".join(f"c.{check_property_name(name)}" for name in comm_props)
    strip = (
        f"MATCH (p:Person {{id: $id}}) REMOVE {person_removals} "
        "SET p.erased = true, p.erased_at = $now RETURN count(p) AS written"
    )
    identities = (
        "MATCH (i:Identity)-[:IDENTIFIES]->(:Person {id: $id}) WITH DISTINCT i DETACH DELETE i "
        "RETURN count(*) AS written"
    )
    redact = (
        f"MATCH (:Person {{id: $id}})-[:{_TOOK_PART}]-(c:Communication) WITH DISTINCT c "
        f"WHERE COUNT {{ MATCH (c)-[:{_TOOK_PART}]-(q:Person) RETURN DISTINCT q }} <= 2 "
        f"REMOVE {comm_removals} SET c.redacted = true RETURN count(c) AS written"
    )
    return strip, identities, redact


# -- scoring (see tellgraph.scoring) ------------------------------------------------

# Each pair is expanded from its less connected person (COUNT {(x)--()} reads the
# degree store, no expansion), and the other end is only checked with EXISTS, so a
# hub in every pair (the mailbox owner) costs no more than the other person's history.
INTERACTIONS_OF_PAIRS = f"""
UNWIND $pairs AS pair
MATCH (x:Person {{id: pair[0]}}), (y:Person {{id: pair[1]}})
WITH x, y, COUNT {{ (x)--() }} <= COUNT {{ (y)--() }} AS x_first
WITH CASE WHEN x_first THEN x ELSE y END AS a, CASE WHEN x_first THEN y ELSE x END AS b
CALL (a, b) {{
  MATCH (a)-[:{_TOOK_PART}]-(c:Communication)
  WHERE EXISTS {{ (c)-[:{_TOOK_PART}]-(b) }}
  RETURN DISTINCT c
}}
WITH DISTINCT c
RETURN c.id AS id, c.timestamp AS timestamp, c.channel AS channel, c.thread_key AS thread_key,
       c.sentiment AS sentiment,
       [(s:Person)-[:SENT]->(c) | s.id] AS senders,
       [(c)-[r:TO|CC|BCC]->(q:Person) | [q.id, type(r)]] AS recipients,
       [(q:Person)-[:PARTICIPATED]->(c) | q.id] AS participants
ORDER BY id
"""


@cache
def get_edges(rel_type: RelType, undirected: bool) -> str:
    """Edges of a type between many pairs of people; undirected types match either way round."""
    rel_type = check_rel_type(rel_type)
    arrow = "-" if undirected else "->"
    return (
        "UNWIND $pairs AS pair\n"
        f"MATCH (a:Person {{id: pair[0]}})-[r:{rel_type.value}]{arrow}(b:Person {{id: pair[1]}})\n"
        "WITH DISTINCT r\n"
        f"RETURN startNode(r).id AS src, endNode(r).id AS dst, {wire_props('r')} AS props ORDER BY src, dst"
    )


@cache
def delete_edges(rel_type: RelType, undirected: bool) -> str:
    """Delete edges of a type between many pairs of people."""
    rel_type = check_rel_type(rel_type)
    arrow = "-" if undirected else "->"
    return (
        "UNWIND $pairs AS pair\n"
        f"MATCH (a:Person {{id: pair[0]}})-[r:{rel_type.value}]{arrow}(b:Person {{id: pair[1]}})\n"
        "WITH DISTINCT r DELETE r RETURN count(*) AS removed"
    )


@cache
def iter_edge_props(rel_type: RelType) -> str:
    """Every edge of a type with a few named properties (``r[name]``: names travel as a parameter)."""
    rel_type = check_rel_type(rel_type)
    return f"MATCH (a)-[r:{rel_type.value}]->(b) RETURN a.id AS src, b.id AS dst, [n IN $names | r[n]] AS values"
