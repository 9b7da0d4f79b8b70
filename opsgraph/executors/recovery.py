"""Start-up: no task stays "running" forever.

Tasks that were running when the process died become ABNORMAL; their hosts without a result get
ABNORMAL with the reason INTERRUPTED. Hosts that were mid-command are reconnected to first and
their recorded remote process group is killed (executors/remote_processes.py), so nothing keeps
running behind an INTERRUPTED host. Hosts that had finished keep their results and logs.
Task-end callbacks that were not delivered yet are sent again, and so are OpenC3 task notices.
Tasks that never started (PENDING) are queued again, and so are tasks waiting for a confirmation
(they wait again).

PIPELINE tasks are the pipeline engine's: it resumes each started run from its stored node states
(a sleep waits what is left, a pause node waits again, a job node follows its job, an interrupted
node it cannot resume FAILS with the reason), so none stays RUNNING and none is queued here.
"""

from __future__ import annotations

import logging

from opsgraph.core.events import EventBus
from opsgraph.core.settings import Settings
from opsgraph.executors.callbacks import redeliver_pending_callbacks
from opsgraph.executors.fencing import Fence, OwnerLost
from opsgraph.executors.recorder import TaskRecorder
from opsgraph.executors.remote_processes import forget_task, stop_interrupted_commands
from opsgraph.executors.task_end import announce_task_end
from opsgraph.executors.tree_task_notices import sweep_missed_tree_notices
from opsgraph.models.tasks import HostFailure, Task, TaskHostResult, TaskKind, TaskStatus, TaskStep

log = logging.getLogger("opsgraph.recovery")
_INTERRUPTED = "the server stopped while this was running"


async def resolve_interrupted_tasks(settings: Settings, bus: EventBus) -> tuple[list[int], list[int]]:
    """Returns (tasks marked ABNORMAL, PENDING tasks to queue again)."""
    resolved: list[int] = []
    for task in await Task.filter(status__in=[TaskStatus.RUNNING, TaskStatus.CANCELLING]).exclude(
        kind=TaskKind.PIPELINE
    ):
        await resolve_interrupted_task(task, settings, bus, _INTERRUPTED)
        resolved.append(task.id)
        log.warning("task %s was interrupted by a restart; marked ABNORMAL", task.id)
    await redeliver_pending_callbacks(settings)
    await sweep_missed_tree_notices()
    rows = (
        await Task.filter(status__in=[TaskStatus.PENDING, TaskStatus.WAITING])
        .exclude(kind=TaskKind.PIPELINE)
        .order_by("id")
        .values("id")
    )
    await resume_pipelines()
    return resolved, [int(row["id"]) for row in rows]


async def resolve_interrupted_task(
    task: Task, settings: Settings, bus: EventBus, reason: str, fence: Fence | None = None
) -> None:
    """End one task whose runner is gone: stop what it left running on hosts, then mark what did
    not finish ABNORMAL / INTERRUPTED (saying whether a command was killed), the task ABNORMAL.
    `fence`: the lease this is done under (its writes stop if that lease is lost meanwhile)."""
    notes = await stop_interrupted_commands(task.id, settings)
    recorder = TaskRecorder(task, bus, max_log_bytes=settings.max_log_bytes_per_host, fence=fence)
    try:
        for result in await TaskHostResult.filter(task_id=task.id, status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]):
            note = notes.get(result.id)
            error = f"{reason}; {note}" if note else reason
            await recorder.host_status(result, TaskStatus.ABNORMAL, failure=HostFailure.INTERRUPTED, error=error)
        for step in await TaskStep.filter(
            task_id=task.id, status__in=[TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.WAITING]
        ):
            await recorder.step_status(step, TaskStatus.ABNORMAL)
        await recorder.task_status(TaskStatus.ABNORMAL, error=reason)
    except OwnerLost:
        return  # someone else resolves it now (the fence logged it)
    finally:
        await recorder.stop()
    if fence is not None and fence.lost.is_set():
        return
    await forget_task(task.id)
    await announce_task_end(task.id)


async def resume_pipelines() -> None:
    from opsgraph.executors.pipeline.engine import installed_pipeline_engine

    engine = installed_pipeline_engine()
    if engine is not None:
        resumed = await engine.recover()
        if resumed:
            log.warning("pipeline tasks %s were interrupted by a restart; resumed", resumed)
