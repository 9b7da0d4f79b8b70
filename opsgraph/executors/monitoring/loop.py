"""The monitoring duties inside the server, started by the app's lifespan:

- every second: uptime tasks due on the server node (each task run claimed by a conditional UPDATE
  of its `next_run_at`, so two servers never probe the same run twice);
- every OPSGRAPH_MONITOR_DETECT_SECONDS, by the holder of the "detector" lease only: heartbeat
  loss, failed tasks, strategy detection, expiry of stale alarms;
- every OPSGRAPH_MONITOR_MAINTENANCE_SECONDS, by the holder of the "maintenance" lease: roll-ups
  and retention.
A failing pass is logged and tried again next time; nothing here stops the server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from opsgraph.core.settings import Settings
from opsgraph.executors.leases import acquire
from opsgraph.executors.monitoring.maintenance import apply_retention, roll_up
from opsgraph.executors.monitoring.probes import probe
from opsgraph.models.monitoring_checks import UptimeNode, UptimeTask
from opsgraph.resolvers.monitoring.config import monitoring_settings

log = logging.getLogger("opsgraph.monitoring")

PROBE_CONCURRENCY = 50
ALARM_EXPIRY = timedelta(hours=24)


async def run_server_probes(now: float | None = None) -> int:
    """Probe every target of every due task that has a server node; returns the probes made."""
    from opsgraph.resolvers.monitoring.uptime_config import targets
    from opsgraph.resolvers.monitoring.uptime_results import UptimeOutcome, record_outcomes

    moment = time.time() if now is None else now
    server_nodes = {n.business_id: n for n in await UptimeNode.filter(host_id=None)}
    if not server_nodes:
        return 0
    due = await UptimeTask.filter(
        status="running", next_run_at__lte=moment, business_id__in=list(server_nodes)
    ).order_by("id")
    limit = asyncio.Semaphore(PROBE_CONCURRENCY)
    outcomes: list[UptimeOutcome] = []

    async def one(task: UptimeTask, node: UptimeNode, target: str) -> None:
        async with limit:
            result = await probe(task.protocol, target, task.config)
        outcomes.append(UptimeOutcome(task, node, target, result.available, result.duration_ms, result.error))

    jobs = []
    for task in due:
        node = server_nodes[task.business_id]
        if node.id not in task.node_ids:
            continue
        claimed = await UptimeTask.filter(id=task.id, next_run_at=task.next_run_at).update(
            next_run_at=moment + task.period
        )
        if claimed:
            jobs += [one(task, node, target) for target in targets(task.protocol, task.config)]
    await asyncio.gather(*jobs)
    if outcomes:
        await record_outcomes(outcomes)
    return len(outcomes)


async def detect_once(settings: Settings) -> None:
    from opsgraph.resolvers.monitoring.alarm_actions import expire_alarms
    from opsgraph.resolvers.monitoring.detection import detect_all
    from opsgraph.resolvers.monitoring.watchers import check_failed_tasks, check_heartbeats

    await check_heartbeats(settings.agent_alive_seconds)
    await check_failed_tasks()
    await detect_all()
    await expire_alarms(ALARM_EXPIRY)


async def _every(seconds: float, lease: str | None, duty: str, work: object) -> None:
    config = monitoring_settings()
    while True:
        started = time.monotonic()
        try:
            if lease is None or await acquire(f"monitoring:{lease}", max(config.lease_seconds, seconds * 2)):
                await work()  # type: ignore[operator]
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("monitoring %s failed; trying again in %s s", duty, seconds)
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))


async def run_monitoring(settings: Settings) -> None:
    config = monitoring_settings()

    async def maintenance() -> None:
        await roll_up()
        await apply_retention()

    await asyncio.gather(
        _every(1.0, None, "uptime probes", run_server_probes),
        _every(config.detect_seconds, "detector", "detection", lambda: detect_once(settings)),
        _every(config.maintenance_seconds, "maintenance", "maintenance", maintenance),
    )
