"""OpenC3 subtask controls and kill, carried out on our tasks as upstream's api/subtask.pm does.

- `running` (retry), `ignore` and `fail` apply to a step in `decision` (it failed, its task waits;
  executors/step_holds.py): retry re-runs the step's failed hosts and carries on, ignore marks the
  step SKIPPED and carries on with the next steps, fail ends the task failed and records
  "stop by <user>" as its reason. Anything else: "no update anything", as upstream.
- `next` releases a step's `pause`: once the step has started (upstream sets the flag then) and
  until it is released; sent while the step still runs, the task will not stop after it.
- The control is stored on the step first, then the waiting run is woken (the queue's confirm);
  the run reads it from the database, so a run resumed after a restart finds it too.
- POST needs level 2 (write), or level 1 (control) when the job's `_authorization_` is "true";
  PUT needs level 1 and only allows next / running, as upstream.
- kill (`/slave/:slavename/killtask/:uuid`) cancels the task: running commands are killed.
"""

from __future__ import annotations

import contextlib
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.executors.queue import task_queue
from opsgraph.models.jobs import JobTemplate
from opsgraph.models.service_tree import TreeTask
from opsgraph.models.tasks import Task, TaskStatus, TaskStep
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.service_tree.access import CONTROL, WRITE, node_for, require_level
from opsgraph.resolvers.service_tree.tasks import subtask_pause, subtask_status
from opsgraph.resolvers.service_tree.variables import AUTHORIZATION
from opsgraph.resolvers.tasks.control import cancel_task
from opsgraph.resolvers.topology.common import write_transaction

CONTROLS = ("next", "fail", "running", "ignore")
PUT_CONTROLS = ("next", "running")


async def _level(record: TreeTask | None, put: bool) -> int:
    """POST: write, or control for a job whose `_authorization_` is "true"; PUT: control."""
    if put or record is None or not record.task_id:
        return CONTROL if put else WRITE
    task = await Task.get_or_none(id=record.task_id)
    template_id = (task.params or {}).get("template_id") if task is not None else None
    template = await JobTemplate.get_or_none(id=template_id) if template_id is not None else None
    if template is None:
        return WRITE
    variables: dict[str, Any] = template.variables or {}
    authorized = str(variables.get(AUTHORIZATION, "")).lower() == "true"
    return CONTROL if authorized else WRITE


async def _find(principal: Principal, tree_id: int, task_uuid: str, put: bool) -> tuple[TreeTask, Task]:
    node = await node_for(principal, tree_id)
    record = await TreeTask.get_or_none(uuid=task_uuid, tree_id=node.tree_id)
    require_level(principal, node, await _level(record, put))
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
    record, task = await _find(principal, tree_id, task_uuid, put)
    async with write_transaction():
        steps = await TaskStep.filter(task_id=task.id).select_for_update().order_by("position")
        step = next((s for s in steps if (s.config.get("openc3") or {}).get("uuid") == subtask_uuid), None)
        if step is None:
            raise NotFound(f"task {task_uuid} has no subtask {subtask_uuid}", field="subtaskuuid")
        shown = {"status": step.status, "config": step.config}
        if control == "next":
            if not subtask_pause(shown):
                raise Conflict(f"no update anything:0 (subtask {subtask_uuid} is not paused)", code="NOT_PAUSED")
            step.config = {**step.config, "pause_released": True}
        else:
            if task.status != TaskStatus.WAITING or subtask_status(shown, {"status": task.status}) != "decision":
                raise Conflict(
                    f"no update anything:0 (subtask {subtask_uuid} is not waiting for a decision)", code="NOT_DECISION"
                )
            step.config = {**step.config, "decision": control}
        await TaskStep.filter(id=step.id).update(config=step.config)
        if control == "fail" and not record.reason:
            await TreeTask.filter(id=record.id).update(reason=f"stop by {principal.username}"[:512])
        await record_operation(
            principal,
            op_type=control,
            op_target="tree_task",
            op_desc=f"{control} subtask {subtask_uuid} of task {task_uuid}",
            business_id=task.business_id,
            inst_id=task.id,
            ext_key=task_uuid,
        )
    # The waiting run reads the control from the database; with no queue in this process (a CLI),
    # the run reads it when it resumes.
    with contextlib.suppress(RuntimeError):
        await task_queue().confirm(task.id)
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
