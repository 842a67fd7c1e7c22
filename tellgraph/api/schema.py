"""The GraphQL schema: queries and the strawberry Schema with its limits."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext

from tellgraph.api.context import Info
from tellgraph.api.types import CountEntry, IntroPath, Person, Relationship, Stats
from tellgraph.errors import InvalidInput, TellgraphError
from tellgraph.services import people

logger = logging.getLogger(__name__)


@strawberry.type
class Query:
    """Read the relationship graph."""

    @strawberry.field(description="A person by email address or id.")
    def person(self, info: Info, email: str | None = None, id: strawberry.ID | None = None) -> Person | None:
        ref = email or id
        if not ref:
            raise InvalidInput("person", "give email or id")
        return Person.from_domain(people.resolve_person(info.context.store, ref=str(ref)))

    @strawberry.field(description="The relationship between two people (emails or ids).")
    def relationship(self, info: Info, a: str, b: str) -> Relationship | None:
        found = people.relationship(info.context.store, a=a, b=b)
        return Relationship.from_domain(found.edge, found.b)

    @strawberry.field(description="Who can introduce the team to someone: best paths first.")
    def warm_intro_paths(
        self,
        info: Info,
        from_: Annotated[list[str], strawberry.argument(name="from")],
        to: str,
        max_hops: int = 3,
        first: int = 5,
    ) -> list[IntroPath]:
        paths, nodes = people.warm_intro_paths(
            info.context.store, sources=from_, target=to, max_hops=max_hops, first=first
        )
        return [IntroPath.from_domain(p, nodes, people.explain_path(p, nodes)) for p in paths]

    @strawberry.field(description="How many nodes and edges the graph holds.")
    def stats(self, info: Info) -> Stats:
        counts = info.context.store.counts()
        return Stats(
            nodes=[CountEntry(name=k, count=v) for k, v in counts.nodes.items()],
            edges=[CountEntry(name=k, count=v) for k, v in counts.edges.items()],
        )


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, TellgraphError):
        return False
    error_id = uuid.uuid4().hex[:12]
    logger.error("internal error %s in %s", error_id, error.path, exc_info=original)
    return True


class TellgraphSchema(strawberry.Schema):
    """Schema that keeps errors free of stack traces."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if error.original_error is not None and not isinstance(error.original_error, TellgraphError):
                continue  # already logged with an id by MaskErrors
            logger.info("request error: %s", error.message)


def build_schema(*, max_depth: int = 10, max_tokens: int = 2000) -> strawberry.Schema:
    """The schema with depth, size and error-masking limits."""
    # Factories, not instances: each request gets fresh extension state.
    extensions: list[Any] = [
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: MaskErrors(should_mask_error=_should_mask, error_message="Internal error; it has been logged."),
    ]
    return TellgraphSchema(query=Query, extensions=extensions)
