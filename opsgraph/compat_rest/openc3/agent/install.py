"""`/install/:treeid`: agent installs through OpsGraph's agent installer (the doc marks install
"ignore"; upstream's code serves it). `POST /install/:treeid/:regionid {ip, type agent|proxy,
username (default root), password | private_key}` answers the install task's uuid (its
jobInstanceId); `GET /install/:treeid/:uuid` follows it; `GET /install/:treeid` lists the node's
business's recent installs. Also `/nodeinfo` and `/monitor/metrics` of `/api/agent`."""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.agent.regions import install as start_install
from opsgraph.compat_rest.openc3.agent.regions import login, region_id
from opsgraph.compat_rest.openc3.checks import DIGITS, choice, fail, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time, metrics, node_hosts, tree_business
from opsgraph.compat_rest.openc3.job.nodes import unknown_nodes
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

IPS = re.compile(r"^[0-9\., ]+$")
STATUS = {"PENDING": "init", "RUNNING": "running", "SUCCESS": "success"}


@C3_ROUTES.route("agent", "POST", "/install/:treeid/:regionid")
async def install(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Install agents (or proxies) on `ip` in this region."""
    ips = [ip for ip in re.split(r"[, ]+", text(request, "ip", required=True, pattern=IPS)) if ip]
    kind = choice(request, "type", ("agent", "proxy"), default="agent")
    credentials = login(request)
    if not credentials["password"] and not credentials["privateKey"]:
        raise fail("password", "installing logs in over SSH: give password or private_key")
    region = region_id(request)
    spec = {
        "ips": ips,
        "login": credentials,
        "node_type": "PROXY" if kind == "proxy" else ("PAGENT" if region else "AGENT"),
        "operation": "INSTALL",
    }
    task = await start_install(caller, settings, tree_id(request), region, spec)
    return C3Reply(uuid=str(task), data=len(ips))


def install_row(task: dict[str, Any]) -> dict[str, Any]:
    results = [r for step in task.get("steps", []) for r in step["hostResults"]["nodes"]]
    return {
        "uuid": str(task["jobInstanceId"]),
        "status": STATUS.get(task["status"], "fail"),
        "user": task["creator"],
        "create_time": c3_time(task["createdAt"]),
        "finish_time": c3_time(task["finishedAt"]),
        "success": sum(r["status"] == "SUCCESS" for r in results),
        "fail": sum(r["status"] in ("FAILED", "CANCELLED", "ABNORMAL") for r in results),
        "detail": [
            {"ip": r["ip"], "status": STATUS.get(r["status"], "fail"), "phase": r["phase"], "reason": r["error"]}
            for r in results
        ],
    }


@C3_ROUTES.route("agent", "GET", "/install/:treeid")
async def installs(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The business's recent agent installs."""
    node = await tree_business(tree_id(request), caller.principal, settings)
    data = await run_operation(
        load_operation(__name__, "install_tasks.graphql"), {"bkBizId": node["bkBizId"]}, caller.principal, settings
    )
    tasks = ((data["business"] or {}).get("tasks") or {}).get("nodes", [])
    return [install_row(task) for task in tasks if task["kind"] == "AGENT_INSTALL"]


@C3_ROUTES.route("agent", "GET", "/install/:treeid/:uuid")
async def install_status(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One install: its state and each host's."""
    node = await tree_business(tree_id(request), caller.principal, settings)
    wanted = int(text(request, "uuid", required=True, pattern=DIGITS))
    task = (
        await run_operation(
            load_operation(__name__, "install_task.graphql"), {"id": wanted}, caller.principal, settings
        )
    )["task"]
    if task is None or task["kind"] != "AGENT_INSTALL" or task["bkBizId"] != node["bkBizId"]:
        raise NotFound(f"no install {wanted} on tree node {node['treeId']}", field="uuid")
    return install_row(task)


@C3_ROUTES.route("agent", "GET", "/nodeinfo/:treeid")
async def node_info(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The machines under the node with their agent's state."""
    return [
        {
            "id": h["bkHostId"],
            "name": h["hostName"] or h["innerIp"],
            "inip": h["innerIp"],
            "exip": h["outerIp"],
            "type": h["osType"] or "",
            "agent": "success" if (h["agent"] or {}).get("alive") else "fail" if h["agent"] else "none",
            "version": (h["agent"] or {}).get("version") or "",
            "regionid": h["bkCloudId"],
        }
        for h in await node_hosts(tree_id(request), caller.principal, settings)
    ]


@C3_ROUTES.route("agent", "GET", "/nodeinfo/:treeid/check")
async def node_check(request: C3Request, caller: C3Caller, settings: Settings) -> str | None:
    """Which of `node` are not under the tree node (null: all are)."""
    return await unknown_nodes(request, caller, settings)


@C3_ROUTES.route("agent", "GET", "/nodeinfo/:treeid/count")
async def node_count(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, int]:
    """How many machines are under the node."""
    return {"node": len(await node_hosts(tree_id(request), caller.principal, settings))}


@C3_ROUTES.route("agent", "GET", "/monitor/metrics/mysql")
async def database_metrics(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The database behind the agent module (a round trip proves it answers)."""
    await run_operation(load_operation("opsgraph.compat_rest.openc3", "health.graphql"), {}, caller.principal, settings)
    return {**metrics(caller.principal, settings, "agent"), "up": 1}


@C3_ROUTES.route("agent", "GET", "/monitor/metrics/app")
async def app_metrics(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The agent module itself."""
    return {**metrics(caller.principal, settings, "agent"), "up": 1}
