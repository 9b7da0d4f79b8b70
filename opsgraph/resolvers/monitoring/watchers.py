"""Alarms that need no strategy: an agent whose heartbeats stopped, and a task that ended FAILED.

Heartbeat loss is judged like `host.agent.alive` (OPSGRAPH_AGENT_ALIVE_SECONDS): an installed agent
silent for longer raises a HEARTBEAT alarm on its host, recovered by the next heartbeat (or closed
when the agent is uninstalled). Failed tasks are read after a watermark kept in `monitor_state`
(with a minute of overlap for commits that land late); each task raises at most one alarm ever.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opsgraph.models.agents import AgentState, AgentStatus
from opsgraph.models.monitoring_alarms import Alarm, AlarmOrigin
from opsgraph.models.monitoring_metrics import MonitorState
from opsgraph.models.tasks import Task, TaskStatus
from opsgraph.models.topology import Host
from opsgraph.resolvers.monitoring.alarm_store import AlarmSignal, dedupe_key, open_keys, raise_alarm, recover_alarm

HEARTBEAT_LEVEL = 2
TASK_LEVEL = 2
TASK_OVERLAP = timedelta(minutes=1)
TASK_BATCH = 500
FAILED_TASKS_STATE = "failed-tasks"


def _host_signal(host: dict[str, Any]) -> AlarmSignal:
    return AlarmSignal(
        business_id=int(host["business_id"]),
        origin=AlarmOrigin.HEARTBEAT,
        identity="agent",
        level=HEARTBEAT_LEVEL,
        title=f"{host['inner_ip']} Agent心跳丢失",
        alarm_type="base_alarm",
        dimensions={"bk_host_id": str(host["id"])},
        host_id=int(host["id"]),
        ip=str(host["inner_ip"]),
        bk_cloud_id=int(host["cloud_area_id"]),
    )


async def check_heartbeats(alive_seconds: int) -> tuple[int, int]:
    """(alarms raised, alarms recovered)."""
    now = datetime.now(UTC)
    states = await AgentState.all().values("host_id", "status", "last_heartbeat_at")
    hosts = {
        h["id"]: h
        for h in await Host.filter(id__in=[s["host_id"] for s in states]).values(
            "id", "business_id", "inner_ip", "cloud_area_id"
        )
    }
    open_alarms = await open_keys(None, AlarmOrigin.HEARTBEAT)
    raised = recovered = 0
    for state in states:
        host = hosts.get(state["host_id"])
        if host is None:
            continue
        signal = _host_signal(host)
        beat = state["last_heartbeat_at"]
        lost = state["status"] == AgentStatus.INSTALLED and (
            beat is None or now - beat > timedelta(seconds=alive_seconds)
        )
        if lost:
            signal.content = f"最后心跳: {beat.isoformat() if beat else '无'}"
            signal.source_time = now
            _, created = await raise_alarm(signal)
            raised += int(created)
        elif signal.dedupe_key in open_alarms:
            reason = "heartbeat received" if state["status"] == AgentStatus.INSTALLED else "agent uninstalled"
            recovered += int(await recover_alarm(signal.dedupe_key, reason) is not None)
    return raised, recovered


async def check_failed_tasks() -> int:
    state, _ = await MonitorState.get_or_create(name=FAILED_TASKS_STATE, defaults={"value": {}})
    after_text = state.value.get("after")
    after = datetime.fromisoformat(after_text) if after_text else datetime.now(UTC) - timedelta(hours=1)
    tasks = (
        await Task.filter(status=TaskStatus.FAILED, finished_at__gt=after - TASK_OVERLAP, business_id__not_isnull=True)
        .order_by("finished_at")
        .limit(TASK_BATCH)
        .values("id", "business_id", "name", "kind", "error", "creator", "finished_at")
    )
    raised = 0
    newest = after
    for task in tasks:
        newest = max(newest, task["finished_at"])
        signal = AlarmSignal(
            business_id=task["business_id"],
            origin=AlarmOrigin.TASK,
            identity=f"task:{task['id']}",
            level=TASK_LEVEL,
            title=f"任务 {task['name'] or task['id']} 执行失败",
            alarm_type="base_alarm",
            content=f"{task['kind']} task {task['id']} started by {task['creator']} failed: {task['error']}".strip(),
            dimensions={"task_id": str(task["id"])},
            source_time=task["finished_at"],
        )
        if await Alarm.exists(
            dedupe_key=dedupe_key(signal.business_id, signal.origin, signal.identity, {"task_id": str(task["id"])})
        ):
            continue
        _, created = await raise_alarm(signal)
        raised += int(created)
    await MonitorState.filter(name=FAILED_TASKS_STATE).update(value={"after": newest.isoformat()})
    return raised
