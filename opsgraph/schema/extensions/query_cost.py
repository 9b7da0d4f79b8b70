"""A cost limit per request: each field costs 1, and a field taking `first: N` (or a search with
`page.limit: N`) multiplies the cost of what is selected under it by N, so cost approximates the
number of objects that could come back. Variables and their defaults are resolved first.

Example: `businesses(first: 10) { nodes { sets(first: 20) { nodes { name } } } }` costs
1 + 10 × (1 + (1 + 20 × (1 + 1))) = 421.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

_MULTIPLIER_ARGUMENTS = ("first", "limit")
_DEFAULT_SEARCH_LIMIT = 20


class QueryCostLimiter(SchemaExtension):
    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None and not self.execution_context.result:
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            name = self.execution_context.operation_name
            for operation in document.definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                if name is not None and (operation.name is None or operation.name.value != name):
                    continue
                variables = {**_defaults(operation), **(self.execution_context.variables or {})}
                cost = _selection_cost(operation.selection_set, fragments, variables, 0)
                if cost > self.max_cost:
                    error = GraphQLError(
                        f"query cost {cost} exceeds the limit of {self.max_cost}; ask for smaller pages",
                        extensions={"code": "LIMIT_EXCEEDED", "cost": cost, "maxCost": self.max_cost},
                    )
                    self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield


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
        if name in _MULTIPLIER_ARGUMENTS and isinstance(value, int):
            return max(value, 1)
        if name == "input" and field.name.value.startswith("search"):
            page = value.get("page") if isinstance(value, dict) else None
            limit = page.get("limit") if isinstance(page, dict) else None
            return max(limit, 1) if isinstance(limit, int) else _DEFAULT_SEARCH_LIMIT
    return _DEFAULT_SEARCH_LIMIT if field.name.value.startswith("search") else 1


def _selection_cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    depth: int,
) -> int:
    if selection_set is None or depth > 64:  # depth is also limited separately; this guards recursion
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = _selection_cost(selection.selection_set, fragments, variables, depth + 1)
            total += 1 + _multiplier(selection, variables) * inner
        elif isinstance(selection, InlineFragmentNode):
            total += _selection_cost(selection.selection_set, fragments, variables, depth + 1)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _selection_cost(fragment.selection_set, fragments, variables, depth + 1)
    return total
