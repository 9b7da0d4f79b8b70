"""Which hosts an OpenC3 step runs on, resolved when the task starts.

`buildin` lists IPs or host names; `group` names a node group (a dynamic group, matched against
the CMDB now, so a host added later is in); `variable` names a variable whose value is such a
list. Every host must be under the job's tree node: a name that is not is refused by name
("node 10.0.0.9 is not in tree node …"), a group's hosts outside the node are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.cmdb_groups.groups import host_ids_of_groups
from opsgraph.resolvers.service_tree.access import TreeNode
from opsgraph.resolvers.service_tree.tree import hosts_under
from opsgraph.resolvers.service_tree.variables import substitute

MAX_TARGETS = 50_000
HOST_COLUMNS = ("id", "inner_ip", "cloud_area_id", "host_name")


async def hosts_by_name(node: TreeNode, names: list[str], field: str) -> list[dict[str, Any]]:
    wanted = list(dict.fromkeys(n for n in names if n))
    if not wanted:
        raise ValidationFailed(f"check format fail {field}: no nodes given", field=field)
    if len(wanted) > MAX_TARGETS:
        raise ValidationFailed(f"check format fail {field}: more than {MAX_TARGETS} nodes", field=field)
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        found.extend(
            await hosts_under(node).filter(Q(inner_ip__in=chunk) | Q(host_name__in=chunk)).values(*HOST_COLUMNS)
        )
    known = {row["inner_ip"] for row in found} | {row["host_name"] for row in found}
    missing = [name for name in wanted if name not in known]
    if missing:
        raise NotFound(f"node {missing[0]} is not in tree node {node.tree_id}", field=field)
    return _unique(found)


async def group_hosts(principal: Principal, node: TreeNode, group_id: int, field: str) -> list[dict[str, Any]]:
    ref = encode_global_id("DynamicGroup", group_id)
    try:
        ids = await host_ids_of_groups(principal, node.business_id, [ref], MAX_TARGETS)
    except NotFound as exc:
        raise NotFound(f"nodegroup id {group_id} nofind", field=field) from exc
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 1000):
        rows.extend(await hosts_under(node).filter(id__in=ids[start : start + 1000]).values(*HOST_COLUMNS))
    if not rows:
        raise ValidationFailed(f"nodegroup {group_id} matches no host of tree node {node.tree_id}", field=field)
    return _unique(rows)


async def step_hosts(
    principal: Principal,
    node: TreeNode,
    kind: str,
    cont: str,
    field: str,
    task_variables: Mapping[str, Any],
    job_variables: Mapping[str, Any],
) -> list[dict[str, Any]]:
    if kind == "group":
        return await group_hosts(principal, node, int(cont), field)
    text = substitute(cont, task_variables, job_variables)
    return await hosts_by_name(node, [item.strip() for item in text.replace(" ", ",").split(",")], field)


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted({row["id"]: row for row in rows}.values(), key=lambda row: row["id"])
