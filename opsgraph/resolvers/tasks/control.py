"""Cancelling, retrying failed hosts and confirming a waiting step."""

from __future__ import annotations

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound
from opsgraph.executors.queue import task_queue
from opsgraph.models.tasks import FINISHED_STATUSES, Task, TaskHostResult, TaskKind, TaskStatus, TaskStep
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.tickets.operations import approve_by_confirmation
from opsgraph.resolvers.topology.common import write_transaction

_RETRYABLE_HOSTS = [TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.ABNORMAL]


async def get_task(principal: Principal, task_id: int, minimum_role: str = "viewer") -> Task:
    task = await Task.get_or_none(id=task_id)
    check_task_access(principal, task_id, task, minimum_role)
    assert task is not None
    return task


def check_task_access(principal: Principal, task_id: int, task: Task | None, minimum_role: str = "viewer") -> None:
    """A task the principal may not see is answered like one that does not exist."""
    if task is None or (task.business_id is not None and not principal.can(task.business_id)):
        raise NotFound(f"task {task_id} does not exist", field="taskId", code="TASK_NOT_FOUND")
    if task.business_id is not None:
        principal.require(task.business_id, minimum_role)


def _not_a_pipeline(task: Task) -> None:
    """A pipeline run is driven by the pipeline engine: its node operations, not the runner's."""
    if task.kind == TaskKind.PIPELINE:
        raise Conflict(
            f"task {task.id} is a pipeline: use operatePipelineTask / operatePipelineNode", code="PIPELINE_TASK"
        )


async def cancel_task(principal: Principal, task_id: int) -> Task:
    task = await get_task(principal, task_id, "operator")
    if task.kind == TaskKind.PIPELINE:  # cancelling a pipeline is revoking it
        from opsgraph.resolvers.pipelines.runs import operate_task

        return await operate_task(principal, task_id, "revoke")
    if task.status in FINISHED_STATUSES:
        raise Conflict(f"task {task_id} has already ended ({task.status})", code="TASK_FINISHED")
    await Task.filter(id=task_id).update(cancel_requested=True)
    await record_operation(
        principal,
        op_type="cancel",
        op_target="task",
        op_desc=f"cancel task {task_id}",
        business_id=task.business_id,
        inst_id=task_id,
    )
    if not await task_queue().cancel(task_id):
        # Not running here (still queued, or its runner is gone): run it so it ends as CANCELLED.
        await task_queue().submit(task_id)
        await task_queue().cancel(task_id)
    return await Task.get(id=task_id)


async def retry_failed_hosts(principal: Principal, task_id: int) -> Task:
    """Re-run only the hosts that did not succeed in the failed step, then carry on."""
    task = await get_task(principal, task_id, "operator")
    _not_a_pipeline(task)
    if task.status not in {TaskStatus.FAILED, TaskStatus.ABNORMAL, TaskStatus.CANCELLED}:
        raise Conflict(f"only a failed task can be retried; task {task_id} is {task.status}", code="TASK_NOT_FAILED")
    failed_steps = await TaskStep.filter(task_id=task_id).exclude(status=TaskStatus.SUCCESS).order_by("position")
    if not failed_steps:
        raise Conflict(f"task {task_id} has nothing to retry", code="TASK_NOT_FAILED")
    async with write_transaction():
        step_ids = [s.id for s in failed_steps]
        await TaskHostResult.filter(step_id__in=step_ids, status__in=_RETRYABLE_HOSTS).update(
            status=TaskStatus.PENDING, failure="", error="", exit_code=None, log="", log_size=0, log_truncated=False
        )
        await TaskStep.filter(id__in=step_ids).update(status=TaskStatus.PENDING)
        await Task.filter(id=task_id).update(status=TaskStatus.PENDING, cancel_requested=False, error="")
        await record_operation(
            principal,
            op_type="retry",
            op_target="task",
            op_desc=f"retry failed hosts of task {task_id}",
            business_id=task.business_id,
            inst_id=task_id,
        )
    await task_queue().submit(task_id)
    return await Task.get(id=task_id)


async def confirm_waiting_step(principal: Principal, task_id: int) -> Task:
    """A job's approval step is an ITSM ticket: confirming approves it as the caller, who must be
    one of its approvers (or a superuser, as an override). Other waiting steps are let go."""
    task = await get_task(principal, task_id)
    _not_a_pipeline(task)
    waiting = await TaskStep.filter(task_id=task_id, status=TaskStatus.WAITING).first()
    if task.status == TaskStatus.WAITING and waiting is not None and waiting.config.get("ticket_id"):
        await approve_by_confirmation(principal, int(waiting.config["ticket_id"]))
        return await Task.get(id=task_id)
    if task.business_id is not None:
        principal.require(task.business_id, "operator")
    if task.status != TaskStatus.WAITING or not await task_queue().confirm(task_id):
        raise Conflict(f"task {task_id} is not waiting for a confirmation", code="TASK_NOT_WAITING")
    await record_operation(
        principal,
        op_type="confirm",
        op_target="task",
        op_desc=f"confirm waiting step of task {task_id}",
        business_id=task.business_id,
        inst_id=task_id,
    )
    return task
