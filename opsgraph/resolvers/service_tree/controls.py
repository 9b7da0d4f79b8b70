"""OpenC3 subtask controls and kill, carried out on our tasks.

- `running` (retry) and `ignore` and `fail` apply to a step in `decision` (failed, task ended
  FAILED, nobody decided yet): retry re-runs the step's failed hosts and carries on; ignore marks
  the step SKIPPED and carries on with the next steps; fail keeps the task failed and records
  "stop by <user>" as its reason.
- `next` releases a paused step; our runs do not pause between steps, so it changes nothing.
- POST needs level 2 (write), PUT level 1 (control) and only allows next / running, as upstream.
- kill (`/slave/:slavename/killtask/:uuid`) cancels the task: running commands are killed.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.executors.queue import task_queue
from opsgraph.models.service_tree import TreeTask
from opsgraph.models.tasks import Task, TaskStatus, TaskStep
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.service_tree.access import CONTROL, WRITE, node_for, require_level
from opsgraph.resolvers.service_tree.tasks import subtask_status
from opsgraph.resolvers.tasks.control import cancel_task, retry_failed_hosts
from opsgraph.resolvers.topology.common import write_transaction

CONTROLS = ("next", "fail", "running", "ignore")
PUT_CONTROLS = ("next", "running")


async def _find(principal: Principal, tree_id: int, task_uuid: str, level: int) -> tuple[TreeTask, Task]:
    node = await node_for(principal, tree_id, level)
    record = await TreeTask.get_or_none(uuid=task_uuid, tree_id=node.tree_id)
    task = await Task.get_or_none(id=record.task_id) if record is not None and record.task_id else None
    if record is None or task is None:
        raise NotFound(f"tree node {tree_id} has no task {task_uuid}", field="taskuuid")
    return record, task


async def control_subtask(
    principal: Principal, tree_id: int, task_uuid: str, subtask_uuid: str, control: str, *, put: bool = False
) -> TreeTask:
    allowed = PUT_CONTROLS if put else CONTROLS
    if control not in allowed:
        raise ValidationFailed(f"check format fail control: must be one of {', '.join(allowed)}", field="control")
    record, task = await _find(principal, tree_id, task_uuid, CONTROL if put else WRITE)
    steps = await TaskStep.filter(task_id=task.id).order_by("position").values("id", "position", "status", "config")
    step = next((s for s in steps if ((s["config"] or {}).get("openc3") or {}).get("uuid") == subtask_uuid), None)
    if step is None:
        raise NotFound(f"task {task_uuid} has no subtask {subtask_uuid}", field="subtaskuuid")
    if control == "next":
        return record
    state = {"status": task.status, "decisions": record.decisions}
    if subtask_status(step, state) != "decision":
        raise Conflict(f"subtask {subtask_uuid} is not waiting for a decision", code="NOT_DECISION")
    decisions = {**record.decisions, str(step["position"]): control}
    if control == "running":
        await retry_failed_hosts(principal, task.id)
        decisions.pop(str(step["position"]))
        await TreeTask.filter(id=record.id).update(decisions=decisions)
        return record
    async with write_transaction():
        updates: dict[str, Any] = {"decisions": decisions}
        if control == "fail":
            updates["reason"] = f"stop by {principal.username}"
        await TreeTask.filter(id=record.id).update(**updates)
        if control == "ignore":
            await TaskStep.filter(id=step["id"]).update(status=TaskStatus.SKIPPED)
            await Task.filter(id=task.id).update(status=TaskStatus.PENDING, error="", cancel_requested=False)
        await record_operation(
            principal,
            op_type=control,
            op_target="tree_task",
            op_desc=f"{control} subtask {subtask_uuid} of task {task_uuid}",
            business_id=task.business_id,
            inst_id=task.id,
            ext_key=task_uuid,
        )
    if control == "ignore":
        await task_queue().submit(task.id)  # the runner skips SKIPPED steps and carries on
    return record


async def kill_tree_task(principal: Principal, task_uuid: str) -> TreeTask:
    record = await TreeTask.get_or_none(uuid=task_uuid)
    if record is None or not record.task_id or not principal.can(record.business_id):
        raise NotFound(f"task {task_uuid} does not exist", field="uuid")
    node = await node_for(principal, record.tree_id)
    require_level(principal, node, CONTROL)
    await cancel_task(principal, record.task_id)
    await TreeTask.filter(id=record.id).update(reason=f"killed by {principal.username}")
    return record
