"""Cursors and connections: every list pages the same way, and walking it yields every item once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tellgraph.api.types.pagination import (
    decode_keyset,
    decode_offset,
    encode_cursor,
    keyset_cursor,
    offset_cursor,
    page_size,
)
from tellgraph.errors import InvalidInput
from tests.unit.api.conftest import Api


def test_cursors_round_trip() -> None:
    assert decode_offset(offset_cursor(7)) == 7
    assert decode_offset(None) == 0
    stamp = datetime(2026, 11, 13, 9, 0, tzinfo=UTC)
    assert decode_keyset(keyset_cursor(stamp, "m_1|x")) == (stamp, "m_1|x")
    assert decode_keyset(None) is None


@pytest.mark.parametrize("bad", ["nope", encode_cursor("o:-1"), encode_cursor("k:2026|x"), "%%%", encode_cursor("x:1")])
def test_foreign_cursors_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        decode_offset(bad)
    with pytest.raises(InvalidInput):
        decode_keyset(bad)


def test_page_size() -> None:
    assert page_size(None, cap=100, default=20) == 20
    assert page_size(None, cap=5, default=20) == 5
    with pytest.raises(InvalidInput):
        page_size(101, cap=100)


def _walk(api: Api, query: str, path: list[str], first: int) -> tuple[list[str], int]:
    seen: list[str] = []
    after = None
    total = -1
    while True:
        data = api.data(query, {"first": first, "after": after})
        for key in path:
            data = data[key]
        total = data["totalCount"]
        seen += [edge["node"]["id"] for edge in data["edges"]]
        assert data["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not data["pageInfo"]["hasNextPage"]:
            return seen, total
        after = data["pageInfo"]["endCursor"]


@pytest.mark.parametrize("first", [1, 2, 3, 50])
def test_walking_people_and_timelines(api: Api, first: int) -> None:
    people, total = _walk(
        api,
        "query($first: Int, $after: String) { people(first: $first, after: $after) "
        "{ totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } }",
        ["people"],
        first,
    )
    assert people == ["a", "b", "l", "t1", "n", "z", "t2"] and total == 7
    comms, total = _walk(
        api,
        'query($first: Int, $after: String) { person(id: "t1") { timeline(first: $first, after: $after) '
        "{ totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } } }",
        ["person", "timeline"],
        first,
    )
    assert comms == ["m1", "m4", "m2", "m3"] and total == 4


def test_walking_relationships(api: Api) -> None:
    query = (
        'query($first: Int, $after: String) { person(id: "t1") { relationships(first: $first, after: $after) '
        "{ totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { other { id } } } } } }"
    )
    seen: list[str] = []
    after = None
    while True:
        rels = api.data(query, {"first": 2, "after": after})["person"]["relationships"]
        seen += [e["node"]["other"]["id"] for e in rels["edges"]]
        if not rels["pageInfo"]["hasNextPage"]:
            break
        after = rels["pageInfo"]["endCursor"]
    assert seen == ["a", "t2", "b"] and rels["totalCount"] == 3


def test_a_cursor_from_another_list_is_refused(api: Api) -> None:
    timeline = api.data('{ person(id: "t1") { timeline(first: 1) { pageInfo { endCursor } } } }')
    cursor = timeline["person"]["timeline"]["pageInfo"]["endCursor"]
    body = api.post("query($c: String) { people(after: $c) { totalCount } }", {"c": cursor}).json()
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "after"}
