"""The ASGI application: GraphQL at /graphql (GraphiQL on GET), agent heartbeats, the REST compat
paths, /healthz.

Lives above `core` because it wires every layer together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from opsgraph.agent_api import agent_routes
from opsgraph.compat_rest import rest_routes
from opsgraph.core.db import close_database, open_database
from opsgraph.core.events import event_bus
from opsgraph.core.settings import Settings, get_settings
from opsgraph.core.sql_count import SqlCountMiddleware
from opsgraph.executors.callbacks import wait_for_callbacks
from opsgraph.executors.host_keys import DatabaseHostKeyStore
from opsgraph.executors.queue import InProcessQueue, install_queue
from opsgraph.executors.recovery import resolve_interrupted_tasks
from opsgraph.executors.runner import TaskRunner
from opsgraph.executors.scheduler import run_scheduler
from opsgraph.http.graphiql import graphiql_asset_routes
from opsgraph.http.graphql_view import OpsGraphGraphQL
from opsgraph.http.request_limits import RequestLimits
from opsgraph.resolvers.topology.bootstrap import ensure_builtin_records

log = logging.getLogger("opsgraph")


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
            *graphiql_asset_routes(),
            *agent_routes(),  # before the compat dialects: OpenC3 owns the rest of /api/agent/
            *rest_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    if settings.debug_sql_count:
        app.add_middleware(SqlCountMiddleware)
    app.add_middleware(RequestLimits, settings=settings)  # added last: runs first
    return app
