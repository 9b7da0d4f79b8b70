"""The task supervisor of the distributed deployment: one pass every `lease / 3` s, in the one
worker holding the `task-supervisor` lease (executors/leases.py), so a worker that dies is noticed
by another within about `worker_lease_seconds` + `worker_lease_seconds / 3` (≤ 60 s by default).

Each pass, over the tasks that are not finished and whose lease `task:<id>` nobody holds:
- RUNNING / CANCELLING in a sharded step (executors/sharding): its hosts run on other workers, so
  the task is queued again and the worker that takes it carries it on as its new owner;
- other RUNNING / CANCELLING: their worker died. The supervisor takes the task's lease itself, kills the
  remote commands that worker left running and marks the unfinished hosts INTERRUPTED and the task
  ABNORMAL (executors/recovery.py `resolve_interrupted_task`); finished hosts keep their results;
- PENDING / WAITING: queued again once their `queued:` mark has expired (the message was lost with
  a Redis restart, or a worker stopped while the task waited for an approval). A duplicate message
  is harmless: only the lease holder runs a task.
Messages that workers took and did not finish handling before they died (a worker's list
`opsgraph:taking:<holder>`, executors/taskiq_queue.py) go back onto the queue once that worker's
presence lease has expired, so a message taken by a worker killed before it leased the task is
run again within about `worker_lease_seconds` + one pass, not `requeue_after_seconds`.
Then the task-end callbacks that no process is delivering are sent again, and the OpenC3 task
notices a dead worker did not send (executors/tree_task_notices.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from opsgraph.core.events import event_bus
from opsgraph.core.metrics import TASKS_RESOLVED
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.callbacks import redeliver_pending_callbacks
from opsgraph.executors.fencing import Fence
from opsgraph.executors.queue import TaskQueue
from opsgraph.executors.recovery import resolve_interrupted_task
from opsgraph.executors.sharding.layout import sharded_step_open
from opsgraph.executors.taskiq_queue import DistributedQueue, queued_mark, task_lease
from opsgraph.executors.tree_task_notices import sweep_missed_tree_notices
from opsgraph.models.tasks import Task, TaskKind, TaskStatus

log = logging.getLogger("opsgraph.supervisor")
SUPERVISOR_LEASE = "task-supervisor"
_BATCH = 2000
_ORPHANED = "the worker running this task stopped"
_NOTICE_WINDOW = timedelta(minutes=10)  # OpenC3 end notices a dead worker did not send
_RUN_AWAY = {TaskStatus.RUNNING, TaskStatus.CANCELLING}


async def supervise_once(settings: Settings, queue: TaskQueue) -> dict[str, int]:
    """One pass; returns what it did (resolved, requeued, callbacks)."""
    rows = await (
        Task.filter(status__in=[TaskStatus.RUNNING, TaskStatus.CANCELLING, TaskStatus.WAITING, TaskStatus.PENDING])
        .exclude(kind=TaskKind.PIPELINE)
        .order_by("id")
        .limit(_BATCH)
        .values("id", "status", "created_at")
    )
    names = [task_lease(r["id"]) for r in rows] + [queued_mark(r["id"]) for r in rows]
    held = await leases.live_holders(names)
    resolved = requeued = 0
    young = datetime.now(tz=UTC) - timedelta(seconds=1)
    for row in rows:
        task_id = int(row["id"])
        if task_lease(task_id) in held:
            continue
        if TaskStatus(row["status"]) in _RUN_AWAY and await sharded_step_open(task_id):
            if queued_mark(task_id) not in held:
                await queue.submit(task_id)  # a new owner resumes the step's barrier
                requeued += 1
        elif TaskStatus(row["status"]) in _RUN_AWAY:
            resolved += await _resolve(task_id, settings)
        elif queued_mark(task_id) not in held and row["created_at"] < young:
            await queue.submit(task_id)
            requeued += 1
    if isinstance(queue, DistributedQueue):
        requeued += await queue.restore_deliveries()  # messages taken by workers that died
    callbacks = await redeliver_pending_callbacks(settings, older_than=float(settings.worker_lease_seconds))
    await sweep_missed_tree_notices(_NOTICE_WINDOW, older_than=float(settings.worker_lease_seconds))
    if resolved or requeued:
        log.warning("supervisor: %s orphaned task(s) resolved, %s task(s) queued again", resolved, requeued)
    return {"resolved": resolved, "requeued": requeued, "callbacks": callbacks}


async def _resolve(task_id: int, settings: Settings) -> int:
    """Resolve under the task's own lease, so its worker (if it was only slow) cannot race us."""
    name = task_lease(task_id)
    epoch = await leases.take(name, float(settings.worker_lease_seconds))
    if epoch is None:
        return 0
    try:
        task = await Task.get_or_none(id=task_id)
        if task is None or task.status not in _RUN_AWAY:
            return 0  # it ended between our two reads
        log.warning("task %s lost its worker: stopping its remote commands and resolving it", task_id)
        await resolve_interrupted_task(task, settings, event_bus, _ORPHANED, Fence(name, leases.HOLDER, epoch))
        TASKS_RESOLVED.inc()
        return 1
    finally:
        await leases.release(name)


async def run_supervisor(settings: Settings, queue: TaskQueue) -> None:
    interval = max(1.0, settings.worker_lease_seconds / 3)
    await leases.run_exclusively(
        SUPERVISOR_LEASE,
        interval,
        lambda: supervise_once(settings, queue),
        lease_seconds=float(settings.worker_lease_seconds),
    )
