"""Strawberry's ParserCache, but a document that fails to parse is left to strawberry's own parse
step, whose errors go through the normal error path (tagged GRAPHQL_VALIDATION by DomainErrors)
instead of escaping before it. Failed parses are not cached (lru_cache never caches exceptions).
Large documents are parsed off the event loop (see off_loop).

graphql-core's parser is recursive: a document of thousands of nested brackets (still under the
token limit) exhausts the stack. That is the caller's malformed document, answered as one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache

from opsgraph.schema.extensions.document_walk import DocumentTooDeep
from opsgraph.schema.extensions.off_loop import run_sized


class TolerantParserCache(ParserCache):
    async def on_parse(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        try:
            context.graphql_document = await run_sized(
                context.query, self.cached_parse_document, context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        except RecursionError as exc:
            raise DocumentTooDeep() from exc
        yield
