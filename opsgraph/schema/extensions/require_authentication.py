"""Refuse every operation from an anonymous caller except `mutation { login }`.

Resolvers also demand a caller, but this gate covers introspection and typename-only queries, so
nothing at all about the schema leaks before login.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode, OperationType
from strawberry.extensions import SchemaExtension

_PUBLIC_MUTATIONS = frozenset({"login", "__typename"})


class RequireAuthentication(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if getattr(context, "principal", None) is None and not self._is_login_only():
            message = getattr(context, "auth_error", None) or "authentication required"
            error = GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

    def _is_login_only(self) -> bool:
        document = self.execution_context.graphql_document
        if document is None:
            return False
        name = self.execution_context.operation_name
        operations = [
            d
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode) and (name is None or (d.name and d.name.value == name))
        ]
        if len(operations) != 1 or operations[0].operation != OperationType.MUTATION:
            return False
        selections = operations[0].selection_set.selections
        return all(isinstance(s, FieldNode) and s.name.value in _PUBLIC_MUTATIONS for s in selections)
