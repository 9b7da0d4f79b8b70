"""The base of every check that must run before graphql-core validates a document.

graphql-core's validation is the expensive step of a small request, and some of its rules are
super-linear on hostile documents; so the cheap, linear checks (who is asking, depth, aliases, cost)
run first, and the first refusal stops the request: no later check and no validation runs after it.
A refusal is a pre-execution error, answered like a validation error, with `extensions.code`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension


class PreValidationCheck(SchemaExtension):
    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors is None and document is not None:
            error = await self.check(document)
            if error is not None:
                context.pre_execution_errors = [error]
        yield

    async def check(self, document: DocumentNode) -> GraphQLError | None:
        """A refusal, or None to let the request go on."""
        raise NotImplementedError


def limit_error(message: str, **extensions: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "LIMIT_EXCEEDED", **extensions})
