"""The HTTP baseline: the graphql-core schema of `bench.baseline` behind one minimal Starlette route,
served by uvicorn with the same defaults as `opsgraph serve`, so the difference to OpsGraph over
HTTP is our layers (strawberry, extensions, auth, ORM, SQL), not HTTP or JSON.

With `--cache-documents` it keeps each query text's parsed and validated document (as OpsGraph's
parser and validation caches do), so per-request cost is execution, JSON and HTTP only: the floor for
a repeated small query.

Run: python -m bench.baseline_server --data estate.json --port 8100 [--cache-documents]
"""

from __future__ import annotations

import argparse
import inspect
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import uvicorn
from graphql import DocumentNode, GraphQLError, GraphQLSchema, execute, graphql, parse, validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.baseline import build_schema


def create_app(schema: GraphQLSchema, root: dict[str, Any], *, cache_documents: bool = False) -> Starlette:
    @lru_cache(maxsize=512)
    def prepared(query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, [error]
        return document, validate(schema, document)

    async def graphql_route(request: Request) -> JSONResponse:
        body = await request.json()
        if not cache_documents:
            result = await graphql(schema, body["query"], root_value=root, variable_values=body.get("variables"))
            return JSONResponse(result.formatted)
        document, errors = prepared(body["query"])
        if document is None or errors:
            return JSONResponse({"data": None, "errors": [error.formatted for error in errors]})
        executed = execute(schema, document, root_value=root, variable_values=body.get("variables"))
        outcome = await executed if inspect.isawaitable(executed) else executed
        return JSONResponse(outcome.formatted)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/graphql", graphql_route, methods=["POST"]), Route("/healthz", healthz)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="JSON: {businesses: [...], searchHosts: [...]}")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cache-documents", action="store_true", help="parse and validate each query text once")
    args = parser.parse_args()
    root = json.loads(args.data.read_text())
    app = create_app(build_schema(), root, cache_documents=args.cache_documents)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
