"""Strawberry's ParserCache, but a document that fails to parse is left to strawberry's own parse
step, whose errors go through the normal error path (tagged GRAPHQL_VALIDATION by DomainErrors)
instead of escaping before it. Failed parses are not cached (lru_cache never caches exceptions).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache


class TolerantParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except GraphQLError:
            context.graphql_document = None
        yield
