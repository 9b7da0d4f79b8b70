"""The ASGI application: GraphQL at /graphql (GraphiQL on GET), agent heartbeats, the REST compat
paths, /healthz.

Lives above `core` because it wires every layer together.
"""

from __future__ import annotations

import asyncio
import gc
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
from opsgraph.executors.approval_wait import register_job_approvals
from opsgraph.executors.callbacks import wait_for_callbacks
from opsgraph.executors.distributed import start_distributed
from opsgraph.executors.event_delivery import run_event_dispatcher
from opsgraph.executors.host_keys import DatabaseHostKeyStore
from opsgraph.executors.message_delivery import MessageDeliveryWorker
from opsgraph.executors.monitoring.loop import run_monitoring
from opsgraph.executors.pipeline.engine import PipelineEngine, install_pipeline_engine
from opsgraph.executors.queue import InProcessQueue, install_queue
from opsgraph.executors.recovery import resolve_interrupted_tasks, resume_pipelines
from opsgraph.executors.runner import TaskRunner
from opsgraph.executors.scheduler import run_scheduler
from opsgraph.executors.ticket_callbacks import run_ticket_callbacks
from opsgraph.http.graphiql import graphiql_asset_routes
from opsgraph.http.graphql_view import OpsGraphGraphQL
from opsgraph.http.operations import operations_routes
from opsgraph.http.request_context import RequestContext
from opsgraph.http.request_limits import RequestLimits
from opsgraph.monitoring_api import monitoring_routes
from opsgraph.resolvers.topology.bootstrap import ensure_builtin_records

log = logging.getLogger("opsgraph")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def drain_before_shutdown(queue: InProcessQueue) -> None:
    """Before connections close: stop the tasks running here and let their subscribers read the
    final events and complete (see http/draining_server.py)."""
    running = queue.running_ids()
    await queue.drain()
    await event_bus.wait_unsubscribed(running, timeout=5)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await open_database(settings.database_url)
        await ensure_builtin_records()
        # Distributed (OPSGRAPH_BROKER_URL): workers run the tasks, this server only enqueues.
        distributed = await start_distributed(settings) if settings.distributed else None
        queue = InProcessQueue(
            TaskRunner(settings, event_bus, DatabaseHostKeyStore(strict=settings.ssh_strict_host_keys))
        )
        if distributed is None:
            install_queue(queue)
        pipelines = PipelineEngine(settings, event_bus)  # sops runs; recovery below resumes them
        install_pipeline_engine(pipelines)
        register_job_approvals()  # before tasks waiting on an approval ticket are queued again
        if distributed is None:
            _, pending = await resolve_interrupted_tasks(settings, event_bus)
            for task_id in pending:
                await queue.submit(task_id)
        else:
            await resume_pipelines()  # job tasks left by dead workers: the workers' supervisor
        app.state.before_shutdown = lambda: drain_before_shutdown(queue)
        scheduler = asyncio.create_task(run_scheduler(settings.cron_interval_seconds), name="opsgraph-cron")
        ticket_callbacks = asyncio.create_task(run_ticket_callbacks(settings), name="opsgraph-ticket-callbacks")
        events = asyncio.create_task(run_event_dispatcher(settings), name="opsgraph-cmdb-events")
        messages = MessageDeliveryWorker(settings.secret_key)  # the cmsi outbox
        messages.start()
        monitoring = asyncio.create_task(run_monitoring(settings), name="opsgraph-monitoring")
        # What exists now (modules, the schema, the ORM's models) lives as long as the process: out
        # of the collector's reach, collections walk only what requests and events allocate. And
        # collect less often: nearly all of that is freed by reference counting, yet with 1,000
        # subscriptions open the default thresholds (700, 10, 10) cost 1.2-2 s of every ~10 s in
        # the collector, with full collections pausing the loop 300-800 ms (0.36 s and 75 ms with
        # these; bench.subscriptions_bench, the server's gc.callbacks).
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 50)
        try:
            yield
        finally:
            scheduler.cancel()
            monitoring.cancel()
            ticket_callbacks.cancel()
            events.cancel()
            await pipelines.drain()  # stored states stay as they are: the next start resumes them
            await queue.drain()
            await wait_for_callbacks(timeout=5)
            await messages.stop(timeout=5)
            if distributed is not None:
                await distributed.stop()
            install_queue(None)
            install_pipeline_engine(None)
            await close_database()

    graphql_app = OpsGraphGraphQL(settings)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            *operations_routes(),  # /readyz, /metrics
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            *graphiql_asset_routes(),
            *agent_routes(),  # before the compat dialects: OpenC3 owns the rest of /api/agent/
            *monitoring_routes(),  # the alarm ingestion webhook
            *rest_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    if settings.debug_sql_count:
        app.add_middleware(SqlCountMiddleware)
    app.add_middleware(RequestContext)  # request id for the logs, requests counted by dialect
    app.add_middleware(RequestLimits, settings=settings)  # added last: runs first
    return app
