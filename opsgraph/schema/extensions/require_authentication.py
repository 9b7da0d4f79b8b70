"""Refuse every operation from an anonymous caller except `mutation { login }`, before validation.

Resolvers also demand a caller, but this gate covers introspection and typename-only queries, so
nothing at all about the schema leaks before login. It runs first among the pre-validation checks:
an anonymous document is looked at only as far as its top-level fields (linear, tiny), and one
that is not a plain login — fragments included — never reaches the limits or graphql-core.
"""

from __future__ import annotations

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode, OperationType

from opsgraph.schema.extensions.pre_validation import PreValidationCheck

_PUBLIC_MUTATIONS = frozenset({"login", "__typename"})


class RequireAuthentication(PreValidationCheck):
    async def check(self, document: DocumentNode) -> GraphQLError | None:
        context = self.execution_context.context
        if getattr(context, "principal", None) is not None or _is_plain_login(document):
            return None
        message = getattr(context, "auth_error", None) or "authentication required"
        return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


def _is_plain_login(document: DocumentNode) -> bool:
    """One mutation whose top-level fields are all public, and no fragment anywhere."""
    definitions = document.definitions
    if len(definitions) != 1 or not isinstance(definitions[0], OperationDefinitionNode):
        return False
    operation = definitions[0]
    if operation.operation != OperationType.MUTATION:
        return False
    return all(
        isinstance(s, FieldNode) and s.name.value in _PUBLIC_MUTATIONS for s in operation.selection_set.selections
    )
