"""Strawberry's ValidationCache, skipped once an earlier check refused the request, and off the event
loop for large documents (see off_loop).

The stock extension validates unconditionally and overwrites the refusal; here a refused document is
never handed to graphql-core. The validation rules are the schema's fixed defaults (our limits are
extensions, not per-request rule classes), so the cache key is stable and repeated documents hit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import ValidationCache

from opsgraph.schema.extensions.off_loop import run_sized


class GuardedValidationCache(ValidationCache):
    async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        if context.pre_execution_errors is None:
            context.pre_execution_errors = await run_sized(
                context.query,
                self.cached_validate_document,
                context.schema._schema,
                context.graphql_document,
                context.validation_rules,
            )
        yield
