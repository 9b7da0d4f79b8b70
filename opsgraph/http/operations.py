"""Operations endpoints: `/readyz` and `/metrics` (`/healthz`, "the process is alive", is in app.py).

`/readyz` answers 200 when this server can do its work — the database answers and has every
migration this code ships applied, and (distributed deployment) the Redis broker answers — and 503
naming what is missing otherwise, so a load balancer stops sending traffic to it. It says what is
wrong in words; it never shows a password or a stack trace.

`/metrics` is the Prometheus text format; gauges that describe the whole deployment (tasks by
status, queue depth, live worker leases) are read when scraped, at most once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import re
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import Tortoise
from tortoise.migrations.recorder import MigrationRecorder

from opsgraph.core.broker_check import broker_answers
from opsgraph.core.metrics import QUEUE_DEPTH, REGISTRY, TASKS_BY_STATUS, WORKER_LEASES
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.models.tasks import Task, TaskStatus

_MIGRATION = re.compile(r"^(\d{4}_\w+)\.py$")
_CHECK_TIMEOUT = 3.0
_UNFINISHED = [TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.WAITING, TaskStatus.CANCELLING]


def shipped_migrations() -> set[str]:
    names = (entry.name for entry in importlib.resources.files("opsgraph.migrations").iterdir())
    return {match.group(1) for name in names if (match := _MIGRATION.match(name))}


async def _database_check() -> str:
    try:
        connection = Tortoise.get_connection("default")
        await connection.execute_query("SELECT 1")
        applied = {key.name for key in await MigrationRecorder(connection).applied_migrations()}
    except Exception as exc:  # any driver error: the database is not usable now
        return f"database: {type(exc).__name__}: {str(exc)[:200]}"
    missing = sorted(shipped_migrations() - applied)
    if missing:
        return f"migrations not applied: {', '.join(missing)} (run `opsgraph migrate`)"
    return ""


async def readyz(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    checks: dict[str, str] = {}
    try:
        checks["database"] = await asyncio.wait_for(_database_check(), _CHECK_TIMEOUT) or "ok"
    except TimeoutError:
        checks["database"] = f"database: no answer within {_CHECK_TIMEOUT:g} s"
    if settings.distributed:
        checks["broker"] = await broker_answers(settings.broker_url, _CHECK_TIMEOUT) or "ok"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


_last_refresh = 0.0


async def refresh_cluster_gauges(settings: Settings) -> None:
    global _last_refresh
    if time.monotonic() - _last_refresh < 1.0:
        return
    _last_refresh = time.monotonic()
    rows = await _counts_by_status()
    counts = {str(row["status"]): int(row["count"]) for row in rows}
    for status in _UNFINISHED:
        TASKS_BY_STATUS.labels(str(status)).set(counts.get(str(status), 0))
    if settings.distributed:
        from opsgraph.executors.queue import task_queue
        from opsgraph.executors.taskiq_queue import DistributedQueue, queue_depth

        queue = task_queue()
        if isinstance(queue, DistributedQueue):
            try:
                QUEUE_DEPTH.set(await queue_depth(queue.broker))
            except Exception:
                QUEUE_DEPTH.set(float("nan"))
        WORKER_LEASES.labels("task").set(await leases.live_count("task:"))
        WORKER_LEASES.labels("worker").set(await leases.live_count("worker:"))
    else:
        QUEUE_DEPTH.set(counts.get(str(TaskStatus.PENDING), 0))


async def _counts_by_status() -> list[dict[str, Any]]:
    from tortoise.functions import Count

    return list(
        await Task.filter(status__in=_UNFINISHED)
        .annotate(count=Count("id"))
        .group_by("status")
        .values("status", "count")
    )


async def metrics(request: Request) -> Response:
    with contextlib.suppress(Exception):  # the database is away: this process's own counters still count
        await refresh_cluster_gauges(request.app.state.settings)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def operations_routes() -> list[Route]:
    return [Route("/readyz", readyz), Route("/metrics", metrics)]
