"""Refuse documents with more than `max_aliases` aliases, counted as written (each definition once).

What a fragment spread many times would cost at run time is the cost limit's business; this limit is
about the document itself, so it is one linear pass over its definitions.
"""

from __future__ import annotations

from graphql import DocumentNode, FieldNode, GraphQLError, SelectionSetNode

from opsgraph.schema.extensions.pre_validation import PreValidationCheck, limit_error


def count_aliases(document: DocumentNode) -> int:
    count = 0
    pending: list[SelectionSetNode] = [
        selection_set for d in document.definitions if (selection_set := getattr(d, "selection_set", None)) is not None
    ]
    while pending:  # iterative: nesting depth is bounded by the depth limit, not by this walk
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode) and selection.alias is not None:
                count += 1
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return count


class AliasLimit(PreValidationCheck):
    def __init__(self, *, max_aliases: int) -> None:
        self.max_aliases = max_aliases

    async def check(self, document: DocumentNode) -> GraphQLError | None:
        count = count_aliases(document)
        if count > self.max_aliases:
            return limit_error(
                f"{count} aliases exceed the maximum of {self.max_aliases}", aliases=count, maxAliases=self.max_aliases
            )
        return None
