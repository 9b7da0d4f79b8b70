"""`/api/agent`: regions (our cloud areas) serving a tree node, their relations, coverage
(`agent/…/subnet`), proxies (PROXY agents of a region's cloud area), the check switch, inheritance.
The doc names the proxy-adding path's parameter `:region` and its siblings' `:regionid`: the
same segment, read either way."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.checks import fail, flag, required_int, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time, tree_business
from opsgraph.core.errors import NotFound
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

PROXY_IPS = re.compile(r"^[a-zA-Z0-9 \-\._,]+$")


async def _op(caller: C3Caller, settings: Settings, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return await run_operation(load_operation(__name__, document), variables, caller.principal, settings)


async def _mutate(caller: C3Caller, settings: Settings, document: str, field: str, variables: dict[str, Any]) -> Any:
    payload = (await _op(caller, settings, document, variables))[field]
    raise_user_errors(payload)
    return payload


def region_id(request: C3Request) -> int:
    return required_int(request, "regionid" if request.get("regionid") is not None else "region")


@C3_ROUTES.route("agent", "GET", "/region/:treeid")
async def regions(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Regions made on the node (with `relation`: every region serving it)."""
    variables = {"treeId": tree_id(request), "ownedOnly": not flag(request, "relation")}
    rows = (await _op(caller, settings, "tree_regions.graphql", variables))["treeRegions"]
    return [
        {"id": r["regionId"], "name": r["name"], "projectid": r["treeId"], "create_time": c3_time(r["createdAt"])}
        for r in rows
    ]


