"""A cost limit per request: each field costs 1, and a field taking `first: N` multiplies the cost
of what is selected under it by N, so cost approximates the number of objects that could come back.

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
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

_MULTIPLIER_ARGUMENTS = ("first", "limit")


class QueryCostLimiter(SchemaExtension):
    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None and not self.execution_context.result:
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            variables = self.execution_context.variables or {}
            name = self.execution_context.operation_name
            for operation in document.definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                if name is not None and (operation.name is None or operation.name.value != name):
                    continue
                cost = _selection_cost(operation.selection_set, fragments, variables, 0)
                if cost > self.max_cost:
                    error = GraphQLError(
                        f"query cost {cost} exceeds the limit of {self.max_cost}; ask for smaller pages",
                        extensions={"code": "LIMIT_EXCEEDED", "cost": cost, "maxCost": self.max_cost},
                    )
                    self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield


def _multiplier(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value not in _MULTIPLIER_ARGUMENTS:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(int(value.value), 1)
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
            if isinstance(raw, int):
                return max(raw, 1)
    return 1


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
