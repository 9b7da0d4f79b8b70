"""Tag our errors with `extensions.code`; mask everything else.

Example response for an unauthenticated query:
    {"errors": [{"message": "authentication required", "extensions": {"code": "UNAUTHENTICATED"}}]}
An unexpected exception is logged (by the schema's process_errors) and answered with
"Internal server error" (code INTERNAL),
never with its message or traceback. Syntax and validation errors are the caller's own and pass
through with code GRAPHQL_VALIDATION.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from opsgraph.core.errors import OpsGraphError


class DomainErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(error_message="Internal server error")

    def _process_result(self, result: object) -> None:
        """MaskErrors' own, minus its runtime-Protocol `isinstance` (~10 µs on every result: every
        request, and every subscription event for every subscriber): same test, by attribute."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._tag(error) for error in errors]

    def _tag(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, OpsGraphError):
            extensions = {**(error.extensions or {}), "code": original.code}
            if original.field:
                extensions["field"] = original.field
            return GraphQLError(error.message, error.nodes, error.source, error.positions, error.path, None, extensions)
        if original is None or isinstance(original, GraphQLError):
            # Variable coercion wraps the caller's bad value in a GraphQLError: still their mistake.
            if error.extensions and "code" in error.extensions:
                return error
            extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION"}
            return GraphQLError(error.message, error.nodes, error.source, error.positions, error.path, None, extensions)
        masked = self.anonymise_error(error)
        masked.extensions = {"code": "INTERNAL"}
        return masked
