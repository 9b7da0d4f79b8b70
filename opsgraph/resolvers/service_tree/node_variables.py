"""OpenC3 `vv`: `NAME:[value]` lines that a task's commands printed on a node, newest per name.

Upstream collects them as each command ends. Here they are collected from the finished OpenC3
tasks of the node the first time the node's `vv` is read after they ended (each task once,
`TreeTask.harvested`), from the logs the runner stored: nothing is lost if nobody reads for a while.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound
from opsgraph.models.service_tree import NodeVariable, TreeTask
from opsgraph.models.tasks import FINISHED_STATUSES, TaskHostResult
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.service_tree.access import READ, WRITE, TreeNode, node_for
from opsgraph.resolvers.topology.common import write_transaction

LINE = re.compile(r"([a-zA-Z][a-zA-Z0-9_]+):\[([a-z0-9\._\-]+)\]")
COLUMNS = ("id", "node", "name", "value", "updated_at")
_BATCH = 200


async def harvest(node: TreeNode) -> None:
    tasks = (
        await TreeTask.filter(tree_id=node.tree_id, harvested=False, task__status__in=list(FINISHED_STATUSES))
        .limit(_BATCH)
        .values("id", "task_id")
    )
    if not tasks:
        return
    found: dict[tuple[str, str], str] = {}
    results = (
        await TaskHostResult.filter(task_id__in=[t["task_id"] for t in tasks], step__kind="script")
        .order_by("id")
        .values("ip", "log")
    )
    for result in results:
        for name, value in LINE.findall(result["log"] or ""):
            found[(result["ip"], name)] = value
    async with write_transaction():
        for (ip, name), value in found.items():
            await NodeVariable.update_or_create(
                tree_id=node.tree_id, node=ip, name=name, defaults={"value": value, "business_id": node.business_id}
            )
        await TreeTask.filter(id__in=[t["id"] for t in tasks]).update(harvested=True)


async def node_variables(
    principal: Principal,
    tree_id: int,
    *,
    node: str = "",
    name: str = "",
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, Any]]:
    tree = await node_for(principal, tree_id, READ)
    await harvest(tree)
    query = NodeVariable.filter(tree_id=tree.tree_id)
    if node:
        query = query.filter(node=node)
    if name:
        query = query.filter(name=name)
    if since:
        query = query.filter(updated_at__gte=datetime.combine(since, time.min, tzinfo=UTC))
    if until:
        query = query.filter(updated_at__lte=datetime.combine(until, time.max, tzinfo=UTC))
    return list(await query.order_by("node", "name").values(*COLUMNS))


async def delete_node_variables(principal: Principal, tree_id: int, node: str) -> int:
    tree = await node_for(principal, tree_id, WRITE)
    deleted = await NodeVariable.filter(tree_id=tree.tree_id, node=node).delete()
    if not deleted:
        raise NotFound(f"no variables of {node} on tree node {tree_id}", field="node")
    await record_operation(
        principal,
        op_type="delete",
        op_target="node_variable",
        op_desc=f"delete the variables of {node}",
        business_id=tree.business_id,
    )
    return int(deleted)


async def version_counts(principal: Principal, tree_id: int) -> list[dict[str, Any]]:
    """`VERSION` / `APP_*_VERSION` values updated in the last year, with how many nodes have each."""
    tree = await node_for(principal, tree_id, READ)
    await harvest(tree)
    since = datetime.now(tz=UTC) - timedelta(days=365)
    rows = await NodeVariable.filter(tree_id=tree.tree_id, updated_at__gte=since).values("name", "value")
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        if row["name"] == "VERSION" or re.fullmatch(r"APP_.+_VERSION", row["name"]):
            counts[(row["name"], row["value"])] = counts.get((row["name"], row["value"]), 0) + 1
    return [{"name": n, "value": v, "count": c} for (n, v), c in sorted(counts.items())]
