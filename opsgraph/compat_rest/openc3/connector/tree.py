"""connectorx tree endpoints: the caller's tree, its dotted map, permission points, node resources.

Tree ids are our topology's (resolvers/service_tree/ids.py). `usertree` also carries OpenC3's
"private" root (4000000000) with the caller's private nodes, as upstream does.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import DIGITS, integer, text
from opsgraph.compat_rest.openc3.checks import tree_id as tree_id_param
from opsgraph.compat_rest.openc3.common import node_hosts
from opsgraph.compat_rest.openc3.connector.private import private_root
from opsgraph.core.settings import Settings
from opsgraph.resolvers.service_tree.private_nodes import PRIVATE_BASE


def _branch(node: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"id": node["treeId"], "name": node["name"]}
    children = node.get("children") or []
    if children:
        shaped["children"] = [_branch(child) for child in children]
    return shaped


def _paths(nodes: list[dict[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in nodes:
        found[str(node["treeId"])] = node["path"]
        found.update(_paths(node.get("children") or []))
    return found


async def _tree(caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    data = await run_operation(load_operation(__name__, "service_tree.graphql"), {}, caller.principal, settings)
    return list(data["serviceTree"])


@C3_ROUTES.route("connector", "GET", "/connectorx/usertree")
async def user_tree(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The nodes the caller has a role on: businesses, their sets, their modules; then "private"."""
    tree = [_branch(node) for node in await _tree(caller, settings)]
    return [*tree, await private_root(caller, settings)]


@C3_ROUTES.route("connector", "GET", "/connectorx/usertree/treemap")
async def user_tree_map(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, str]:
    """tree id → "business.set.module" for the caller's tree."""
    return _paths(await _tree(caller, settings))


@C3_ROUTES.route("connector", "GET", "/connectorx/treemap")
async def tree_map(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, str]:
    """The same map: a name is already something a caller without a role must not learn."""
    return _paths(await _tree(caller, settings))


@C3_ROUTES.route("connector", "GET", "/connectorx/point")
async def point(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """1 when the caller holds the permission point (on `treeid`, or globally), else 0."""
    name = text(request, "point", required=True, max_length=128)
    tree = integer(request, "treeid")
    if tree is not None and not DIGITS.match(str(tree)):
        tree = None
    variables = {"point": name, "treeId": tree}
    data = await run_operation(load_operation(__name__, "point.graphql"), variables, caller.principal, settings)
    return 1 if data["serviceTreePoint"] else 0


@C3_ROUTES.route("connector", "GET", "/connectorx/nodeinfo/:treeid")
async def node_info(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The machines under a node."""
    raw = text(request, "treeid", required=True, pattern=DIGITS)
    if int(raw) >= PRIVATE_BASE:  # a private node holds no machines
        return []
    tree = tree_id_param(request)
    hosts = await node_hosts(tree, caller.principal, settings)
    return [
        {
            "id": host["bkHostId"],
            "name": host["hostName"] or host["innerIp"],
            "inip": host["innerIp"],
            "exip": host["outerIp"],
            "type": host["osType"] or "",
        }
        for host in hosts
    ]