@C3_ROUTES.route("agent", "POST", "/region/:treeid")
async def create_region(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """A region `name` (a new cloud area, which needs a superuser) serving the node."""
    variables = {"treeId": tree_id(request), "name": text(request, "name", required=True, max_length=128)}
    return int((await _mutate(caller, settings, "create_tree_region.graphql", "createTreeRegion", variables))["id"])


@C3_ROUTES.route("agent", "DELETE", "/region/:treeid/:regionid")
async def delete_region(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """The region no longer serves the node (the cloud area stays: it may hold hosts)."""
    variables = {"treeId": tree_id(request), "regionId": region_id(request)}
    await _mutate(caller, settings, "unrelate_tree_region.graphql", "unrelateTreeRegion", variables)
    return 1


async def _region_hosts(caller: C3Caller, settings: Settings, region: int) -> list[dict[str, Any]]:
    hosts: list[dict[str, Any]] = []
    after = None
    while True:
        variables = {"cloudAreaId": encode_global_id("CloudArea", region), "first": 500, "after": after}
        page = (await _op(caller, settings, "region_hosts.graphql", variables))["hosts"]
        hosts += page["nodes"]
        if not page["pageInfo"]["hasNextPage"] or len(hosts) >= 10_000:
            return hosts
        after = page["pageInfo"]["endCursor"]


def _agent_status(agent: dict[str, Any] | None) -> str:
    if agent is None:
        return "none"
    if agent["status"] == "INSTALLED":
        return "success" if agent["alive"] else "fail"
    return {"INSTALLING": "running", "INSTALL_FAILED": "fail"}.get(agent["status"], "fail")


async def _proxies(caller: C3Caller, settings: Settings, region: int) -> list[dict[str, Any]]:
    return [
        {
            "id": h["bkHostId"],
            "ip": h["innerIp"],
            "status": _agent_status(h["agent"]),
            "version": h["agent"]["version"],
            "edit_time": c3_time(h["agent"]["lastHeartbeat"] or h["updatedAt"]),
            "fail": 0,
            "reason": "",
        }
        for h in await _region_hosts(caller, settings, region)
        if h["agent"] and h["agent"]["nodeType"] == "PROXY"
    ]


@C3_ROUTES.route("agent", "GET", "/region/:treeid/active")
async def active_regions(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Regions serving the node, with their proxies and covered agents counted by status."""
    tree = tree_id(request)
    rows = (await _op(caller, settings, "tree_regions.graphql", {"treeId": tree, "ownedOnly": False}))["treeRegions"]
    coverage = (await _op(caller, settings, "agent_coverage.graphql", {"treeId": tree, "regionId": None}))[
        "agentCoverage"
    ]
    result = []
    for row in rows:
        proxies = Counter(p["status"] for p in await _proxies(caller, settings, row["regionId"]))
        agents = Counter("success" for c in coverage if c["regionId"] == row["regionId"])
        result.append(
            {
                "id": row["regionId"],
                "region": row["name"],
                "regionprojectid": row["treeId"],
                "proxy": dict(proxies) or None,
                "agent": dict(agents) or None,
            }
        )
    return result


@C3_ROUTES.route("agent", "GET", "/project_region_relation/:treeid")
async def relations(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Which regions serve the node."""
    rows = (await _op(caller, settings, "tree_regions.graphql", {"treeId": tree_id(request), "ownedOnly": False}))[
        "treeRegions"
    ]
    return [{"id": r["id"], "projectid": r["treeId"], "regionid": r["regionId"]} for r in rows]


@C3_ROUTES.route("agent", "POST", "/project_region_relation/:treeid")
async def relate(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Let region `regionid` serve the node (the doc omits the parameter; upstream's code names it)."""
    variables = {"treeId": tree_id(request), "regionId": required_int(request, "regionid")}
    return int((await _mutate(caller, settings, "relate_tree_region.graphql", "relateTreeRegion", variables))["id"])


@C3_ROUTES.route("agent", "DELETE", "/project_region_relation/:treeid/:regionid")
async def unrelate(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """The region no longer serves the node (its coverage there goes too)."""
    variables = {"treeId": tree_id(request), "regionId": region_id(request)}
    await _mutate(caller, settings, "unrelate_tree_region.graphql", "unrelateTreeRegion", variables)
    return 1


def coverage_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "ip": row["pattern"],
        "status": "success",
        "reason": row["reason"],
        "version": "0",
        "regionid": row["regionId"],
        "edit_time": c3_time(row["createdAt"]),
        "fail": 0,
    }


@C3_ROUTES.route("agent", "GET", "/agent/:treeid")
async def agents(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """What the node's regions cover (subnets and /regex/ entries)."""
    rows = (await _op(caller, settings, "agent_coverage.graphql", {"treeId": tree_id(request), "regionId": None}))[
        "agentCoverage"
    ]
    return [coverage_row(row) for row in rows]


@C3_ROUTES.route("agent", "GET", "/agent/:treeid/:regionid")
async def region_agents(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """What one region covers for the node."""
    variables = {"treeId": tree_id(request), "regionId": region_id(request)}
    return [
        coverage_row(row) for row in (await _op(caller, settings, "agent_coverage.graphql", variables))["agentCoverage"]
    ]


@C3_ROUTES.route("agent", "POST", "/agent/:treeid/:regionid/subnet")
async def add_subnet(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Cover `subnet` (or the doc's `subname`): CIDRs and /regex/ through this region."""
    subnet = text(request, "subnet", max_length=4096) or text(request, "subname", required=True, max_length=4096)
    variables = {"treeId": tree_id(request), "regionId": region_id(request), "subnet": subnet}
    await _mutate(caller, settings, "add_agent_coverage.graphql", "addAgentCoverage", variables)
    return C3Reply()


@C3_ROUTES.route("agent", "DELETE", "/agent/:treeid/:agentid")
async def delete_agent(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Remove one coverage entry."""
    variables = {"treeId": tree_id(request), "id": required_int(request, "agentid")}
    await _mutate(caller, settings, "delete_agent_coverage.graphql", "deleteAgentCoverage", variables)
    return 1


@C3_ROUTES.route("agent", "GET", "/proxy/:treeid")
async def proxy_map(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """For each covered address of the node (and of the node it inherits from): its region's proxy."""
    tree = tree_id(request)
    ids = [tree]
    inherit = (await _op(caller, settings, "tree_inherit.graphql", {"treeId": tree}))["treeInherit"]
    if inherit:
        ids.append(inherit["inheritTreeId"])
    data: list[dict[str, str]] = []
    for node in ids:
        coverage = (await _op(caller, settings, "agent_coverage.graphql", {"treeId": node, "regionId": None}))[
            "agentCoverage"
        ]
        installed: dict[int, str] = {}
        for region in {c["regionId"] for c in coverage}:
            ready = [p["ip"] for p in await _proxies(caller, settings, region) if p["status"] == "success"]
            if ready:
                installed[region] = ready[0]
        data.append({c["pattern"]: installed[c["regionId"]] for c in coverage if c["regionId"] in installed})
    return C3Reply(data=data, info="id:" + ",".join(str(i) for i in ids))


@C3_ROUTES.route("agent", "GET", "/proxy/:treeid/:regionid")
async def proxies(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The region's proxies (PROXY agents of its cloud area) and their state."""
    tree, region = tree_id(request), region_id(request)
    served = (await _op(caller, settings, "tree_regions.graphql", {"treeId": tree, "ownedOnly": False}))["treeRegions"]
    if not any(r["regionId"] == region for r in served):
        raise NotFound(f"region {region} does not serve tree node {tree}", field="regionid")
    return await _proxies(caller, settings, region)


async def install(caller: C3Caller, settings: Settings, tree: int, region: int, spec: dict[str, Any]) -> int:
    node = await tree_business(tree, caller.principal, settings)
    hosts = [{"ip": ip, **{k: v for k, v in spec["login"].items() if v}} for ip in spec["ips"]]
    variables = {
        "input": {
            "businessId": node["businessId"],
            "nodeType": spec["node_type"],
            "operation": spec["operation"],
            "hosts": hosts,
            "bkCloudId": region,
        }
    }
    payload = await _mutate(caller, settings, "install_agents.graphql", "installAgents", variables)
    return int(payload["task"]["jobInstanceId"])


def login(request: C3Request) -> dict[str, str]:
    return {
        "username": text(request, "username", max_length=64) or "root",
        "password": text(request, "password", max_length=4096),
        "privateKey": text(request, "private_key", max_length=64 * 1024),
    }


@C3_ROUTES.route("agent", "POST", "/proxy/:treeid/:region")
async def add_proxy(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Install the PROXY agent on `ip` (comma-separated) in this region, with `username` and
    `password` (or `private_key`): a proxy is an OpsGraph agent, installed over SSH."""
    ips = [ip for ip in text(request, "ip", required=True, pattern=PROXY_IPS).replace(" ", ",").split(",") if ip]
    if not ips or not all(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ip) for ip in ips):
        raise fail("ip", "ip format error")
    credentials = login(request)
    if not credentials["password"] and not credentials["privateKey"]:
        raise fail("password", "installing a proxy logs in over SSH: give password or private_key")
    spec = {"ips": ips, "login": credentials, "node_type": "PROXY", "operation": "INSTALL"}
    task = await install(caller, settings, tree_id(request), region_id(request), spec)
    return C3Reply(uuid=str(task), data=len(ips))


@C3_ROUTES.route("agent", "DELETE", "/proxy/:treeid/:proxyid")
async def delete_proxy(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Forget a proxy: its agent record goes (REMOVE; the host stays, nothing is run on it)."""
    wanted = required_int(request, "proxyid")
    tree = tree_id(request)
    served = (await _op(caller, settings, "tree_regions.graphql", {"treeId": tree, "ownedOnly": False}))["treeRegions"]
    for region in served:
        for proxy in await _proxies(caller, settings, region["regionId"]):
            if proxy["id"] == wanted:
                spec = {"ips": [proxy["ip"]], "login": {}, "node_type": "PROXY", "operation": "REMOVE"}
                return C3Reply(uuid=str(await install(caller, settings, tree, region["regionId"], spec)), data=1)
    raise NotFound(f"tree node {tree} has no proxy {wanted}", field="proxyid")


@C3_ROUTES.route("agent", "GET", "/check/:treeid")
async def check(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The check switch; with it on, this read checks the node's agents now."""
    row = (await _op(caller, settings, "agent_check.graphql", {"treeId": tree_id(request)}))["agentCheck"]
    data: dict[str, Any] = {"status": row["status"], "slave": "opsgraph"}
    if row["lastCheck"]:
        data.update(last_check=c3_time(row["lastCheck"]), last_check_x=row["lastCheckX"])
    if row["lastSuccess"]:
        data.update(last_success=c3_time(row["lastSuccess"]), last_success_x=row["lastSuccessX"])
    return data


@C3_ROUTES.route("agent", "POST", "/check/:treeid")
async def set_check(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """`status` on or off (anything but on is off, as upstream)."""
    variables = {"treeId": tree_id(request), "status": text(request, "status", required=True, max_length=16)}
    await _mutate(caller, settings, "set_agent_check.graphql", "setAgentCheck", variables)
    return C3Reply()


@C3_ROUTES.route("agent", "GET", "/inherit/:treeid")
async def inherit(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The node this one inherits regions and proxies from, or {}."""
    row = (await _op(caller, settings, "tree_inherit.graphql", {"treeId": tree_id(request)}))["treeInherit"]
    if row is None:
        return {}
    source = await tree_business(row["inheritTreeId"], caller.principal, settings)
    return {"id": row["id"], "projectid": row["treeId"], "inheritid": row["inheritTreeId"], "fullname": source["path"]}
