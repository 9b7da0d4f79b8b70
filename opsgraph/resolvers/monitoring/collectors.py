"""Script and log collectors: import (partial success per item), export, and deployment to hosts
through the executor: one SCRIPT task (the business's default account, over SSH) writes each
target host's collector config, and the script, into its agent's directory; the agent runs it every
period and reports the output with its heartbeats. Per-host success or failure is the task's.

A deploy task runs one script on every target, so the script picks its host's files by the address
sshd was reached at (`$SSH_CONNECTION`), which is the host's inner IP the runner connected to.
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, OpsGraphError, ValidationFailed
from opsgraph.models.agents import AgentState, AgentStatus
from opsgraph.models.monitoring_checks import Collector, CollectorKind
from opsgraph.models.tasks import Task
from opsgraph.models.topology import Host
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.monitoring.collector_shape import log_config, script_config
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

WRITE_ROLE = "maintainer"
MAX_IMPORT = 100
MAX_TARGETS = 500
DEPLOY_TIMEOUT = 120


@dataclass
class DeployTarget:
    ip: str
    bk_cloud_id: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Deployment:
    collector_id: int
    task: Task | None
    failed: list[dict[str, Any]]  # [{ip, bk_cloud_id, message}] refused before the task


async def _save(
    principal: Principal, business_id: int, kind: CollectorKind, config: dict[str, Any], period: int
) -> Collector:
    name = config["name"] if kind == CollectorKind.SCRIPT else config["data_set"]
    description = config.get("description") or config.get("data_desc") or ""
    async with write_transaction(f"a collector named {name!r} already exists in business {business_id}"):
        existing = await Collector.get_or_none(business_id=business_id, name=name)
        if existing is not None and existing.kind != kind:
            raise ValidationFailed(f"{name!r} is already a {existing.kind.lower()} collector", field="name")
        if existing is not None:
            await Collector.filter(id=existing.id).update(config=config, period=period, description=description)
            collector = existing
            op = "update"
        else:
            collector = await Collector.create(
                business_id=business_id,
                kind=kind,
                name=name,
                description=description,
                config=config,
                period=period,
                created_by=principal.username,
            )
            op = "create"
        await record_operation(
            principal,
            op_type=op,
            op_target="collector",
            op_desc=f"{op} {kind.lower()} collector {name}",
            business_id=business_id,
            inst_id=collector.id,
            cur_data={"kind": str(kind), "period": period},
        )
    await collector.refresh_from_db()
    return collector


async def import_script_collectors(
    principal: Principal, items: Any, default_business: int | None = None
) -> dict[str, Any]:
    """import_script_collector: `{success: [{name, id, message}], failed: [{name, message}]}`."""
    if not isinstance(items, list) or not items or len(items) > MAX_IMPORT:
        raise ValidationFailed(
            f"collector_conf_list must list 1 to {MAX_IMPORT} collectors", field="collector_conf_list"
        )
    success, failed = [], []
    for index, raw in enumerate(items):
        name = raw.get("name") if isinstance(raw, dict) else None
        try:
            biz = int((raw or {}).get("bk_biz_id") or default_business or 0)
            await get_business(principal, biz, WRITE_ROLE)
            config, period = script_config(raw, f"collector_conf_list[{index}]")
            collector = await _save(principal, biz, CollectorKind.SCRIPT, config, period)
        except (OpsGraphError, ValueError, TypeError) as exc:
            failed.append({"name": name, "message": getattr(exc, "message", str(exc))})
            continue
        success.append({"name": collector.name, "id": collector.id, "message": "ok"})
    return {"success": success, "failed": failed}


async def import_log_collectors(
    principal: Principal, items: Any, default_business: int | None = None
) -> list[dict[str, Any]]:
    """Each item created and deployed to its target_conf.ips: [{origin_conf, collector_id, task_id,
    failed: [...]} or {origin_conf, message}] (the compat layer waits for the tasks)."""
    if not isinstance(items, list) or not items or len(items) > MAX_IMPORT:
        raise ValidationFailed(f"conf_list must list 1 to {MAX_IMPORT} collectors", field="conf_list")
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(items):
        try:
            if not isinstance(raw, dict) or not isinstance(raw.get("target_conf"), dict):
                raise ValidationFailed(f"conf_list[{index}].target_conf must be an object", field="target_conf")
            target = raw["target_conf"]
            biz = int(target.get("bk_biz_id") or default_business or 0)
            await get_business(principal, biz, WRITE_ROLE)
            config, period = log_config(raw.get("collector_conf"), f"conf_list[{index}].collector_conf")
            ips = target.get("ips") or []
            if not isinstance(ips, list) or not ips or not all(isinstance(ip, str) for ip in ips):
                raise ValidationFailed(f"conf_list[{index}].target_conf.ips must list IPs", field="target_conf.ips")
            collector = await _save(principal, biz, CollectorKind.LOG, config, period)
            deployment = await deploy(principal, collector.id, [DeployTarget(ip) for ip in ips])
        except (OpsGraphError, ValueError, TypeError) as exc:
            results.append({"origin_conf": raw, "message": getattr(exc, "message", str(exc))})
            continue
        results.append(
            {
                "origin_conf": raw,
                "collector_id": collector.id,
                "task_id": deployment.task.id if deployment.task else None,
                "failed": deployment.failed,
            }
        )
    return results


async def get_collector(principal: Principal, collector_id: int, minimum_role: str = "viewer") -> Collector:
    collector = await Collector.get_or_none(id=collector_id)
    if collector is None or not principal.can(collector.business_id):
        raise NotFound(f"collector {collector_id} does not exist", field="collectorId", code="COLLECTOR_NOT_FOUND")
    principal.require(collector.business_id, minimum_role)
    return collector


def _files(collector: Collector, host_id: int, params: dict[str, Any]) -> dict[str, bytes]:
    config = collector.config
    spec: dict[str, Any] = {"id": collector.id, "table": collector.name, "period": collector.period, "host_id": host_id}
    files: dict[str, bytes] = {}
    if collector.kind == CollectorKind.SCRIPT:
        script = base64.b64decode(config.get("script_content_base64") or "")
        spec |= {
            "kind": "script",
            "ext": config["script_ext"],
            "run": config.get("start_cmd") if config["script_type"] == "cmd" else config.get("script_run_cmd") or "",
            "params": {str(k): str(v) for k, v in params.items()},
            "metrics": [f["name"] for f in config["fields"] if f["monitor_type"] == "metric"],
            "dimensions": [f["name"] for f in config["fields"] if f["monitor_type"] == "dimension"],
        }
        if script:
            files[f"{collector.id}.script"] = script
    else:
        spec |= {
            "kind": "log",
            "path": config["log_path"],
            "sep": config["sep"],
            "conditions": config["conditions"],
            "encoding": "gbk" if config["data_encode"] == "GBK" else "utf-8",
        }
    files[f"{collector.id}.json"] = json.dumps(spec, ensure_ascii=False).encode()
    return files


def deploy_script(collector: Collector, hosts: list[tuple[str, str, int, dict[str, Any]]]) -> str:
    """A POSIX sh script writing each host's files; `hosts` is [(ip, agent dir, host id, params)]."""
    lines = ["set -e", "set -- $SSH_CONNECTION", 'addr="$3"', 'case "$addr" in']
    for ip, directory, host_id, params in hosts:
        target = shlex.quote(f"{directory}/collectors")
        writes = []
        for name, content in _files(collector, host_id, params).items():
            encoded = base64.b64encode(content).decode()
            path = shlex.quote(f"{directory}/collectors/{name}")
            writes.append(f"printf '%s' {shlex.quote(encoded)} | base64 -d > {path}.tmp && mv {path}.tmp {path}")
        lines.append(f"  {shlex.quote(ip)}) mkdir -p {target} && {' && '.join(writes)} ;;")
    lines.append('  *) echo "no collector deployment for address $addr" >&2; exit 3 ;;')
    lines.append("esac")
    lines.append(f'echo "collector {collector.id} ({collector.name}) deployed to $addr"')
    return "\n".join(lines) + "\n"


