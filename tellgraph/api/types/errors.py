"""Expected failures of mutations, as part of the schema (a union with the success type)."""

from __future__ import annotations

from typing import Self

import strawberry

from tellgraph.errors import InvalidInput, NotFound


@strawberry.interface(description="A failure the caller can fix: bad input, a missing person...")
class UserError:
    message: str
    code: str = strawberry.field(description="NOT_FOUND, INVALID_INPUT...")
    field: str | None = strawberry.field(description="The argument or input field at fault, if one is.")


@strawberry.type(description="The input was refused; `field` says which part and `message` why.")
class InvalidInputError(UserError):
    @classmethod
    def from_domain(cls, exc: InvalidInput) -> Self:
        return cls(message=str(exc), code="INVALID_INPUT", field=exc.field)


@strawberry.type(description="Something the input names does not exist.")
class NotFoundError(UserError):
    @classmethod
    def from_domain(cls, exc: NotFound, *, field: str | None = None) -> Self:
        return cls(message=str(exc), code="NOT_FOUND", field=field)
