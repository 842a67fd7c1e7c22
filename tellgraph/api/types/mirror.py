"""Build a GraphQL type from a domain object whose fields it mirrors."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import strawberry

from tellgraph.schema.model import Node

T = TypeVar("T")


def mirror(cls: type[T], source: object, **overrides: Any) -> T:
    """An instance of the strawberry type ``cls`` with each field read from ``source`` by name.

    ``overrides`` give the fields that need converting (nested types, ids, enums); every other
    field must exist on ``source`` under the same name, so a renamed domain field fails loudly.
    """
    values = {
        f.name: getattr(source, f.name)
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and f.name not in overrides
    }
    return cls(**values, **overrides)


def from_props(cls: type[T], node: Node) -> T:
    """An instance of the strawberry type ``cls`` from a stored node: ``id`` plus each field from its properties.

    Properties the node lacks are ``None``, as the store leaves unknown facts out.
    """
    values: dict[str, Any] = {
        f.name: node.props.get(f.name)
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and f.name != "id"
    }
    values["id"] = strawberry.ID(node.id)
    return cls(**values)
