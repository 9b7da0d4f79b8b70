"""OpenC3 node groups as dynamic groups: resolved against the CMDB every time a task uses them, so
a host added to the node later is in the next run.

A group made through OpenC3 is a DynamicGroup of the node's business whose stored search body
selects the listed hosts (`bk_host_innerip` or `bk_host_name` `$in` the list) within the node
(a set or module clause for set and module nodes), and carries OpenC3's own view of itself
(`openc3: {tree_id, plugin, params}`) beside the search, which searching ignores. Groups made
elsewhere (bk custom queries, GraphQL) show on their business's node as plugin `cmdb`.

Upstream's `type` plugin selects machines by a type the OpenC3 CMDB knows; ours has no such
attribute, so only the `node` plugin is accepted (a clear refusal names it).
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.cmdb_groups import DynamicGroup
from opsgraph.resolvers.cmdb_groups.groups import create_group, delete_group, update_group
from opsgraph.resolvers.service_tree.access import READ, WRITE, TreeNode, node_for
from opsgraph.resolvers.service_tree.ids import NodeKind

PLUGINS = ("node", "type")
_NAME = re.compile(r"^[a-zA-Z0-9_\-\.]+$")


def _names(params: Any) -> list[str]:
    if not isinstance(params, str) or not params.strip():
        raise ValidationFailed("check format fail params: list the machines, separated by commas", field="params")
    names = list(dict.fromkeys(item.strip() for item in re.split(r"[,\s]+", params) if item.strip()))
    bad = next((name for name in names if not _NAME.match(name)), None)
    if bad is not None:
        raise ValidationFailed(f"check format fail params: {bad!r} is not a host IP or name", field="params")
    if len(names) > 10_000:
        raise ValidationFailed("check format fail params: at most 10000 machines", field="params")
    return names


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def group_body(node: TreeNode, plugin: Any, params: Any) -> dict[str, Any]:
    if plugin not in PLUGINS:
        raise ValidationFailed("check format fail plugin: node (or type)", field="plugin")
    if plugin == "type":
        raise ValidationFailed(
            "check format fail plugin: type groups need OpenC3's machine types: use node", field="plugin"
        )
    names = _names(params)
    ips = [name for name in names if _is_ip(name)]
    if ips and len(ips) != len(names):
        raise ValidationFailed("check format fail params: give IPs or host names, not both", field="params")
    field = "bk_host_innerip" if ips else "bk_host_name"
    clauses: list[dict[str, Any]] = [
        {"bk_obj_id": "host", "fields": [], "condition": [{"field": field, "operator": "$in", "value": names}]}
    ]
    if node.kind == NodeKind.SET:
        clauses.append({"bk_obj_id": "set", "fields": [], "condition": [_eq("bk_set_id", node.pk)]})
    elif node.kind == NodeKind.MODULE:
        clauses.append({"bk_obj_id": "module", "fields": [], "condition": [_eq("bk_module_id", node.pk)]})
    return {"condition": clauses, "openc3": {"tree_id": node.tree_id, "plugin": plugin, "params": ",".join(names)}}


def _eq(field: str, value: int) -> dict[str, Any]:
    return {"field": field, "operator": "$eq", "value": value}


def openc3_view(info: str) -> dict[str, Any]:
    try:
        decoded = json.loads(info)
    except ValueError:
        return {}
    view = decoded.get("openc3") if isinstance(decoded, dict) else None
    return view if isinstance(view, dict) else {}


def _shown_on(group: DynamicGroup, node: TreeNode) -> bool:
    view = openc3_view(group.info)
    if view:
        return bool(view.get("tree_id") == node.tree_id)
    return node.kind == NodeKind.BUSINESS


async def list_node_groups(principal: Principal, tree_id: int) -> tuple[TreeNode, list[DynamicGroup]]:
    node = await node_for(principal, tree_id, READ)
    groups = await DynamicGroup.filter(business_id=node.business_id).order_by("-id")
    return node, [group for group in groups if _shown_on(group, node)]


async def get_node_group(principal: Principal, tree_id: int, group_id: int, level: int = READ) -> DynamicGroup:
    node = await node_for(principal, tree_id, level)
    group = await DynamicGroup.get_or_none(id=group_id, business_id=node.business_id)
    if group is None or not _shown_on(group, node):
        raise NotFound(f"nodegroup id {group_id} nofind on tree node {tree_id}", field="id")
    return group


async def create_node_group(principal: Principal, tree_id: int, name: Any, plugin: Any, params: Any) -> DynamicGroup:
    node = await node_for(principal, tree_id, WRITE)
    return await create_group(principal, node.business_id, name, group_body(node, plugin, params))


async def update_node_group(
    principal: Principal, tree_id: int, group_id: int, name: Any, plugin: Any, params: Any
) -> DynamicGroup:
    node = await node_for(principal, tree_id, WRITE)
    group = await get_node_group(principal, tree_id, group_id, WRITE)
    return await update_group(principal, group, name, group_body(node, plugin, params))


async def delete_node_group(principal: Principal, tree_id: int, group_id: int) -> None:
    group = await get_node_group(principal, tree_id, group_id, WRITE)
    await delete_group(principal, group)