async def deploy(principal: Principal, collector_id: int, targets: list[DeployTarget]) -> Deployment:
    """Start the deploy task; hosts unknown to the business or without an agent fail up front."""
    from opsgraph.resolvers.tasks.plans import Common, Targets, run_script

    collector = await get_collector(principal, collector_id, WRITE_ROLE)
    if not targets or len(targets) > MAX_TARGETS:
        raise ValidationFailed(f"target_conf must name 1 to {MAX_TARGETS} hosts", field="target_conf")
    hosts = {
        (h["inner_ip"], h["cloud_area_id"]): h
        for h in await Host.filter(business_id=collector.business_id, inner_ip__in=[t.ip for t in targets]).values(
            "id", "inner_ip", "cloud_area_id"
        )
    }
    agents = {
        a["host_id"]: a
        for a in await AgentState.filter(host_id__in=[h["id"] for h in hosts.values()]).values(
            "host_id", "status", "install_dir"
        )
    }
    failed: list[dict[str, Any]] = []
    chosen: list[tuple[str, str, int, dict[str, Any]]] = []
    for target in targets:
        host = hosts.get((target.ip, target.bk_cloud_id))
        agent = agents.get(host["id"]) if host else None
        if host is None:
            failed.append(
                {"ip": target.ip, "bk_cloud_id": target.bk_cloud_id, "message": "host is not in the business"}
            )
        elif agent is None or agent["status"] != AgentStatus.INSTALLED or not agent["install_dir"]:
            failed.append(
                {"ip": target.ip, "bk_cloud_id": target.bk_cloud_id, "message": "no OpsGraph agent on the host"}
            )
        else:
            chosen.append((target.ip, agent["install_dir"], host["id"], target.params))
    task = None
    if chosen:
        task = await run_script(
            principal,
            Common(
                business_id=collector.business_id, name=f"deploy collector {collector.name}", timeout=DEPLOY_TIMEOUT
            ),
            Targets(host_ids=[host_id for _, _, host_id, _ in chosen]),
            script_id=None,
            content=deploy_script(collector, chosen),
            language=1,
        )
        await Collector.filter(id=collector.id).update(
            host_ids=sorted({*collector.host_ids, *(h for _, _, h, _ in chosen)}), last_task_id=task.id
        )
    return Deployment(collector.id, task, failed)


def export_script(collector: Collector) -> dict[str, Any]:
    return {"id": collector.id, **collector.config}


def export_log(collector: Collector, ips: list[str]) -> dict[str, Any]:
    return {
        "id": collector.id,
        "collector_conf": collector.config,
        "target_conf": {"bk_biz_id": collector.business_id, "ips": ips},
        "monitor_conf": [],
    }


async def export_collectors(
    principal: Principal, business_id: int, kind: CollectorKind, ids: list[int] | None
) -> list[dict[str, Any]]:
    await get_business(principal, business_id)
    query = Collector.filter(business_id=business_id, kind=kind)
    if ids is not None:
        query = query.filter(id__in=ids)
    collectors = await query.order_by("id")
    if kind == CollectorKind.SCRIPT:
        return [export_script(c) for c in collectors]
    host_ids = {h for c in collectors for h in c.host_ids}
    ips = {h["id"]: h["inner_ip"] for h in await Host.filter(id__in=host_ids).values("id", "inner_ip")}
    return [export_log(c, [ips[h] for h in c.host_ids if h in ips]) for c in collectors]
