"""CSV files for Neo4j's offline bulk importer (``neo4j-admin database import full``).

The batched ``UNWIND ... MERGE`` path of :class:`~tellgraph.graph.neo4j_store.Neo4jStore`
writes a few thousand rows a second on a small machine, which is hours for tens of
millions of communications and participation edges. For an *initial* load into an
empty database the importer writes the store files directly, orders of magnitude
faster. :class:`BulkCsvWriter` turns the same domain models the store takes
(:class:`~tellgraph.schema.model.Entity` and :class:`~tellgraph.schema.model.Edge`) into
CSV files in exactly the shape the store would leave behind: one label per node
file with an ``id`` property (the import id, in one id space per label), every model
field under its own name and Neo4j type, ``created_at`` on nodes and edges, and each
edge's ``provenance`` list. :meth:`BulkCsvWriter.import_args` gives the importer's
arguments; :meth:`~tellgraph.graph.neo4j_server.LocalNeo4j.import_csv` runs it.

What differs from upserts, by design of the importer:

- Input must be free of duplicates: one row per node id and per (type, source, target)
  edge. The importer does not merge; repeated edges would become parallel relationships.
- Empty lists are not stored (a null property reads back as the model's default ``[]``;
  store checksums already treat both alike).
- Constraints and indexes come afterwards, from ``tellgraph schema apply``.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import IO, Any, Union, get_args, get_origin

from tellgraph.errors import InvalidInput
from tellgraph.schema.labels import NodeLabel, RelType, check_label, check_property_name, check_rel_type
from tellgraph.schema.model import ENTITY_TYPES, Edge, Entity, as_utc

ARRAY_DELIMITER = "\x1f"
"""Between list items inside one cell: the ASCII unit separator, which no text we store contains."""

ARRAY_DELIMITER_ARG = "U+001F"
"""The same character as the importer's ``--array-delimiter`` takes it."""

_SCALAR_TYPES: dict[type, str] = {str: "string", bool: "boolean", int: "long", float: "double", datetime: "datetime"}


def _import_type(annotation: Any) -> str:
    """The importer's type name for a model field's annotation (``X | None`` is X)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"cannot import a field of type {annotation!r}")
        return _import_type(members[0])
    if origin is list:
        (item,) = get_args(annotation)
        return _import_type(item) + "[]"
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return "string"
    if annotation in _SCALAR_TYPES:
        return _SCALAR_TYPES[annotation]
    raise TypeError(f"cannot import a field of type {annotation!r}")


@cache
def node_columns(label: NodeLabel) -> tuple[tuple[str, str], ...]:
    """The (property, import type) columns after the id for one label, in the store's field order."""
    entity_type = ENTITY_TYPES[check_label(label)]
    return tuple(
        (check_property_name(name), _import_type(entity_type.model_fields[name].annotation))
        for name in entity_type.field_names()
    )


def node_header(label: NodeLabel) -> list[str]:
    """The header of a node file: the id in the label's own id space, the fields, ``created_at``."""
    label = check_label(label)
    return [
        f"id:ID({label.value})",
        *(f"{name}:{kind}" for name, kind in node_columns(label)),
        "created_at:datetime",
    ]


@cache
def _property_name(name: str) -> str:
    # Cached: the same few dozen names come back for every one of millions of edges.
    return check_property_name(name)


def _value_type(value: Any) -> str:
    """The import type of an edge property value (edges carry free-form properties)."""
    if isinstance(value, list):
        return (_value_type(value[0]) if value else "string") + "[]"
    for python_type in (bool, int, float, datetime, str):  # bool before int: True is an int
        if isinstance(value, python_type):
            return _SCALAR_TYPES[python_type]
    if value is None:
        return "string"
    raise InvalidInput("edge property", f"cannot import a value of type {type(value).__name__}")


