"""Start-up: no task stays "running" forever.

Tasks that were running when the process died become ABNORMAL; their hosts without a result get
ABNORMAL with the reason INTERRUPTED. Hosts that had finished keep their results and logs.
Tasks that never started (PENDING) are queued again, and so are tasks waiting for a confirmation
(they wait again).
"""

from __future__ import annotations

import logging

from opsgraph.core.events import EventBus
from opsgraph.core.settings import Settings
from opsgraph.executors.recorder import TaskRecorder
from opsgraph.models.tasks import HostFailure, Task, TaskHostResult, TaskStatus, TaskStep

log = logging.getLogger("opsgraph.recovery")
_INTERRUPTED = "the server stopped while this was running"


async def resolve_interrupted_tasks(settings: Settings, bus: EventBus) -> tuple[list[int], list[int]]:
    """Returns (tasks marked ABNORMAL, PENDING tasks to queue again)."""
    resolved: list[int] = []
    for task in await Task.filter(status__in=[TaskStatus.RUNNING, TaskStatus.CANCELLING]):
        recorder = TaskRecorder(task, bus, max_log_bytes=settings.max_log_bytes_per_host)
        for result in await TaskHostResult.filter(task_id=task.id, status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]):
            await recorder.host_status(result, TaskStatus.ABNORMAL, failure=HostFailure.INTERRUPTED, error=_INTERRUPTED)
        for step in await TaskStep.filter(
            task_id=task.id, status__in=[TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.WAITING]
        ):
            await recorder.step_status(step, TaskStatus.ABNORMAL)
        await recorder.task_status(TaskStatus.ABNORMAL, error=_INTERRUPTED)
        resolved.append(task.id)
        log.warning("task %s was interrupted by a restart; marked ABNORMAL", task.id)
    rows = await Task.filter(status__in=[TaskStatus.PENDING, TaskStatus.WAITING]).order_by("id").values("id")
    return resolved, [int(row["id"]) for row in rows]
