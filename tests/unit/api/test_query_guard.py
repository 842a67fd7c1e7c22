"""Documents whose fragments multiply are refused in linear time, before any validation rule walks them."""

from __future__ import annotations

import time

from graphql import parse

from tellgraph.api.limits import MAX_EXPANDED_SELECTIONS, expanded_size
from tests.unit.api.conftest import Api


def fan_out(levels: int) -> str:
    spreads = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ viewer {{ role }} }}"


def test_expanded_size_counts_each_fragment_once() -> None:
    assert expanded_size(parse("{ a { b c } d }")) == 4
    # The operation holds 2^3 copies of the leaf fragment (2 selections); each fragment also counts on its own.
    assert expanded_size(parse(fan_out(3))) == 8 * 2 + (16 + 8 + 4 + 2)
    assert expanded_size(parse(fan_out(60))) == MAX_EXPANDED_SELECTIONS + 1
    assert expanded_size(parse("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")) is None
    assert expanded_size(parse("query { ...Missing }")) == 0


def test_a_fragment_bomb_is_refused_at_once(api: Api) -> None:
    started = time.monotonic()
    body = api.post(fan_out(40)).json()
    assert time.monotonic() - started < 1.0
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "fragments" in body["errors"][0]["message"]
    assert api.data(fan_out(4))["viewer"]["role"] == "viewer"


def test_a_fragment_cycle_is_a_validation_error(api: Api) -> None:
    body = api.post("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A viewer { role } }").json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
