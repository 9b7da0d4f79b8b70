"""`/nodegroup`, `/nodelist` and `/nodeinfo` of `/api/job`: node groups (dynamic groups), the
machines placed on a node, and the machines under it."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.checks import DIGITS, choice, comma_list, date_param, required_int, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time, node_hosts
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings


def group_row(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": group["id"],
        "name": group["name"],
        "plugin": group["plugin"],
        "params": group["params"],
        "create_user": group["createdBy"],
        "create_time": c3_time(group["createdAt"]),
        "edit_user": group["editedBy"],
        "edit_time": c3_time(group["updatedAt"]),
    }


def _in_days(value: str | None, start: Any, end: Any) -> bool:
    if start is None and end is None:
        return True
    if value is None:
        return False
    moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    low = datetime.combine(start, time.min, tzinfo=UTC) if start else None
    high = datetime.combine(end, time.max, tzinfo=UTC) if end else None
    return (low is None or moment >= low) and (high is None or moment <= high)


def filtered(
    request: C3Request, rows: list[dict[str, Any]], users: tuple[str, ...], times: tuple[str, ...]
) -> list[dict[str, Any]]:
    """OpenC3's list filters: `name` contains, users equal, `<time>_start` / `_end` dates inclusive."""
    if name := text(request, "name"):
        rows = [row for row in rows if name in str(row.get("name", ""))]
    for key in users:
        if wanted := text(request, key):
            rows = [row for row in rows if row.get(key) == wanted]
    for column in times:
        start, end = date_param(request, f"{column}_start"), date_param(request, f"{column}_end")
        rows = [row for row in rows if _in_days(row.get(column), start, end)]
    return rows


