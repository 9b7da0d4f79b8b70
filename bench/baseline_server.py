"""The HTTP baseline: the graphql-core schema of `bench.baseline` behind one minimal Starlette route,
served by uvicorn with the same defaults as `opsgraph serve`, so the difference to OpsGraph over
HTTP is our layers (strawberry, extensions, auth, ORM, SQL), not HTTP or JSON.

Run: python -m bench.baseline_server --data estate.json --port 8100
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from graphql import GraphQLSchema, graphql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.baseline import build_schema


def create_app(schema: GraphQLSchema, root: dict[str, Any]) -> Starlette:
    async def graphql_route(request: Request) -> JSONResponse:
        body = await request.json()
        result = await graphql(schema, body["query"], root_value=root, variable_values=body.get("variables"))
        return JSONResponse(result.formatted)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/graphql", graphql_route, methods=["POST"]), Route("/healthz", healthz)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="JSON: {businesses: [...], searchHosts: [...]}")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    root = json.loads(args.data.read_text())
    uvicorn.run(create_app(build_schema(), root), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
