"""Telling the caller a task ended: POST to its callback URL.

Better than bk-job's single retry: up to `callback_attempts` tries with exponential backoff, a
signature header (HMAC-SHA256 of timestamp + body with the calling app's secret), and the outcome
recorded on the task (`callback_status`, `callback_attempts`, `callback_error`).

The task row is the outbox, for every kind of task (jobs, pipeline runs, …): `callback_status`
stays "" / RETRYING until an attempt ends it, so a callback cut short by a crash is sent again
(`redeliver_pending_callbacks`: by recovery at start-up, and by the task supervisor in the
distributed deployment, where a lease `callback:<task id>` makes one process at a time deliver it).
A redelivery resumes the attempt count and does nothing once the callback is settled (DELIVERED or
FAILED), so a callback is delivered once per ending. A run that can end more than once (a pipeline
retried after it failed) owes a new callback each time: its recorder sets `callback_status` back to
"" in the transaction that ends it. Every attempt of one ending carries the same
`X-OpsGraph-Delivery-Id` (task id + end time), so a receiver can drop a duplicate (at least once:
a crash between the receiver's answer and our record sends it again).

The body depends on who asked: one renderer per protocol, OpsGraph's own shape by default and the
BlueKing ones of callback_bodies.py ("bk_job", "bk_sops") built in, so that any process ending a
task (a server, an `opsgraph worker`) sends the body its caller asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from opsgraph.core.crypto import SecretBox
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.callback_bodies import BK_JOB, BK_SOPS, bk_job_body, bk_sops_body
from opsgraph.models.identity import App
from opsgraph.models.tasks import FINISHED_STATUSES, Task, TaskKind, TaskStep

log = logging.getLogger("opsgraph.callbacks")

# (task, steps) as plain dicts, so dialect renderers in compat_rest never handle models.
Renderer = Callable[[dict[str, Any], list[dict[str, Any]]], dict[str, Any]]
SIGNATURE_HEADER = "X-OpsGraph-Signature"
TIMESTAMP_HEADER = "X-OpsGraph-Timestamp"
DELIVERY_ID_HEADER = "X-OpsGraph-Delivery-Id"
OWED = ("", "RETRYING")  # callback_status values of a callback still to deliver


def _default_body(task: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "taskId": task["id"],
        "kind": task["kind"],
        "status": task["status"],
        "error": task["error"],
        "steps": [{"stepId": s["id"], "position": s["position"], "status": s["status"]} for s in steps],
    }


RENDERERS: dict[str, Renderer] = {"opsgraph": _default_body, BK_JOB: bk_job_body, BK_SOPS: bk_sops_body}
_pending: set[asyncio.Task[None]] = set()


def register_renderer(protocol: str, renderer: Renderer) -> None:
    RENDERERS[protocol] = renderer


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_id(task_id: int, finished_at: datetime | None) -> str:
    """The same for every attempt at one ending's callback, different for a later ending."""
    ended = int(finished_at.timestamp() * 1000) if finished_at is not None else 0
    return f"task-{task_id}-{ended}"


def schedule_callback(task_id: int, settings: Settings, *, only_if_owed: bool = False) -> None:
    """Fire and forget (tracked, so shutdown can wait): the runner's slot is not held meanwhile.
    `only_if_owed`: send nothing when the row says the callback is already settled."""
    job = asyncio.create_task(deliver_callback(task_id, settings, only_if_owed=only_if_owed))
    _pending.add(job)
    job.add_done_callback(_pending.discard)


async def wait_for_callbacks(timeout: float) -> None:
    if _pending:
        await asyncio.wait(list(_pending), timeout=timeout)


def _lease_seconds(settings: Settings) -> float:
    """Long enough for every attempt and its backoff."""
    return settings.callback_attempts * (settings.callback_timeout + 30) + 30


