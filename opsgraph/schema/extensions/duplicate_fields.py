"""Refuse documents that select one response name many times in one selection set.

graphql-core's OverlappingFieldsCanBeMergedRule compares every pair of fields that share a
response name once fragments are merged: 100 copies of `me { username }` in each of two spread
fragments cost it 200 ms, 400 copies a second — from a document well under the token limit. No
real client repeats a field that often, so the fields a selection set collects (its own, its inline
fragments', its spread fragments', each fragment counted once per spread) may share a response name
at most `max_per_name` times, in every definition of the document (validation visits unused ones
too). Counting is linear: each fragment's collected names are computed once, and counting stops at
the first name over the limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from graphql import DocumentNode, FieldNode, GraphQLError, GraphQLNamedType

from opsgraph.schema.extensions.document_walk import FragmentFolder, selected_operations
from opsgraph.schema.extensions.pre_validation import PreValidationCheck, limit_error


class _Repeated(Exception):
    def __init__(self, name: str, count: int) -> None:
        self.name = name
        self.count = count


class _CollectedNames(FragmentFolder[Counter[str]]):
    def __init__(self, document: DocumentNode, max_per_name: int) -> None:
        super().__init__(document)
        self.max_per_name = max_per_name

    def fold_field(
        self, field: FieldNode, child: Counter[str] | None, parent_type: GraphQLNamedType | None
    ) -> Counter[str]:
        # `child` is complete here (the field's selection set is folded): nothing can add to it.
        return Counter({(field.alias or field.name).value: 1})

    def combine(self, values: Iterable[Counter[str]]) -> Counter[str]:
        total: Counter[str] = Counter()
        for counter in values:
            for name, count in counter.items():
                total[name] += count
                if total[name] > self.max_per_name:
                    raise _Repeated(name, total[name])
        return total


class DuplicateFieldLimit(PreValidationCheck):
    def __init__(self, *, max_per_name: int) -> None:
        self.max_per_name = max_per_name

    async def check(self, document: DocumentNode) -> GraphQLError | None:
        folder = _CollectedNames(document, self.max_per_name)
        try:
            # Every definition, not just what the request runs: validation visits them all.
            for operation in selected_operations(document, None):
                folder.fold_operation(operation)
            for name in folder.fragments:
                folder.fold_fragment(name)
        except _Repeated as repeated:
            return limit_error(
                f"'{repeated.name}' is selected more than {self.max_per_name} times in one selection set; "
                "select it once",
                field=repeated.name,
            )
        return None
