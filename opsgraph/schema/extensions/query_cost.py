"""A cost limit per request that approximates how many objects could come back.

Each field costs 1, and a field taking `first: N` (or a search with `page.limit: N`, default 20)
multiplies the cost of what is selected under it by N. Variables and their defaults are resolved
first. Fragments are folded once each (see document_walk), so the cost of a hostile document is
computed in linear time even when its expansion is astronomically large.

The caps alone overstate real cost: `businesses(first: 10) { sets(first: 50) { modules(first: 50)
{ hosts(first: 100) … } } }` multiplies to millions while a real estate returns a few hundred
objects. So a document over the limit on its caps is costed again with each topology connection
bounded by what exists — the largest number of children any parent has, e.g. the most sets of any
business (`resolvers.topology.fan_out`, refreshed every few seconds) — and refused only if it is
still over. The limit stays protective: the bound grows with the data, never past `first`.

Example: `businesses(first: 10) { nodes { sets(first: 20) { nodes { name } } } }` costs on its caps
1 + 10 × (1 + (1 + 20 × (1 + 1))) = 421; with 3 businesses of at most 2 sets, 1 + 3 × (1 + (1 + 2 × 2)) = 19.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    OperationDefinitionNode,
    value_from_ast_untyped,
)

from opsgraph.resolvers.topology.fan_out import topology_fan_out
from opsgraph.schema.extensions.document_walk import FragmentFolder, selected_operations
from opsgraph.schema.extensions.pre_validation import PreValidationCheck, limit_error

_MULTIPLIER_ARGUMENTS = ("first", "limit")
_DEFAULT_SEARCH_LIMIT = 20
_SATURATED = 2**62  # costs stop growing here: far above any limit, and ints stay small


class _Cost(FragmentFolder[int]):
    def __init__(
        self,
        document: DocumentNode,
        variables: dict[str, Any],
        *,
        schema: GraphQLSchema | None = None,
        bounds: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        super().__init__(document, schema)
        self.variables = variables
        self.bounds = bounds or {}

    def fold_field(self, field: FieldNode, child: int | None, parent_type: GraphQLNamedType | None) -> int:
        if child is None:
            return 1
        multiplier = _multiplier(field, self.variables)
        if parent_type is not None:
            bound = self.bounds.get((parent_type.name, field.name.value))
            if bound is not None:
                multiplier = min(multiplier, max(bound, 1))
        return min(1 + multiplier * child, _SATURATED)

    def combine(self, values: Iterable[int]) -> int:
        return min(sum(values), _SATURATED)


class QueryCostLimiter(PreValidationCheck):
    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    async def check(self, document: DocumentNode) -> GraphQLError | None:
        context = self.execution_context
        for operation in selected_operations(document, context.operation_name):
            variables = {**_defaults(operation), **(context.variables or {})}
            cost = _Cost(document, variables).fold_operation(operation)
            if cost <= self.max_cost:
                continue
            bounded = _Cost(document, variables, schema=context.schema._schema, bounds=await topology_fan_out())
            cost = bounded.fold_operation(operation)
            if cost > self.max_cost:
                return limit_error(
                    f"query cost {cost} exceeds the limit of {self.max_cost}; ask for smaller pages",
                    cost=cost,
                    maxCost=self.max_cost,
                )
        return None


def _defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    """Variable defaults count like sent values: `($n: Int = 500)` must not hide a page size."""
    return {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }


def _multiplier(field: FieldNode, variables: dict[str, Any]) -> int:
    """`first`/`limit` arguments, and the page size of `search*(input: {page: {limit}})` (default 20)."""
    for argument in field.arguments or ():
        value = value_from_ast_untyped(argument.value, variables)
        name = argument.name.value
        if name in _MULTIPLIER_ARGUMENTS and isinstance(value, int) and not isinstance(value, bool):
            return max(value, 1)
        if name == "input" and field.name.value.startswith("search"):
            page = value.get("page") if isinstance(value, dict) else None
            limit = page.get("limit") if isinstance(page, dict) else None
            return max(limit, 1) if isinstance(limit, int) and not isinstance(limit, bool) else _DEFAULT_SEARCH_LIMIT
    return _DEFAULT_SEARCH_LIMIT if field.name.value.startswith("search") else 1
