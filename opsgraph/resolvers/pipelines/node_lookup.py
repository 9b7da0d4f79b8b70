"""Finding a pipeline task by the id of one of its nodes, for bk-sops' get_task_status, whose
`task_id` is documented as "a task or node id" (任务或节点ID).

Run node ids are generated per run ("n" + 31 hex digits, executors/pipeline/instance.replace_ids,
as bk-sops' node_uniqid), so one id names one node of one run. The nodes are the run's TaskStep
rows, their id in the `config` JSON column: one query, confined to the business's pipeline tasks,
finds the task (no index on the JSON key: the lookup reads that business's pipeline steps).
"""

from __future__ import annotations

import re

from tortoise import connections
from tortoise.expressions import RawSQL

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, PermissionDenied
from opsgraph.models.tasks import TaskKind, TaskStep
from opsgraph.resolvers.pipelines.runs import get_run

# The shape of every run node id (replace_ids); anything else names no node.
NODE_ID = re.compile(r"n[0-9a-f]{31}")


def _node_id_sql() -> str:
    if connections.get("default").capabilities.dialect == "sqlite":
        return 'json_extract("task_step"."config", \'$.node_id\')'
    return '("task_step"."config"->>\'node_id\')'


async def task_of_node(principal: Principal, business_id: int, node_id: str) -> int | None:
    """The number of the pipeline task of `business_id` that has the node `node_id`; None when
    there is none or the caller may not read it (the same answer, so nothing is told about a
    business the caller cannot see)."""
    if not NODE_ID.fullmatch(node_id) or not principal.can(business_id):
        return None
    rows = (
        await TaskStep.filter(task__business_id=business_id, task__kind=TaskKind.PIPELINE)
        .annotate(run_node_id=RawSQL(_node_id_sql()))
        .filter(run_node_id=node_id)
        .limit(1)
        .values("task_id")
    )
    if not rows:
        return None
    task_id = int(rows[0]["task_id"])
    try:
        await get_run(principal, task_id)
    except (NotFound, PermissionDenied):
        return None
    return task_id
