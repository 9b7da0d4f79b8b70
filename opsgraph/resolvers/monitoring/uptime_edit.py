"""Changing uptime tasks after import: start / stop, update, delete.

The schedule of a task is its `status` plus `next_run_at`: the server node runs RUNNING tasks whose
`next_run_at` is due, and agents learn their checks from each heartbeat reply (running tasks only).
Stopping clears `next_run_at` and the status, so the server stops at once and agents drop the check
at their next heartbeat; late results of a stopped or deleted task are not stored. Updating a
running task makes it due now, so the new config is probed at once. Deleting a task deletes the
monitor sources imported with it (its `monitor_conf` strategies); its alarms stay, as a deleted
strategy's do. bk-monitor documents no v2 endpoint for these: they are GraphQL only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.monitoring_alarms import MonitorSource
from opsgraph.models.monitoring_checks import UptimeNode, UptimeTask
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.monitoring.uptime_config import normalise_config, targets
from opsgraph.resolvers.topology.common import write_transaction

WRITE_ROLE = "maintainer"
RUNNING, STOPPED = "running", "stoped"  # bk-monitor's spelling


@dataclass
class UptimeTaskChange:
    name: str | None = None
    config: Any = None  # collector_conf.config in the import shape
    node_ids: list[int] | None = None
    groups: str | None = None


async def _task(principal: Principal, task_id: int) -> UptimeTask:
    task = await UptimeTask.get_or_none(id=task_id)
    if task is None or not principal.can(task.business_id):
        raise NotFound(f"uptime task {task_id} does not exist", field="taskId")
    principal.require(task.business_id, WRITE_ROLE)
    return task


async def set_task_status(principal: Principal, task_id: int, running: bool) -> UptimeTask:
    task = await _task(principal, task_id)
    async with write_transaction():
        await UptimeTask.filter(id=task_id).update(
            status=RUNNING if running else STOPPED, next_run_at=time.time() if running else 0.0
        )
        await record_operation(
            principal,
            op_type="update",
            op_target="uptime_task",
            op_desc=f"{'start' if running else 'stop'} uptime task {task.name}",
            business_id=task.business_id,
            inst_id=task_id,
        )
    await task.refresh_from_db()
    return task


async def update_task(principal: Principal, task_id: int, change: UptimeTaskChange) -> UptimeTask:
    """Only the given parts change; the protocol stays (its results live in their own table)."""
    task = await _task(principal, task_id)
    columns: dict[str, Any] = {}
    if change.name is not None:
        name = change.name.strip()
        if not name or len(name) > 128:
            raise ValidationFailed("name must be 1 to 128 characters", field="name")
        columns["name"] = name
    if change.config is not None:
        config = normalise_config(task.protocol, change.config, "config")
        columns |= {"config": config, "period": config["period_seconds"]}
    if change.node_ids is not None:
        wanted = list(dict.fromkeys(change.node_ids))
        if not wanted:
            raise ValidationFailed("nodeIds must name at least one node", field="nodeIds")
        known = set(await UptimeNode.filter(id__in=wanted, business_id=task.business_id).values_list("id", flat=True))
        missing = [n for n in wanted if n not in known]
        if missing:
            raise ValidationFailed(f"uptime nodes {missing} are not in the task's business", field="nodeIds")
        columns["node_ids"] = wanted
    if change.groups is not None:
        if len(change.groups) > 128:
            raise ValidationFailed("groups is at most 128 characters", field="groups")
        columns["groups"] = change.groups
    if not columns:
        raise ValidationFailed("nothing to change: give name, config, nodeIds or groups", field="taskId")
    if task.status == RUNNING:
        columns["next_run_at"] = time.time()
    async with write_transaction(f"an uptime task named {columns.get('name')!r} already exists"):
        await UptimeTask.filter(id=task_id).update(**columns)
        await record_operation(
            principal,
            op_type="update",
            op_target="uptime_task",
            op_desc=f"update uptime task {columns.get('name', task.name)}",
            business_id=task.business_id,
            inst_id=task_id,
            pre_data={"config": task.config, "nodes": task.node_ids, "name": task.name},
            cur_data={k: v for k, v in columns.items() if k in ("name", "config", "node_ids", "groups")},
        )
    await task.refresh_from_db()
    return task


async def delete_task(principal: Principal, task_id: int) -> None:
    task = await _task(principal, task_id)
    async with write_transaction():
        sources = MonitorSource.filter(
            business_id=task.business_id, scenario="uptimecheck", where_sql=f"task_id='{int(task.id)}'"
        )
        source_ids = list(await sources.values_list("id", flat=True))
        await MonitorSource.filter(id__in=source_ids).delete()
        await UptimeTask.filter(id=task_id).delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="uptime_task",
            op_desc=f"delete uptime task {task.name}",
            business_id=task.business_id,
            inst_id=task_id,
            pre_data={"protocol": str(task.protocol), "targets": targets(task.protocol, task.config)},
            cur_data={"deleted_monitor_sources": source_ids},
        )
