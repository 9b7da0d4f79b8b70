"""The ASGI application: GraphQL at /graphql (GraphiQL on GET), agent heartbeats, the REST compat
paths, /healthz.

Lives above `core` because it wires every layer together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from opsgraph.agent_api import agent_routes
from opsgraph.compat_rest import rest_routes
from opsgraph.core.db import close_database, open_database
from opsgraph.core.errors import AuthenticationError
from opsgraph.core.events import event_bus
from opsgraph.core.settings import Settings, get_settings
from opsgraph.core.sql_count import SqlCountMiddleware
from opsgraph.executors.callbacks import wait_for_callbacks
from opsgraph.executors.host_keys import DatabaseHostKeyStore
from opsgraph.executors.queue import InProcessQueue, install_queue
from opsgraph.executors.recovery import resolve_interrupted_tasks
from opsgraph.executors.runner import TaskRunner
from opsgraph.executors.scheduler import run_scheduler
from opsgraph.resolvers.identity import principal_from_token
from opsgraph.resolvers.topology.bootstrap import ensure_builtin_records
from opsgraph.schema import schema
from opsgraph.schema.context import GraphQLContext
from opsgraph.schema.mutations.identity import TOKEN_COOKIE

log = logging.getLogger("opsgraph")


def bearer_token(headers: Any, cookies: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return cookies.get(TOKEN_COOKIE) or None


class OpsGraphGraphQL(GraphQL[GraphQLContext, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            keep_alive=True,
            keep_alive_interval=15,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None) -> GraphQLContext:
        context = GraphQLContext(principal=None, settings=self.settings, request=request, response=response)
        token = bearer_token(request.headers, dict(request.cookies))
        if isinstance(request, WebSocket):
            # graphql-transport-ws authenticates from connection_init (see on_ws_connect).
            return context
        if token:
            await self._authenticate(context, token)
        return context

    async def _authenticate(self, context: GraphQLContext, token: str) -> None:
        try:
            context.principal = await principal_from_token(token, self.settings)
            context.token = token
        except AuthenticationError as exc:
            context.auth_error = exc.message

    async def on_ws_connect(self, context: GraphQLContext) -> Any:
        """graphql-transport-ws: the token comes in `connection_init` ({"Authorization": "Bearer …"})."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = str(params.get("Authorization") or params.get("authorization") or params.get("token") or "")
        token = raw.split(" ", 1)[1] if raw.lower().startswith("bearer ") else raw
        if token:
            await self._authenticate(context, token)
        if context.principal is None:
            raise ConnectionRejectionError({"reason": context.auth_error or "authentication required"})
        return None


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_database(settings.database_url)
        await ensure_builtin_records()
        queue = InProcessQueue(
            TaskRunner(settings, event_bus, DatabaseHostKeyStore(strict=settings.ssh_strict_host_keys))
        )
        install_queue(queue)
        _, pending = await resolve_interrupted_tasks(settings, event_bus)
        for task_id in pending:
            await queue.submit(task_id)
        scheduler = asyncio.create_task(run_scheduler(settings.cron_interval_seconds), name="opsgraph-cron")
        try:
            yield
        finally:
            scheduler.cancel()
            await queue.drain()
            await wait_for_callbacks(timeout=5)
            install_queue(None)
            await close_database()

    graphql_app = OpsGraphGraphQL(settings)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            *agent_routes(),  # before the compat dialects: OpenC3 owns the rest of /api/agent/
            *rest_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    if settings.debug_sql_count:
        app.add_middleware(SqlCountMiddleware)
    return app
