"""Turning a request into a persisted Task (steps + one row per host per step) and queueing it.

Everything is validated and written before the queue hears of the task: the mutation returns the
Task at once, and a crash right after still leaves a PENDING task that start-up queues again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.callbacks import RENDERERS
from opsgraph.executors.queue import task_queue
from opsgraph.models.jobs import ScriptLanguage, StepKind
from opsgraph.models.tasks import Task, TaskHostResult, TaskKind, TaskStep
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

MIN_TIMEOUT, MAX_TIMEOUT, DEFAULT_TIMEOUT = 1, 86_400, 7_200
MAX_SCRIPT_BYTES = 1024 * 1024
_BULK = 2_000


@dataclass
class StepPlan:
    kind: StepKind | str  # a job step kind, or another registered executor's (e.g. "agent_install")
    name: str
    config: dict[str, Any]
    hosts: list[dict[str, Any]] = field(default_factory=list)  # rows: id, inner_ip, cloud_area_id


@dataclass
class TaskPlan:
    kind: TaskKind
    business_id: int
    name: str
    steps: list[StepPlan]
    params: dict[str, Any] = field(default_factory=dict)
    callback_url: str = ""
    start_way: int = 2


def check_timeout(timeout: int | None) -> int:
    value = DEFAULT_TIMEOUT if timeout is None else timeout
    if not MIN_TIMEOUT <= value <= MAX_TIMEOUT:
        raise ValidationFailed(f"timeout must be between {MIN_TIMEOUT} and {MAX_TIMEOUT} seconds", field="timeout")
    return value


def check_script(content: str, language: int) -> ScriptLanguage:
    if not content.strip():
        raise ValidationFailed("the script is empty", field="content")
    if len(content.encode()) > MAX_SCRIPT_BYTES:
        raise ValidationFailed("the script is larger than 1 MiB", field="content")
    try:
        return ScriptLanguage(language)
    except ValueError as exc:
        raise ValidationFailed(f"unknown script language {language}", field="language") from exc


def check_callback_url(url: str | None) -> str:
    if not url:
        return ""
    if not url.startswith(("http://", "https://")) or len(url) > 1024:
        raise ValidationFailed("callback URL must be an http(s) URL of at most 1024 characters", field="callbackUrl")
    return url


def check_callback_protocol(protocol: str | None) -> str:
    """The callback body's dialect: "opsgraph" (default) or one a compat layer registered ("bk_job")."""
    if protocol is None:
        return "opsgraph"
    if protocol not in RENDERERS:
        known = ", ".join(sorted(RENDERERS))
        raise ValidationFailed(f"unknown callback protocol {protocol!r} (known: {known})", field="callbackProtocol")
    return protocol


async def launch(principal: Principal, plan: TaskPlan) -> Task:
    await get_business(principal, plan.business_id, "operator")
    if not plan.steps:
        raise ValidationFailed("nothing to run", field="steps")
    async with write_transaction():
        task = await Task.create(
            kind=plan.kind,
            business_id=plan.business_id,
            name=plan.name[:512],
            creator=principal.username,
            app_code=principal.app_code,
            start_way=plan.start_way,
            params=plan.params,
            callback_url=plan.callback_url,
        )
        for position, step_plan in enumerate(plan.steps):
            step = await TaskStep.create(
                task=task, position=position, kind=str(step_plan.kind), name=step_plan.name, config=step_plan.config
            )
            rows = [
                TaskHostResult(
                    task_id=task.id,
                    step_id=step.id,
                    host_id=h["id"],
                    ip=h["inner_ip"],
                    cloud_area_id=h["cloud_area_id"],
                )
                for h in step_plan.hosts
            ]
            for start in range(0, len(rows), _BULK):
                await TaskHostResult.bulk_create(rows[start : start + _BULK])
        await record_operation(
            principal,
            op_type="execute",
            op_target="task",
            op_desc=f"start {plan.kind.value.lower()} task {task.id}",
            business_id=plan.business_id,
            inst_id=task.id,
            cur_data={"kind": str(plan.kind), "name": plan.name, "hosts": sum(len(s.hosts) for s in plan.steps)},
        )
    await task_queue().submit(task.id)
    return task
