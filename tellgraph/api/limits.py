"""Query cost: every field costs 1, multiplied by the page sizes of the lists around it.

``people(first: 50) { edges { node { relationships(first: 10) { edges { node { strength } } } } } }``
costs about 50 × 10 × 4: what the server would have to produce. A query over
``settings.api_max_cost`` is refused before anything runs, with its cost in the
error; a request sending ``extensions: {"cost": true}`` gets its cost back in ``extensions.cost``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.type.definition import GraphQLField, GraphQLInterfaceType
from strawberry.extensions import SchemaExtension, ValidationCache

from tellgraph.api.errors import QUERY_TOO_COMPLEX, VALIDATION_FAILED

PAGE_ARGUMENTS = ("first", "limit")
MAX_FRAGMENT_DEPTH = 50
MAX_EXPANDED_SELECTIONS = 20_000
"""How many selections a document may hold once its fragments are inlined.

Fragments that spread others several times multiply: thirty of them, each spreading the
next twice, are a 1.5 kB document with a billion selections. Every rule that walks the
expanded document (the depth limit, the cost) would run for ever, on the event loop.
"""


def _page_size(
    node: FieldNode, field: GraphQLField | None, variables: Mapping[str, Any], defaults: dict[str, Any]
) -> int:
    for argument in node.arguments or ():
        if argument.name.value not in PAGE_ARGUMENTS:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(1, int(value.value))
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value, defaults.get(value.name.value))
            if isinstance(raw, int) and not isinstance(raw, bool):
                return max(1, raw)
    if field is not None:
        for name in PAGE_ARGUMENTS:
            arg = field.args.get(name)
            if arg is not None and isinstance(arg.default_value, int):
                return max(1, arg.default_value)
    return 1


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        defaults: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.defaults = defaults

    def _fields(self, parent: GraphQLNamedType | None) -> Mapping[str, GraphQLField]:
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            fields: Mapping[str, GraphQLField] = parent.fields
            return fields
        return {}

    def cost(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None, multiplier: int, depth: int
    ) -> int:
        if depth > MAX_FRAGMENT_DEPTH:
            return multiplier  # a cycle or an absurd document; validation will refuse it
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += multiplier
                if selection.selection_set is None:
                    continue
                field = self._fields(parent).get(selection.name.value)
                size = _page_size(selection, field, self.variables, self.defaults)
                child = get_named_type(field.type) if field is not None else None
                total += self.cost(selection.selection_set, child, multiplier * size, depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                target = parent
                if selection.type_condition is not None:
                    target = self.schema.get_type(selection.type_condition.name.value)
                total += self.cost(selection.selection_set, target, multiplier, depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, target, multiplier, depth + 1)
        return total


def operation_cost(
    schema: GraphQLSchema, document: Any, *, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """The cost of the operation a request would run (the most expensive one when it is ambiguous)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    costs = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name and (definition.name is None or definition.name.value != operation_name):
            continue
        root = {
            "query": schema.query_type,
            "mutation": schema.mutation_type,
            "subscription": schema.subscription_type,
        }[definition.operation.value]
        defaults: dict[str, Any] = {}
        for var in definition.variable_definitions or ():
            if isinstance(var.default_value, IntValueNode):
                defaults[var.variable.name.value] = int(var.default_value.value)
        walker = _Walker(schema, fragments, variables or {}, defaults)
        costs.append(walker.cost(definition.selection_set, root, 1, 0))
    return max(costs, default=0)


class _FragmentCycle(Exception):
    """Fragments that spread each other (module level: a class built per request costs ~25 us)."""


def expanded_size(document: Any, *, limit: int = MAX_EXPANDED_SELECTIONS) -> int | None:
    """How many selections ``document`` holds with its fragments inlined, counted in linear time.

    Each fragment's size is computed once. Counting stops a little past ``limit`` (the
    result is then only known to exceed it). None when fragments spread each other in a cycle.
    """
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    sizes: dict[str, int] = {}
    visiting: set[str] = set()

    def fragment(name: str) -> int:
        if name in sizes:
            return sizes[name]
        if name in visiting:
            raise _FragmentCycle
        found = fragments.get(name)
        if found is None:
            return 0  # an unknown fragment: validation reports it
        visiting.add(name)
        sizes[name] = size(found.selection_set)
        visiting.discard(name)
        return sizes[name]

    def size(selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                total += 1 + size(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += size(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += fragment(selection.name.value)
            total = min(total, limit + 1)  # sizes stay small numbers however large the expansion
        return total

    try:
        return min(
            limit + 1,
            sum(size(d.selection_set) for d in document.definitions if isinstance(d, OperationDefinitionNode))
            + sum(fragment(name) for name in fragments),
        )
    except (_FragmentCycle, RecursionError):
        return None


class GuardedValidationCache(ValidationCache):
    """The validation cache, behind a linear-time check of the document's expanded size.

    A document whose fragments form a cycle, or expand past ``max_selections``, is refused
    before any validation rule (the depth limit among them) walks it.
    """

    def __init__(self, *, maxsize: int | None = 512, max_selections: int = MAX_EXPANDED_SELECTIONS) -> None:
        super().__init__(maxsize=maxsize)
        self.max_selections = max_selections

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            size = expanded_size(document, limit=self.max_selections)
            operations = sum(1 for d in document.definitions if isinstance(d, OperationDefinitionNode))
            error = None
            # strawberry's operation_name falls back to the first operation's; the spec's GetOperation()
            # makes several operations without a name in the request an error.
            asked = getattr(self.execution_context, "_provided_operation_name", None)
            if operations > 1 and not asked:
                error = GraphQLError(
                    "The document holds several operations: say which to run with operationName",
                    extensions={"code": VALIDATION_FAILED},
                )
            elif size is None:
                error = GraphQLError("Fragments spread each other in a cycle", extensions={"code": VALIDATION_FAILED})
            elif size > self.max_selections:
                error = GraphQLError(
                    f"This query expands to more than {self.max_selections} selections once its fragments "
                    "are inlined: spread fewer fragments",
                    extensions={"code": QUERY_TOO_COMPLEX},
                )
            if error is not None:
                self.execution_context.pre_execution_errors = [error]
                yield
                return
        yield from super().on_validate()


class CostLimiter(SchemaExtension):
    """Refuse operations whose cost exceeds ``max_cost``; report the cost of the others.

    Runs at the start of validation (after parsing), so an expensive request
    costs the server a tree walk and nothing else.
    """

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # After the validation cache: a document that already failed validation keeps those errors.
        if document is not None and not context.pre_execution_errors:
            self.cost = operation_cost(
                context.schema._schema,
                document,
                operation_name=context.operation_name,
                variables=context.variables,
            )
            if self.cost > self.max_cost:
                # Setting the errors first makes strawberry skip the other rules and refuse the request.
                context.pre_execution_errors = [
                    GraphQLError(
                        f"This query would cost {self.cost}, more than the limit of {self.max_cost}: "
                        "ask for smaller pages (first) or fewer fields",
                        extensions={"code": QUERY_TOO_COMPLEX, "cost": self.cost, "maxCost": self.max_cost},
                    )
                ]
        yield

    def get_results(self) -> dict[str, Any]:
        # Reported on request only (``extensions: {"cost": true}``): most clients want bare results.
        asked = (self.execution_context.operation_extensions or {}).get("cost") is True
        return {"cost": self.cost} if asked and self.cost is not None else {}