def _text(value: Any) -> str:
    """A scalar as the importer reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


def _list_cell(value: list[Any] | tuple[Any, ...]) -> str:
    if not value:
        return ""
    items = [_text(item) for item in value]
    if any(ARRAY_DELIMITER in item for item in items):
        raise InvalidInput("list item", "contains the bulk import's array delimiter (U+001F)")
    return _quote(ARRAY_DELIMITER.join(items))


def _datetime_cell(value: datetime) -> str:
    return as_utc(value).isoformat()


def _bool_cell(value: bool) -> str:
    return "true" if value else "false"


def _cell(value: Any) -> str:
    """One CSV cell: text and lists quoted (RFC 4180), numbers bare, nulls and empty lists empty (no property)."""
    # Dispatch on the exact type first: this runs for every value of millions of rows.
    formatter = _CELL_FORMATTERS.get(type(value))
    if formatter is not None:
        return formatter(value)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return _list_cell(value)
    if isinstance(value, bool | int | float | datetime):
        return _text(value)
    return _quote(_text(value))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


_CELL_FORMATTERS: dict[type, Callable[[Any], str]] = {
    str: _quote,
    int: repr,
    float: repr,
    bool: _bool_cell,
    datetime: _datetime_cell,
    list: _list_cell,
    type(None): lambda _value: "",
}


class BulkCsvWriter:
    """Write entities and edges as import CSVs under ``folder``; a context manager that closes its files.

    Args:
        folder: where the files go (created if missing; files of an earlier run are overwritten).
        now: the ``created_at`` stamped on every node and edge.
    """

    def __init__(self, *, folder: Path, now: datetime) -> None:
        self.folder = folder
        self.now = as_utc(now)
        self._now_cell = _cell(self.now)
        self._files: dict[tuple[Any, ...], tuple[IO[str], str, Path]] = {}
        self._order: list[tuple[str, str, Path]] = []
        self.rows: dict[str, int] = {}
        self.multiline = False
        folder.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> BulkCsvWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close every file."""
        for handle, _kind, _path in self._files.values():
            handle.close()

    def _file(self, key: tuple[Any, ...], *, kind: str, name: str, group: str, header: Sequence[str]) -> IO[str]:
        found = self._files.get(key)
        if found is not None:
            return found[0]
        path = self.folder / f"{name}.csv"
        handle = path.open("w", encoding="utf-8", newline="")
        handle.write(",".join(header) + "\n")
        self._files[key] = (handle, kind, path)
        self._order.append((kind, group, path))
        return handle

    def _write(self, handle: IO[str], cells: Iterable[str], group: str) -> None:
        line = ",".join(cells)
        if "\n" in line or "\r" in line:
            self.multiline = True
        handle.write(line + "\n")
        self.rows[group] = self.rows.get(group, 0) + 1

    def add_entities(self, entities: Iterable[Entity]) -> None:
        """One row per entity, in its label's file."""
        for entity in entities:
            label = entity.LABEL
            handle = self._file(
                ("n", label), kind="nodes", name=f"nodes-{label.value}", group=label.value, header=node_header(label)
            )
            props = entity.to_props()
            cells = [_cell(entity.id), *(_cell(props[name]) for name, _ in node_columns(label)), self._now_cell]
            self._write(handle, cells, label.value)

    def add_edges(self, edges: Iterable[Edge]) -> None:
        """One row per edge, in the file of its type, end labels and property columns."""
        for edge in edges:
            rel = check_rel_type(edge.type)
            names = sorted(edge.props)
            columns = tuple((_property_name(name), _value_type(edge.props[name])) for name in names)
            key = ("e", rel, edge.src_label, edge.dst_label, columns)
            if key not in self._files:
                self._edge_file(key, rel, edge.src_label, edge.dst_label, columns)
            handle = self._files[key][0]
            cells = [
                _cell(edge.src_id),
                _cell(edge.dst_id),
                *(_cell(edge.props[name]) for name in names),
                _cell(list(edge.provenance)),
                self._now_cell,
            ]
            self._write(handle, cells, rel.value)

    def add_node_rows(self, label: NodeLabel, rows: Iterable[Sequence[Any]]) -> None:
        """Rows already in column order, ``(id, *values in node_columns(label) order)``, for generated data.

        Skips the models: the caller vouches that values are what the model's validation would give.
        """
        label = check_label(label)
        handle = self._file(
            ("n", label), kind="nodes", name=f"nodes-{label.value}", group=label.value, header=node_header(label)
        )
        width = 1 + len(node_columns(label))
        for row in rows:
            if len(row) != width:
                raise InvalidInput(f"{label.value} row", f"has {len(row)} values, expected {width}")
            self._write(handle, [*map(_cell, row), self._now_cell], label.value)

    def add_edge_rows(
        self,
        rel_type: RelType,
        src_label: NodeLabel,
        dst_label: NodeLabel,
        rows: Iterable[Sequence[Any]],
        *,
        columns: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Rows already in column order, ``(src id, dst id, provenance, *values of columns)``, for generated data.

        ``columns`` are (property, import type) pairs, e.g. ``("title", "string")``. Undirected types
        (KNOWS) must already have the lower id first, as :class:`~tellgraph.schema.model.Edge` would.
        """
        rel = check_rel_type(rel_type)
        cols = tuple((_property_name(name), kind) for name, kind in columns)
        key = ("e", rel, src_label, dst_label, cols)
        if key not in self._files:
            self._edge_file(key, rel, src_label, dst_label, cols)
        handle = self._files[key][0]
        width = 3 + len(cols)
        for row in rows:
            if len(row) != width:
                raise InvalidInput(f"{rel.value} row", f"has {len(row)} values, expected {width}")
            src, dst, provenance, *values = row
            self._write(
                handle,
                [_cell(src), _cell(dst), *map(_cell, values), _cell(list(provenance)), self._now_cell],
                rel.value,
            )

    def _edge_file(
        self, key: tuple[Any, ...], rel: RelType, src_label: NodeLabel, dst_label: NodeLabel, columns: Sequence[Any]
    ) -> None:
        number = sum(1 for k in self._files if k[0] == "e" and k[1] == rel)
        header = [
            f":START_ID({check_label(src_label).value})",
            f":END_ID({check_label(dst_label).value})",
            *(f"{name}:{kind}" for name, kind in columns),
            "provenance:string[]",
            "created_at:datetime",
        ]
        name = f"rels-{rel.value}-{src_label.value}-{dst_label.value}-{number}"
        self._file(key, kind="relationships", name=name, group=rel.value, header=header)

    @property
    def files(self) -> list[tuple[str, str, Path]]:
        """(``nodes`` or ``relationships``, label or type, path) of every file written."""
        return list(self._order)

    def import_args(self) -> list[str]:
        """The importer's file and format arguments for everything written."""
        args = format_args(multiline=self.multiline)
        for kind, group, path in self._order:
            args.append(f"--{kind}={group}={path}")
        return args


def format_args(*, multiline: bool) -> list[str]:
    """The importer options that describe the files :class:`BulkCsvWriter` writes."""
    args = [f"--array-delimiter={ARRAY_DELIMITER_ARG}", "--id-type=string"]
    if multiline:
        args.append("--multiline-fields=true")
    return args


def bulk_import_args(*, nodes: Sequence[str], relationships: Sequence[str], multiline: bool = False) -> list[str]:
    """Importer arguments for ``Label=file.csv`` and ``TYPE=file.csv`` groups (labels and types allow-listed).

    Raises:
        InvalidInput: a group is not ``NAME=path``, names an unknown label or type, or its file is missing.
    """
    args = format_args(multiline=multiline)
    for kind, groups, check in (("nodes", nodes, check_label), ("relationships", relationships, check_rel_type)):
        for group in groups:
            name, sep, path = group.partition("=")
            if not sep or not path:
                raise InvalidInput(f"--{kind}", f"{group!r} is not NAME=file.csv")
            if not Path(path).is_file():
                raise InvalidInput(f"--{kind}", f"{path} does not exist")
            args.append(f"--{kind}={check(name).value}={path}")
    return args


__all__ = [
    "ARRAY_DELIMITER",
    "ARRAY_DELIMITER_ARG",
    "BulkCsvWriter",
    "bulk_import_args",
    "format_args",
    "node_columns",
    "node_header",
]
