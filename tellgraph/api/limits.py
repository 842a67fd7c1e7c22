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
from strawberry.extensions import SchemaExtension

from tellgraph.api.errors import QUERY_TOO_COMPLEX

PAGE_ARGUMENTS = ("first", "limit")
MAX_FRAGMENT_DEPTH = 50


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
