"""One linear walk over a GraphQL document, shared by the limit extensions.

Limits run before graphql-core's validation, on documents nobody has validated yet: fragments may be
unknown, may spread each other in a cycle, or (the attack this module exists for) spread the next
one twice, thirty times over — `fragment F0 on Query {...F1 ...F1}` … — so that expanding spreads
visits 2^30 paths from a 1 KB document. `FragmentFolder` computes one number per selection set
bottom-up and memoizes each fragment's result, so every definition is visited once whatever the
spreads multiply to: linear in the document. A spread that closes a cycle counts as nothing (graphql
-core's NoFragmentCyclesRule reports it during validation).

Example (the depth of a document, fragments counted where they are spread):
    class Depth(FragmentFolder[int]):
        def fold_field(self, field, child, parent_type): return 0 if child is None else 1 + child
        def combine(self, values): return max(values, default=0)
    Depth(document).fold_operation(operation)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)

T = TypeVar("T")


class DocumentTooDeep(GraphQLError):
    """Nesting beyond what the walk (and the interpreter's stack) should follow."""

    def __init__(self) -> None:
        super().__init__("the document is nested too deeply", extensions={"code": "LIMIT_EXCEEDED"})


def selected_operations(document: DocumentNode, operation_name: str | None) -> list[OperationDefinitionNode]:
    """The operation(s) a request runs: the named one, or every operation when no name is given
    (graphql-core then refuses several anonymous ones; counting them all errs on the safe side)."""
    return [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        and (operation_name is None or (definition.name is not None and definition.name.value == operation_name))
    ]


class FragmentFolder(ABC, Generic[T]):
    """Fold a document's selection sets into one value per operation, each fragment once."""

    def __init__(self, document: DocumentNode, schema: GraphQLSchema | None = None) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self._memo: dict[str, T] = {}
        self._visiting: set[str] = set()

    @abstractmethod
    def fold_field(self, field: FieldNode, child: T | None, parent_type: GraphQLNamedType | None) -> T:
        """The value of one field given the folded value of its selection set (None for a leaf)."""

    @abstractmethod
    def combine(self, values: Iterable[T]) -> T:
        """The value of a selection set from the values of its selections."""

    def fold_operation(self, operation: OperationDefinitionNode) -> T:
        root = self.schema.get_root_type(operation.operation) if self.schema is not None else None
        try:
            return self.fold_selection_set(operation.selection_set, root)
        except RecursionError as exc:
            raise DocumentTooDeep() from exc

    def fold_selection_set(self, selection_set: SelectionSetNode, parent_type: GraphQLNamedType | None) -> T:
        values: list[T] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                child = None
                if selection.selection_set is not None:
                    child = self.fold_selection_set(selection.selection_set, self._field_type(parent_type, selection))
                values.append(self.fold_field(selection, child, parent_type))
            elif isinstance(selection, InlineFragmentNode):
                condition = self._named_type(selection.type_condition.name.value) if selection.type_condition else None
                values.append(self.fold_selection_set(selection.selection_set, condition or parent_type))
            elif isinstance(selection, FragmentSpreadNode):
                folded = self._fold_fragment(selection.name.value)
                if folded is not None:
                    values.append(folded)
        return self.combine(values)

    def fold_fragment(self, name: str) -> T | None:
        """A fragment's value (memoized); None for an unknown fragment."""
        try:
            return self._fold_fragment(name)
        except RecursionError as exc:
            raise DocumentTooDeep() from exc

    def _fold_fragment(self, name: str) -> T | None:
        if name in self._memo:
            return self._memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._visiting:
            return None  # unknown fragment or a cycle: validation names it
        self._visiting.add(name)
        try:
            value = self.fold_selection_set(
                fragment.selection_set, self._named_type(fragment.type_condition.name.value)
            )
        finally:
            self._visiting.discard(name)
        self._memo[name] = value
        return value

    def _named_type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name) if self.schema is not None else None

    @staticmethod
    def _field_type(parent_type: GraphQLNamedType | None, field: FieldNode) -> GraphQLNamedType | None:
        if parent_type is None or not (is_object_type(parent_type) or is_interface_type(parent_type)):
            return None
        definition = parent_type.fields.get(field.name.value)
        return get_named_type(definition.type) if definition is not None else None
