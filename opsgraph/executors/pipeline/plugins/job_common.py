"""What the three job plugins share (this module registers no plugin).

A job node starts an ordinary Task (SCRIPT, FILE or JOB) through the same resolvers the GraphQL
mutations use, as the run's executor with that user's current roles, remembers the child task's
id, and finishes when the child ends: success iff the child succeeded, as bk-sops reads bk-job's
status 3. After a restart it follows the child it had started. Stopping the node (revoke,
forced_fail, timeout) cancels the child.

Outputs as bk-sops names them: job_inst_id, job_inst_url, job_inst_name and log_outputs (the
`<SOPS_VAR>key:value</SOPS_VAR>` pairs printed in the hosts' logs).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, OpsGraphError
from opsgraph.core.events import event_bus
from opsgraph.executors.pipeline.plugins import NodeWork, PluginOutcome
from opsgraph.models.tasks import FINISHED_STATUSES, Task, TaskHostResult, TaskStatus

SOPS_VAR = re.compile(r"<SOPS_VAR>(.+?)</SOPS_VAR>")
JOB_OUTPUTS = {
    "job_inst_id": "JOB任务ID",
    "job_inst_url": "JOB任务链接",
    "job_inst_name": "JOB任务名称",
    "log_outputs": "JOB全局变量",
}
POLL_SECONDS = 2.0
CANCEL_WAIT_SECONDS = 30.0


async def principal_of(username: str) -> Principal:
    """The run's executor with the roles they hold now (a user who lost access starts nothing)."""
    from opsgraph.models.identity import User
    from opsgraph.resolvers.identity import principal_for_user

    user = await User.get_or_none(username=username, is_active=True)
    if user is None:
        raise NotFound(f"the task's executor {username!r} is no longer an active user", code="USER_NOT_FOUND")
    return await principal_for_user(user)


def host_addresses(value: Any) -> list[Any]:
    """`job_ip_list`: IPs separated by commas, semicolons, spaces or lines; `cloud:ip` names a
    cloud area (bk-sops' `0:10.0.0.1`); otherwise the default area 0."""
    from opsgraph.resolvers.tasks.targets import HostAddress

    addresses = []
    for item in re.split(r"[\s,;]+", str(value or "")):
        if not item:
            continue
        cloud, _, ip = item.rpartition(":")
        addresses.append(HostAddress(ip=ip, cloud_area_id=int(cloud) if cloud.isdigit() else 0))
    return addresses


def optional_int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc


async def run_child(work: NodeWork, start: Callable[[Principal], Awaitable[Task]]) -> PluginOutcome:
    """Start the child task once (or follow the one started before a restart) and wait for its end."""
    child_id = work.schedule.get("child_task_id")
    if child_id is None:
        try:
            principal = await principal_of(work.executor)
            child = await start(principal)
        except OpsGraphError as exc:
            return PluginOutcome(False, error=f"the job could not start: {exc.message}")
        except ValueError as exc:
            return PluginOutcome(False, error=f"the job could not start: {exc}")
        child_id = child.id
        await work.save_schedule(child_task_id=child_id)
    child = await follow(work, int(child_id))
    outputs = {
        "job_inst_id": child.id,
        "job_inst_url": "",
        "job_inst_name": child.name,
        "log_outputs": await sops_vars(child.id),
    }
    if child.status == TaskStatus.SUCCESS:
        return PluginOutcome(True, outputs)
    detail = f": {child.error}" if child.error else ""
    return PluginOutcome(False, outputs, error=f"job task {child.id} ended {child.status}{detail}")


async def follow(work: NodeWork, child_id: int) -> Task:
    """Wait for the child's end (its events, checked against the database); cancel it if stopped."""
    async with event_bus.subscribe(child_id) as events:
        while True:
            child = await Task.get_or_none(id=child_id)
            if child is None:
                raise NotFound(f"job task {child_id} no longer exists")
            if child.status in FINISHED_STATUSES:
                return child
            if work.cancel.is_set():
                return await _cancel(child_id)
            getter = asyncio.ensure_future(events.get())
            stopper = asyncio.ensure_future(work.cancel.wait())
            try:
                await asyncio.wait({getter, stopper}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            finally:
                getter.cancel()
                stopper.cancel()


async def _cancel(child_id: int) -> Task:
    from opsgraph.executors.queue import task_queue

    await Task.filter(id=child_id).update(cancel_requested=True)
    if not await task_queue().cancel(child_id):
        await task_queue().submit(child_id)  # queued, not running here: run it so it ends CANCELLED
        await task_queue().cancel(child_id)
    for _ in range(int(CANCEL_WAIT_SECONDS / 0.2)):
        child = await Task.get(id=child_id)
        if child.status in FINISHED_STATUSES:
            return child
        await asyncio.sleep(0.2)
    return await Task.get(id=child_id)


async def sops_vars(task_id: int) -> dict[str, str]:
    """`<SOPS_VAR>key:value</SOPS_VAR>` from every host's log of the task (later ones win)."""
    found: dict[str, str] = {}
    for log in await TaskHostResult.filter(task_id=task_id).order_by("id").values_list("log", flat=True):
        for match in SOPS_VAR.finditer(str(log)):
            key, separator, value = match.group(1).partition(":")
            if separator and key.strip():
                found[key.strip()] = value.strip()
    return found
