"""Walk the API's schema as a client sees it (introspection over HTTP) to build requests for every argument.

Tests use it so that a new query, mutation or argument is covered without editing them:
``root_fields`` lists what to call, ``operation`` writes the request with every argument
passed as a variable, ``minimal_value`` gives a well-typed value and ``hostile_value`` a
hypothesis strategy of well-typed but hostile values (injection strings, control characters,
unicode, lone surrogates, huge strings and numbers, long lists).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    get_introspection_query,
    get_named_type,
)
from graphql.pyutils import Undefined
from hypothesis import strategies as st

CYPHER_INJECTIONS = [
    "') MATCH (n) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n //',
    "x' OR 1=1 //",
    "}) RETURN 1 UNION MATCH (n) DETACH DELETE n //",
    "`Person`) DETACH DELETE (n",
    "n`:Person {id: 1}) SET n.x = 1 //",
    "$id",
    "$param}) RETURN $query",
    "p_000' } ) WITH 1 AS x CALL db.clearQueryCaches() //",
    "*:*",
    '\\") OR "a"="a',
    'AND OR NOT ~ ^ [ ] { } : / \\ + - && || ! ( ) " *',
    "name:/.*/",
    "CALL dbms.components() YIELD name RETURN name //",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "{{7*7}}",
    "${jndi:ldap://x/a}",
    "\x00",
    "a\x00b",
    "\u202e\u200b\ufeff",
    "\ud800",
    "ℌ𝔢𝔩𝔩𝔬 ﷽ 👩‍💻",
]
"""Strings that would change a query built by concatenation (Cypher, Lucene, templates) or break an encoder."""

HOSTILE_STRINGS = st.one_of(
    st.sampled_from(CYPHER_INJECTIONS),
    st.text(max_size=60),  # any code point, lone surrogates and NUL included
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.builds(lambda a, b: a + b, st.sampled_from(CYPHER_INJECTIONS), st.text(max_size=10)),
    st.builds(
        lambda ch, n: ch * n, st.sampled_from(["a", "é", "\x00", "'", "*", "( ", "x@y.z "]), st.integers(1, 60_000)
    ),
)

_INT32 = 2**31 - 1
HOSTILE_INTS = st.one_of(
    st.integers(-5, 200),
    st.integers(-(2**31), _INT32),
    st.sampled_from([0, -1, _INT32, -(2**31), 2**31, 2**53, -(2**63)]),
)
HOSTILE_FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1.0, 0.5]),
)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | HOSTILE_STRINGS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
_DATETIMES = st.one_of(
    st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "0000-00-00", "yesterday", "", "9" * 40]),
    HOSTILE_STRINGS,
)


def _required(item: Any) -> bool:
    """A non-null argument or input field without a default must be given."""
    return isinstance(item.type, GraphQLNonNull) and item.default_value is Undefined


def fetch_schema(post: Callable[[str], Mapping[str, Any]]) -> GraphQLSchema:
    """The schema the server describes through introspection (``post`` runs a query and returns the JSON body)."""
    body = post(get_introspection_query(descriptions=False))
    assert "errors" not in body, body
    return build_client_schema(body["data"])


def root_fields(schema: GraphQLSchema, kind: str) -> dict[str, GraphQLField]:
    """The fields of the query or mutation root."""
    root = schema.query_type if kind == "query" else schema.mutation_type
    return dict(root.fields) if root is not None else {}


def selection(output: Any, depth: int = 0) -> str:
    """The smallest selection a field of this type needs: ``{ __typename }`` for composites."""
    named = get_named_type(output)
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
        return "{ __typename }"
    return ""


def operation(
    kind: str,
    name: str,
    field: GraphQLField,
    values: Mapping[str, Any],
    *,
    wrap: Callable[[str], str] | None = None,
    extra_vars: str = "",
) -> tuple[str, dict[str, Any]]:
    """A request calling ``name`` with every argument in ``values`` passed as a variable.

    ``wrap`` puts the call inside a path (``node(id: $nodeId) { ... on Person { %s } }``).
    """
    definitions = [f"$a_{arg}: {field.args[arg].type}" for arg in values]
    arguments = ", ".join(f"{arg}: $a_{arg}" for arg in values)
    call = f"{name}({arguments})" if arguments else name
    call = f"{call} {selection(field.type)}".strip()
    if wrap is not None:
        call = wrap(call)
    variables_decl = ", ".join([*definitions, *([extra_vars] if extra_vars else [])])
    head = f"{kind}({variables_decl})" if variables_decl else kind
    return f"{head} {{ {call} }}", {f"a_{arg}": value for arg, value in values.items()}


def minimal_value(kind: GraphQLInputType, *, strings: str = "x", depth: int = 0) -> Any:
    """A well-typed value: required input fields filled, optional ones left out."""
    if isinstance(kind, GraphQLNonNull):
        return minimal_value(kind.of_type, strings=strings, depth=depth)
    if isinstance(kind, GraphQLList):
        return [minimal_value(kind.of_type, strings=strings, depth=depth + 1)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {
            name: minimal_value(f.type, strings=strings, depth=depth + 1)
            for name, f in kind.fields.items()
            if _required(f)
        }
    assert isinstance(kind, GraphQLScalarType)
    return {
        "Int": 1,
        "Float": 1.0,
        "Boolean": True,
        "DateTime": "2026-01-01T00:00:00+00:00",
        "JSON": {},
    }.get(kind.name, strings)


def hostile_value(kind: GraphQLInputType, *, depth: int = 0) -> st.SearchStrategy[Any]:
    """Well-typed values chosen to break things; nullable types also get null."""
    if isinstance(kind, GraphQLNonNull):
        return _non_null(kind.of_type, depth)
    return st.none() | _non_null(kind, depth)


def _non_null(kind: GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLNonNull):
        return _non_null(kind.of_type, depth)
    if isinstance(kind, GraphQLList):
        item = hostile_value(kind.of_type, depth=depth + 1)
        return st.lists(item, max_size=4) | st.lists(item, min_size=150, max_size=400)
    if isinstance(kind, GraphQLEnumType):
        return st.sampled_from(list(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        required = {n: f for n, f in kind.fields.items() if _required(f)}
        optional = {n: f for n, f in kind.fields.items() if n not in required}
        return st.fixed_dictionaries(
            {n: hostile_value(f.type, depth=depth + 1) for n, f in required.items()},
            optional={n: hostile_value(f.type, depth=depth + 1) for n, f in optional.items()},
        )
    assert isinstance(kind, GraphQLScalarType)
    if kind.name == "Int":
        return HOSTILE_INTS
    if kind.name == "Float":
        return HOSTILE_FLOATS
    if kind.name == "Boolean":
        return st.booleans()
    if kind.name == "DateTime":
        return _DATETIMES
    if kind.name == "JSON":
        return _JSON_VALUES
    return HOSTILE_STRINGS


def arguments_strategy(field: GraphQLField) -> st.SearchStrategy[dict[str, Any]]:
    """Values for every required argument and any subset of the optional ones."""
    required = {n: a for n, a in field.args.items() if _required(a)}
    optional = {n: a for n, a in field.args.items() if n not in required}
    return st.fixed_dictionaries(
        {n: hostile_value(a.type) for n, a in required.items()},
        optional={n: hostile_value(a.type) for n, a in optional.items()},
    )


def fields_with_arguments(schema: GraphQLSchema, type_name: str) -> dict[str, GraphQLField]:
    """The fields of an object type that take arguments (nested arguments to fuzz)."""
    kind = schema.get_type(type_name)
    if not isinstance(kind, GraphQLObjectType):
        return {}
    return {name: f for name, f in kind.fields.items() if f.args}


def node_types(schema: GraphQLSchema) -> list[str]:
    """Object types that implement ``Node`` (reachable by ``node(id:)``)."""
    node = schema.get_type("Node")
    if not isinstance(node, GraphQLInterfaceType):
        return []
    return sorted(t.name for t in schema.get_implementations(node).objects)
