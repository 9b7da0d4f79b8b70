"""Storing uptime probe results (from the server node or an agent): metric points in
`uptimecheck_<protocol>` (available 0/1, task_duration ms) and an UPTIME alarm per task, node and
target while it fails, recovered by its next success."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from opsgraph.executors.monitoring.metric_writer import Point, make_point, metric_writer
from opsgraph.models.monitoring_alarms import AlarmOrigin
from opsgraph.models.monitoring_checks import UptimeNode, UptimeTask
from opsgraph.resolvers.monitoring.alarm_store import AlarmSignal, raise_alarm, recover_alarm

UPTIME_LEVEL = 2


@dataclass
class UptimeOutcome:
    task: UptimeTask
    node: UptimeNode
    target: str
    available: bool
    duration_ms: float
    error: str = ""
    ts: int | None = None


def _dims(outcome: UptimeOutcome) -> dict[str, str]:
    return {
        "task_id": str(outcome.task.id),
        "node_id": str(outcome.node.id),
        "node_ip": outcome.node.ip or "server",
        "target": outcome.target,
    }


async def record_outcomes(outcomes: list[UptimeOutcome]) -> None:
    points: list[Point] = []
    for outcome in outcomes:
        table = f"uptimecheck_{outcome.task.protocol.lower()}"
        ts = outcome.ts or int(time.time())
        dims = _dims(outcome)
        task = outcome.task
        points.append(
            make_point(task.business_id, None, table, "available", dims, ts, 1.0 if outcome.available else 0.0)
        )
        points.append(make_point(task.business_id, None, table, "task_duration", dims, ts, outcome.duration_ms))
    await metric_writer().write(points)
    for outcome in outcomes:
        signal = AlarmSignal(
            business_id=outcome.task.business_id,
            origin=AlarmOrigin.UPTIME,
            identity=f"uptime:{outcome.task.id}",
            level=UPTIME_LEVEL,
            title=f"拨测任务 {outcome.task.name} 失败: {outcome.target}",
            alarm_type="uptimecheck",
            content=f"节点 {outcome.node.name}: {outcome.error}",
            dimensions=_dims(outcome),
            source_time=datetime.now(UTC),
        )
        if outcome.available:
            await recover_alarm(signal.dedupe_key, "the check succeeded again")
        else:
            await raise_alarm(signal)