@C3_ROUTES.route("job", "GET", "/nodegroup/:treeid")
async def list_groups(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The node's node groups, newest first."""
    variables = {"treeId": tree_id(request)}
    data = await run_operation(
        load_operation(__name__, "tree_node_groups.graphql"), variables, caller.principal, settings
    )
    rows = [group_row(group) for group in data["treeNodeGroups"]]
    if plugin := text(request, "plugin"):
        rows = [row for row in rows if row["plugin"] == plugin]
    return filtered(request, rows, ("create_user", "edit_user"), ("create_time", "edit_time"))


async def _group(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    variables = {"treeId": tree_id(request), "id": required_int(request, "id")}
    group = (
        await run_operation(load_operation(__name__, "tree_node_group.graphql"), variables, caller.principal, settings)
    )["treeNodeGroup"]
    if group is None:
        raise NotFound(f"nodegroup id {variables['id']} nofind", field="id")
    return dict(group)


@C3_ROUTES.route("job", "GET", "/nodegroup/:treeid/:id")
async def get_group(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One node group."""
    return group_row(await _group(request, caller, settings))


@C3_ROUTES.route("job", "GET", "/nodegroup/:treeid/:id/nodelist")
async def group_nodes(request: C3Request, caller: C3Caller, settings: Settings) -> list[str]:
    """The machines the group matches now."""
    variables = {"treeId": tree_id(request), "id": required_int(request, "id")}
    hosts = (
        await run_operation(
            load_operation(__name__, "tree_node_group_hosts.graphql"), variables, caller.principal, settings
        )
    )["treeNodeGroupHosts"]
    return [host["innerIp"] for host in hosts]


def _group_spec(request: C3Request) -> dict[str, Any]:
    return {
        "treeId": tree_id(request),
        "name": text(request, "name", required=True, max_length=256),
        "plugin": choice(request, "plugin", ("node", "type"), required=True),
        "params": text(request, "params", required=True, max_length=1 << 20),
    }


@C3_ROUTES.route("job", "POST", "/nodegroup/:treeid")
async def create_group(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """A node group (`plugin` node: `params` lists machines by IP or name)."""
    document = load_operation(__name__, "create_tree_node_group.graphql")
    payload = (await run_operation(document, {"input": _group_spec(request)}, caller.principal, settings))[
        "createTreeNodeGroup"
    ]
    raise_user_errors(payload)
    return int(payload["nodeGroup"]["id"])


@C3_ROUTES.route("job", "POST", "/nodegroup/:treeid/:id")
async def update_group(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Replace a node group's name and machines."""
    spec = {**_group_spec(request), "id": required_int(request, "id")}
    document = load_operation(__name__, "update_tree_node_group.graphql")
    payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["updateTreeNodeGroup"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "DELETE", "/nodegroup/:treeid/:id")
async def delete_group(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete a node group."""
    spec = {"treeId": tree_id(request), "id": required_int(request, "id")}
    document = load_operation(__name__, "delete_tree_node_group.graphql")
    payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["deleteTreeNodeGroup"]
    raise_user_errors(payload)
    return 1


def machine_row(host: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": host["bkHostId"],
        "name": host["hostName"] or host["innerIp"],
        "inip": host["innerIp"],
        "exip": host["outerIp"],
        "type": host["osType"] or "",
        "create_user": "",
        "create_time": c3_time(host["createdAt"]),
        "edit_user": "",
        "edit_time": c3_time(host["updatedAt"]),
    }


@C3_ROUTES.route("job", "GET", "/nodelist/:treeid")
async def list_machines(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The machines on the node (`name`, `inip`, `exip` contain; creation dates)."""
    rows = [machine_row(host) for host in await node_hosts(tree_id(request), caller.principal, settings)]
    for key in ("inip", "exip"):
        if part := text(request, key):
            rows = [row for row in rows if part in row[key]]
    return filtered(request, rows, ("create_user", "edit_user"), ("create_time",))


@C3_ROUTES.route("job", "POST", "/nodelist/:treeid")
async def add_machine(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Put a machine on the node: `name` is "ip" or "name::inip::exip"."""
    spec = {"treeId": tree_id(request), "name": text(request, "name", required=True, max_length=512)}
    payload = (
        await run_operation(
            load_operation(__name__, "place_tree_host.graphql"), {"input": spec}, caller.principal, settings
        )
    )["placeTreeHost"]
    raise_user_errors(payload)
    return C3Reply(data=payload["bkHostId"])


@C3_ROUTES.route("job", "DELETE", "/nodelist/:treeid/:id")
async def remove_machine(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Take a machine off the node."""
    spec = {"treeId": tree_id(request), "bkHostId": int(text(request, "id", required=True, pattern=DIGITS))}
    payload = (
        await run_operation(
            load_operation(__name__, "remove_tree_host.graphql"), {"input": spec}, caller.principal, settings
        )
    )["removeTreeHost"]
    raise_user_errors(payload)
    return 1


def info_row(host: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": host["bkHostId"],
        "name": host["hostName"] or host["innerIp"],
        "inip": host["innerIp"],
        "exip": host["outerIp"],
        "type": host["osType"] or "",
    }


@C3_ROUTES.route("job", "GET", "/nodeinfo/:treeid")
async def node_info(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The machines under the node."""
    return [info_row(host) for host in await node_hosts(tree_id(request), caller.principal, settings)]


async def unknown_nodes(request: C3Request, caller: C3Caller, settings: Settings) -> str | None:
    """None when every `node` is under the tree node, else the ones that are not, comma-joined."""
    wanted = comma_list(request, "node", required=True)
    hosts = await node_hosts(tree_id(request), caller.principal, settings)
    known = {h["innerIp"] for h in hosts} | {h["outerIp"] for h in hosts} | {h["hostName"] for h in hosts}
    missing = [name for name in wanted if name not in known]
    return ",".join(missing) if missing else None


@C3_ROUTES.route("job", "GET", "/nodeinfo/:treeid/check")
async def node_check(request: C3Request, caller: C3Caller, settings: Settings) -> str | None:
    """Which of `node` are not under the tree node (null: all are)."""
    return await unknown_nodes(request, caller, settings)


@C3_ROUTES.route("job", "GET", "/nodeinfo/:treeid/count")
async def node_count(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, int]:
    """How many machines are under the node."""
    return {"node": len(await node_hosts(tree_id(request), caller.principal, settings))}
