"""Refuse documents nested deeper than `max_depth` fields, counting fragments where they are spread.

Depth counts fields that have a selection set: `{ businesses(first: 1) { nodes { name } } }` is 2.
Introspection fields (`__schema`, `__type`) do not count, so tools can load the schema. The walk
visits each fragment once (see document_walk), unlike strawberry's QueryDepthLimiter, which follows
every spread path and takes exponential time on fragments that spread each other twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import DocumentNode, FieldNode, GraphQLError, GraphQLNamedType

from opsgraph.schema.extensions.document_walk import FragmentFolder, selected_operations
from opsgraph.schema.extensions.pre_validation import PreValidationCheck, limit_error


class _Depth(FragmentFolder[int]):
    def fold_field(self, field: FieldNode, child: int | None, parent_type: GraphQLNamedType | None) -> int:
        if child is None or field.name.value.startswith("__"):
            return 0
        return 1 + child

    def combine(self, values: Iterable[int]) -> int:
        return max(values, default=0)


class QueryDepthLimit(PreValidationCheck):
    def __init__(self, *, max_depth: int) -> None:
        self.max_depth = max_depth

    async def check(self, document: DocumentNode) -> GraphQLError | None:
        folder = _Depth(document)
        for operation in selected_operations(document, self.execution_context.operation_name):
            depth = folder.fold_operation(operation)
            if depth > self.max_depth:
                name = operation.name.value if operation.name else "anonymous"
                return limit_error(
                    f"'{name}' exceeds maximum operation depth of {self.max_depth}",
                    depth=depth,
                    maxDepth=self.max_depth,
                )
        return None
