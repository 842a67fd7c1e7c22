"""Relay-style pagination: ``edges { cursor node }``, ``pageInfo``, ``totalCount`` on every list.

Cursors are opaque (URL-safe base64). Lists ordered by a computed key use an
offset inside the cursor; timelines use a keyset (timestamp, id) so new mail
does not shift the pages a client is walking.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

import strawberry

from tellgraph.errors import InvalidInput

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")

_OFFSET = "o:"
_KEYSET = "k:"


def page_size(first: int | None, *, cap: int, default: int = 10) -> int:
    """The page size asked for (``default`` when null); refuses negative and oversized pages clearly."""
    if first is None:
        return min(default, cap)
    if first < 0:
        raise InvalidInput("first", "must not be negative")
    if first > cap:
        raise InvalidInput("first", f"at most {cap} per page")
    return first


def encode_cursor(value: str) -> str:
    """Opaque Relay cursor."""
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii")


def decode_cursor(cursor: str) -> str:
    """The value inside a cursor (invalid cursors raise ValueError)."""
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError) as exc:
        raise ValueError("not a cursor") from exc


def offset_cursor(offset: int) -> str:
    """The cursor after ``offset`` items."""
    return encode_cursor(f"{_OFFSET}{offset}")


def decode_offset(after: str | None) -> int:
    """How many items precede the page that starts after ``after``."""
    if not after:
        return 0
    try:
        value = decode_cursor(after)
        if not value.startswith(_OFFSET):
            raise ValueError(value)
        offset = int(value[len(_OFFSET) :])
    except ValueError:
        raise InvalidInput("after", "not a cursor from this list") from None
    if offset < 0:
        raise InvalidInput("after", "not a cursor from this list")
    return offset


def keyset_cursor(timestamp: datetime, node_id: str) -> str:
    """The cursor after the item at (timestamp, id)."""
    return encode_cursor(f"{_KEYSET}{timestamp.isoformat()}|{node_id}")


def decode_keyset(after: str | None) -> tuple[datetime, str] | None:
    """The (timestamp, id) a keyset cursor points after."""
    if not after:
        return None
    try:
        value = decode_cursor(after)
        if not value.startswith(_KEYSET):
            raise ValueError(value)
        stamp, _, node_id = value[len(_KEYSET) :].partition("|")
        timestamp = datetime.fromisoformat(stamp)
        if not node_id or timestamp.tzinfo is None:
            raise ValueError(value)
    except ValueError:
        raise InvalidInput("after", "not a cursor from this list") from None
    return timestamp, node_id


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="One item of a page and the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many items the whole list holds.")

    @strawberry.field(description="The page's items without cursors (a shortcut for edges { node }).")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def offset_connection(
    items: Sequence[ItemT],
    *,
    offset: int,
    size: int,
    total: int,
    convert: Callable[[ItemT], NodeT],
    has_next: bool | None = None,
) -> Connection[NodeT]:
    """A connection over a window of items that starts ``offset`` items into the list."""
    page = list(items[:size])
    edges = [Edge(cursor=offset_cursor(offset + i + 1), node=convert(item)) for i, item in enumerate(page)]
    more = has_next if has_next is not None else offset + len(page) < total
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
