"""The Relay ``Node`` interface: anything with an id that ``node(id:)`` can fetch again."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a stable id; fetch it again with `node(id:)`.")
class Node:
    id: strawberry.ID
