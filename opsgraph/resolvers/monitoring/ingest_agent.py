"""Storing what an agent reported with its heartbeat (parsed by agent_report): host metrics and
collector output as metric points, uptime results as points and alarms, discovered components.

Collector output is kept only for collectors of the host's business, and only the fields they
declare (a table or metric nobody declared is dropped: it may come from a collector removed since).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from opsgraph.executors.monitoring.metric_writer import Point, make_point, metric_writer
from opsgraph.models.monitoring_checks import Collector, CollectorKind, ComponentInstance, UptimeNode, UptimeTask
from opsgraph.models.topology import Host
from opsgraph.resolvers.monitoring.agent_report import AgentReport
from opsgraph.resolvers.monitoring.uptime_results import UptimeOutcome, record_outcomes


def _declared(collector: Collector) -> tuple[set[str], set[str]]:
    if collector.kind == CollectorKind.LOG:
        return {"lines", "matched"}, set()
    fields = collector.config.get("fields") or []
    metrics = {f["name"] for f in fields if f.get("monitor_type", "metric") == "metric"}
    dims = {f["name"] for f in fields if f.get("monitor_type") == "dimension"}
    return metrics, dims


# host id → (read at, host row): a heartbeat names its host every few seconds, and a host moves
# between businesses rarely; its points follow it within HOST_CACHE_SECONDS.
HOST_CACHE_SECONDS = 30.0
_hosts: dict[int, tuple[float, dict[str, Any]]] = {}


async def _host(host_id: int) -> dict[str, Any] | None:
    cached = _hosts.get(host_id)
    if cached is not None and time.monotonic() - cached[0] < HOST_CACHE_SECONDS:
        return cached[1]
    row = await Host.get_or_none(id=host_id).values("id", "business_id", "inner_ip", "cloud_area_id")
    if row is None:
        _hosts.pop(host_id, None)
        return None
    if len(_hosts) > 100_000:
        _hosts.clear()
    _hosts[host_id] = (time.monotonic(), row)
    return row


async def store_report(host_id: int, report: AgentReport) -> None:
    host = await _host(host_id)
    if host is None:
        return
    biz, now = host["business_id"], int(time.time())
    base = {"ip": host["inner_ip"], "bk_cloud_id": str(host["cloud_area_id"])}
    points: list[Point] = [
        make_point(biz, host_id, s.table, s.metric, {**base, **s.dims}, now, s.value) for s in report.samples
    ]
    if report.collected:
        collectors = {
            c.name: c for c in await Collector.filter(business_id=biz, name__in={s.table for s in report.collected})
        }
        for sample in report.collected:
            collector = collectors.get(sample.table)
            if collector is None:
                continue
            metrics, dims = _declared(collector)
            if sample.metric in metrics:
                kept = {k: v for k, v in sample.dims.items() if k in dims}
                points.append(
                    make_point(
                        biz, host_id, sample.table, sample.metric, {**base, **kept}, sample.ts or now, sample.value
                    )
                )
    await metric_writer().write(points)
    if report.checks:
        await _store_checks(host_id, report)
    if report.components is not None:
        await _store_components(host, report)


async def _store_checks(host_id: int, report: AgentReport) -> None:
    nodes = {n.id: n for n in await UptimeNode.filter(host_id=host_id)}
    tasks = {t.id: t for t in await UptimeTask.filter(id__in={c.task_id for c in report.checks}, status="running")}
    outcomes = []
    for check in report.checks:
        node, task = nodes.get(check.node_id), tasks.get(check.task_id)
        if node is None or task is None or node.id not in task.node_ids or task.business_id != node.business_id:
            continue  # a check this host was not given (or no longer runs)
        outcomes.append(
            UptimeOutcome(task, node, check.target, check.available >= 1, check.duration_ms, check.error, check.ts)
        )
    if outcomes:
        await record_outcomes(outcomes)


async def _store_components(host: dict[str, Any], report: AgentReport) -> None:
    host_id = int(host["id"])
    now = datetime.now(UTC)
    seen: set[tuple[str, int]] = set()
    for name, port, pid in report.components or []:
        seen.add((name, port))
        updated = await ComponentInstance.filter(host_id=host_id, component=name, port=port).update(
            status="running", pid=pid, last_seen_at=now, business_id=host["business_id"], ip=host["inner_ip"]
        )
        if not updated:
            await ComponentInstance.get_or_create(
                host_id=host_id,
                component=name,
                port=port,
                defaults={
                    "business_id": host["business_id"],
                    "ip": host["inner_ip"],
                    "bk_cloud_id": host["cloud_area_id"],
                    "pid": pid,
                    "last_seen_at": now,
                },
            )
    for row in await ComponentInstance.filter(host_id=host_id, status="running").values("id", "component", "port"):
        if (row["component"], row["port"]) not in seen:
            await ComponentInstance.filter(id=row["id"]).update(status="stopped", pid=None)
