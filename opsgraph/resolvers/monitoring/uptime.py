"""Uptime check nodes and tasks: import in the documented v2 shapes (partial success per item,
failure reason in `error_mes`), export, and what each node runs.

A node is the OpsGraph server itself (no host; the docs' node example with an empty `ip` reads as
this) or a host of the business with an agent; an agent learns its node's checks from its
heartbeat reply. Importing a task also imports its `monitor_conf` as strategies on
`uptimecheck_<protocol>.available` filtered to the task (where_sql task_id='<id>').
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import OpsGraphError, ValidationFailed
from opsgraph.models.monitoring_alarms import MonitorSource
from opsgraph.models.monitoring_checks import UptimeNode, UptimeTask
from opsgraph.models.topology import Host
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.monitoring.strategies import export_source, save_source
from opsgraph.resolvers.monitoring.strategy_shape import SourceSpec, strategy_spec
from opsgraph.resolvers.monitoring.uptime_config import normalise_config, protocol_of, targets
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

WRITE_ROLE = "maintainer"
MAX_IMPORT = 200


def _sub(raw: Any, name: str, where: str) -> dict[str, Any]:
    value = raw.get(name) if isinstance(raw, dict) else None
    if not isinstance(value, dict):
        raise ValidationFailed(f"{where}.{name} must be an object", field=f"{where}.{name}")
    return value


async def _node_from(principal: Principal, business_id: int, raw: Any, where: str) -> UptimeNode:
    target = _sub(raw, "target_conf", where)
    conf = _sub(raw, "node_conf", where)
    name = conf.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        raise ValidationFailed(f"{where}.node_conf.name is required", field=f"{where}.node_conf.name")
    carrier = str(conf.get("carrieroperator") or "")
    if len(carrier) > 50:
        raise ValidationFailed("carrieroperator is at most 50 characters", field=f"{where}.node_conf.carrieroperator")
    location = conf.get("location") or {}
    if not isinstance(location, dict):
        raise ValidationFailed("location must be an object", field=f"{where}.node_conf.location")
    ip = str(target.get("ip") or "").strip()
    cloud = int(target.get("bk_cloud_id") or 0)
    host_id: int | None = None
    if ip:
        host = await Host.get_or_none(inner_ip=ip, cloud_area_id=cloud, business_id=business_id)
        if host is None:
            raise ValidationFailed("业务下不存在该主机 (no such host in the business)", field=f"{where}.target_conf.ip")
        host_id = host.id
    existing = await UptimeNode.get_or_none(business_id=business_id, host_id=host_id, ip=ip, bk_cloud_id=cloud)
    if existing is not None:
        return existing
    return await UptimeNode.create(
        business_id=business_id,
        name=name.strip(),
        host_id=host_id,
        ip=ip,
        bk_cloud_id=cloud,
        is_common=bool(conf.get("is_common", False)),
        location=location,
        carrieroperator=carrier,
        created_by=principal.username,
    )


async def import_nodes(principal: Principal, business_id: int | None, conf_list: Any) -> dict[str, Any]:
    """import_uptime_check_node: `{success: {total, detail: [{target_conf, node_id}]}, failed: {...error_mes}}`."""
    if not isinstance(conf_list, list) or not conf_list or len(conf_list) > MAX_IMPORT:
        raise ValidationFailed(f"conf_list must list 1 to {MAX_IMPORT} nodes", field="conf_list")
    success: list[Any] = []
    failed: list[Any] = []
    for index, raw in enumerate(conf_list):
        target = raw.get("target_conf") if isinstance(raw, dict) else None
        try:
            biz = int((target or {}).get("bk_biz_id") or business_id or 0)
            await get_business(principal, biz, WRITE_ROLE)
            async with write_transaction():
                node = await _node_from(principal, biz, raw, f"conf_list[{index}]")
                await record_operation(
                    principal,
                    op_type="create",
                    op_target="uptime_node",
                    op_desc=f"import uptime node {node.name}",
                    business_id=biz,
                    inst_id=node.id,
                )
        except (OpsGraphError, ValueError, TypeError) as exc:
            failed.append({"target_conf": target, "error_mes": getattr(exc, "message", str(exc))})
            continue
        success.append({"target_conf": target, "node_id": node.id})
    return {"success": {"total": len(success), "detail": success}, "failed": {"total": len(failed), "detail": failed}}


def _uptime_source(task: UptimeTask, raw: Any, where: str) -> SourceSpec:
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{where} must be an object", field=where)
    metric = raw.get("monitor_target") or "available"
    if metric not in ("available", "task_duration"):
        raise ValidationFailed(f"{where}.monitor_target must be available or task_duration", field=where)
    unit = str(raw.get("unit") or ("%" if metric == "available" else "ms"))
    name = raw.get("display_name") or f"{task.name} {metric}"
    strategy = strategy_spec({**raw, "display_name": name}, where, "uptimecheck")
    return SourceSpec(
        title=str(name)[:256],
        description="",
        scenario="uptimecheck",
        monitor_type="uptimecheck",
        src_type="BKMONITOR",
        stat_source_type="BKDATA",
        table=f"uptimecheck_{task.protocol.lower()}",
        field=metric,
        aggregator="avg",
        count_freq=task.period,
        dimensions=["task_id"],
        where_sql=f"task_id='{int(task.id)}'",
        unit=unit,
        # Availability is stored 0..1 and shown (and compared) in percent, as bk-monitor does.
        unit_conversion=0.01 if unit == "%" else 1.0,
        is_enabled=bool(raw.get("is_enabled", True)),
        strategies=[strategy],
    )


async def _import_task(principal: Principal, business_id: int, raw: Any, where: str) -> UptimeTask:
    collector = _sub(raw, "collector_conf", where)
    target = _sub(raw, "target_conf", where)
    name = collector.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 128:
        raise ValidationFailed(f"{where}.collector_conf.name is required", field=f"{where}.collector_conf.name")
    protocol = protocol_of(collector.get("protocol"), f"{where}.collector_conf.protocol")
    config = normalise_config(protocol, collector.get("config"), f"{where}.collector_conf.config")
    node_list = target.get("node_list") or []
    node_ids = target.get("node_id_list") or []
    if not isinstance(node_list, list) or not isinstance(node_ids, list) or not (node_list or node_ids):
        raise ValidationFailed("node_list and node_id_list cannot both be empty", field=f"{where}.target_conf")
    monitor_conf = raw.get("monitor_conf") or []
    if not isinstance(monitor_conf, list):
        raise ValidationFailed(f"{where}.monitor_conf must be a list", field=f"{where}.monitor_conf")
    async with write_transaction(f"an uptime task named {name!r} already exists"):
        nodes = [
            await _node_from(principal, business_id, n, f"{where}.target_conf.node_list[{i}]")
            for i, n in enumerate(node_list)
        ]
        ids = [n.id for n in nodes]
        for node_id in node_ids:
            if not await UptimeNode.exists(id=int(node_id), business_id=business_id):
                raise ValidationFailed(
                    f"uptime node {node_id} does not exist", field=f"{where}.target_conf.node_id_list"
                )
            ids.append(int(node_id))
        task = await UptimeTask.create(
            business_id=business_id,
            name=name.strip(),
            protocol=protocol,
            config=config,
            groups=str(collector.get("groups") or "")[:128],
            location=collector.get("location") if isinstance(collector.get("location"), dict) else {},
            node_ids=list(dict.fromkeys(ids)),
            period=config["period_seconds"],
            created_by=principal.username,
        )
        for i, item in enumerate(monitor_conf):
            await save_source(principal, business_id, _uptime_source(task, item, f"{where}.monitor_conf[{i}]"))
        await record_operation(
            principal,
            op_type="create",
            op_target="uptime_task",
            op_desc=f"import uptime task {task.name}",
            business_id=business_id,
            inst_id=task.id,
            cur_data={"protocol": str(protocol), "targets": targets(protocol, config), "nodes": task.node_ids},
        )
    return task


async def import_tasks(principal: Principal, business_id: int, conf_list: Any) -> dict[str, Any]:
    """import_uptime_check_task: `{success: {total, detail: [{task_name}]}, failed: {total, detail:
    [{task_name, error_mes}]}}`."""
    await get_business(principal, business_id, WRITE_ROLE)
    if not isinstance(conf_list, list) or not conf_list or len(conf_list) > MAX_IMPORT:
        raise ValidationFailed(f"conf_list must list 1 to {MAX_IMPORT} tasks", field="conf_list")
    success: list[Any] = []
    failed: list[Any] = []
    for index, raw in enumerate(conf_list):
        name = ((raw or {}).get("collector_conf") or {}).get("name") if isinstance(raw, dict) else None
        try:
            task = await _import_task(principal, business_id, raw, f"conf_list[{index}]")
        except (OpsGraphError, ValueError, TypeError) as exc:
            failed.append({"task_name": name, "error_mes": getattr(exc, "message", str(exc))})
            continue
        success.append({"task_name": task.name, "task_id": task.id})
    return {"success": {"total": len(success), "detail": success}, "failed": {"total": len(failed), "detail": failed}}


def node_export(node: UptimeNode) -> dict[str, Any]:
    return {
        "node_id": node.id,
        "node_conf": {
            "name": node.name,
            "carrieroperator": node.carrieroperator,
            "location": node.location,
            "is_common": node.is_common,
        },
        "target_conf": {"bk_biz_id": node.business_id, "ip": node.ip, "bk_cloud_id": node.bk_cloud_id},
    }


async def export_tasks(
    principal: Principal, business_id: int, *, protocol: str | None, task_ids: list[int] | None, with_nodes: bool
) -> list[dict[str, Any]]:
    await get_business(principal, business_id)
    query = UptimeTask.filter(business_id=business_id)
    if protocol:
        query = query.filter(protocol=protocol_of(protocol))
    if task_ids is not None:
        query = query.filter(id__in=task_ids)
    tasks = await query.order_by("id")
    nodes = {n.id: n for n in await UptimeNode.filter(business_id=business_id)}
    sources = await MonitorSource.filter(business_id=business_id, scenario="uptimecheck")
    exported = []
    for task in tasks:
        monitor_conf = []
        for source in sources:
            if source.where_sql == f"task_id='{task.id}'":
                for strategy in (await export_source(source))["alarm_strategy"]:
                    monitor_conf.append(
                        {**strategy, "monitor_target": source.field, "unit": source.unit, "where_sql": source.where_sql}
                    )
        exported.append(
            {
                "task_id": task.id,
                "collector_conf": {
                    "name": task.name,
                    "protocol": str(task.protocol),
                    "groups": task.groups,
                    "location": task.location,
                    "config": {k: v for k, v in task.config.items()},
                },
                "target_conf": {
                    "bk_biz_id": business_id,
                    "node_id_list": list(task.node_ids) if not with_nodes else [],
                    "node_list": [node_export(nodes[i]) for i in task.node_ids if i in nodes] if with_nodes else [],
                },
                "monitor_conf": monitor_conf,
                "status": task.status,
            }
        )
    return exported


async def checks_for_host(host_id: int) -> list[dict[str, Any]]:
    """What the agent on `host_id` probes: each running task of its nodes, with the task's config."""
    nodes = await UptimeNode.filter(host_id=host_id).values("id", "business_id")
    if not nodes:
        return []
    checks: list[dict[str, Any]] = []
    for node in nodes:
        for task in await UptimeTask.filter(business_id=node["business_id"], status="running"):
            if node["id"] in task.node_ids:
                for target in targets(task.protocol, task.config):
                    checks.append(
                        {
                            "task_id": task.id,
                            "node_id": node["id"],
                            "protocol": str(task.protocol),
                            "target": target,
                            "period": task.period,
                            "config": task.config,
                        }
                    )
    return checks