async def redeliver_pending_callbacks(
    settings: Settings, *, older_than: float = 0.0, kinds: list[TaskKind] | None = None
) -> int:
    """Send again the callbacks of ended tasks (of `kinds`, default all) that no attempt has
    settled, in this process's dialects. Returns how many were scheduled."""
    moment = datetime.now(tz=UTC) - timedelta(seconds=older_than)
    query = Task.filter(status__in=list(FINISHED_STATUSES), callback_status__in=list(OWED), finished_at__lte=moment)
    if kinds is not None:
        query = query.filter(kind__in=kinds)
    rows = await query.exclude(callback_url="").order_by("id").limit(500).values("id", "params")
    # A protocol with no renderer here (a newer server's, during a rolling upgrade) is left to a
    # process that has it, rather than sent in the wrong shape.
    ids = [int(row["id"]) for row in rows if _protocol(row["params"]) in RENDERERS]
    if leases.leases_enabled():
        held = await leases.live_holders(f"callback:{task_id}" for task_id in ids)
        ids = [task_id for task_id in ids if f"callback:{task_id}" not in held]
    for task_id in ids:
        schedule_callback(task_id, settings, only_if_owed=True)
    return len(ids)


def _protocol(params: Any) -> str:
    chosen = params.get("callback_protocol") if isinstance(params, dict) else None
    return str(chosen or "opsgraph")


async def deliver_callback(
    task_id: int,
    settings: Settings,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    *,
    only_if_owed: bool = False,
) -> None:
    if not leases.leases_enabled():
        await _deliver_callback(task_id, settings, sleep, only_if_owed)
        return
    name = f"callback:{task_id}"
    if not await leases.acquire(name, _lease_seconds(settings)):
        return  # another process is delivering it
    try:
        await _deliver_callback(task_id, settings, sleep, only_if_owed)
    finally:
        await leases.release(name)


async def _deliver_callback(
    task_id: int, settings: Settings, sleep: Callable[[float], Awaitable[None]], only_if_owed: bool
) -> None:
    task = await Task.get_or_none(id=task_id)
    if task is None or not task.callback_url:
        return
    first = 1
    if only_if_owed:
        if task.callback_status not in OWED:
            return  # settled by an earlier attempt (here or in another process)
        first = task.callback_attempts + 1 if task.callback_status == "RETRYING" else 1
    steps = [
        {"id": s.id, "position": s.position, "kind": s.kind, "status": str(s.status)}
        for s in await TaskStep.filter(task_id=task_id).order_by("position")
    ]
    facts = {"id": task.id, "kind": str(task.kind), "status": str(task.status), "error": task.error}
    renderer = RENDERERS.get(_protocol(task.params))
    if renderer is None:  # not our dialect (see redeliver_pending_callbacks): another process sends it
        log.warning("callback for task %s: no renderer for %r here", task_id, _protocol(task.params))
        return
    body = json.dumps(renderer(facts, steps), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", DELIVERY_ID_HEADER: delivery_id(task.id, task.finished_at)}
    app = await App.get_or_none(code=task.app_code) if task.app_code else None
    app_secret = SecretBox(settings.secret_key).decrypt(app.secret_encrypted) if app and app.secret_encrypted else ""
    error = task.callback_error or "out of attempts"
    async with httpx.AsyncClient(timeout=settings.callback_timeout, follow_redirects=False) as client:
        for attempt in range(first, settings.callback_attempts + 1):
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            if app_secret:
                headers[SIGNATURE_HEADER] = sign(app_secret, timestamp, body)
            try:
                response = await client.post(task.callback_url, content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    await _record(task_id, "DELIVERED", attempt, "")
                    return
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            await _record(task_id, "RETRYING", attempt, error)
            if attempt < settings.callback_attempts:
                await sleep(min(2 ** (attempt - 1), 30))
    log.warning("callback for task %s gave up after %s attempts: %s", task_id, settings.callback_attempts, error)
    await _record(task_id, "FAILED", settings.callback_attempts, error)


async def _record(task_id: int, status: str, attempts: int, error: str) -> None:
    await Task.filter(id=task_id).update(
        callback_status=status, callback_attempts=attempts, callback_error=error[:1024]
    )
