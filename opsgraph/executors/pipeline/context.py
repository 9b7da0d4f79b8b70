"""The variables a run's nodes see: one `Scope` per pipeline level, and `${_system.*}`.

Built-ins as bk-sops defines them (gcloud/taskflow3/domains/context.py): task_id, task_name,
task_url, task_start_time, operator, executor, bk_biz_id, bk_biz_name, project_id, project_name,
biz_supplier_account and language. A business is bk-sops' project here, so project_* repeat bk_biz_*.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsgraph.executors.pipeline.tree import Graph
from opsgraph.executors.pipeline.variables import Scope
from opsgraph.models.pipelines import PipelineRun
from opsgraph.models.tasks import Task

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def task_url(public_url: str, business_id: int | None, task_id: int) -> str:
    """Where the task can be looked at: its status in the same dialect (OpsGraph has no sops UI)."""
    base = public_url.rstrip("/")
    return f"{base}/api/c/compapi/v2/sops/get_task_status/?bk_biz_id={business_id or ''}&task_id={task_id}"


def system_variables(task: Task, run: PipelineRun, business_name: str, public_url: str) -> dict[str, Any]:
    started = task.started_at.strftime(TIME_FORMAT) if task.started_at else ""
    return {
        "task_id": task.id,
        "task_name": task.name,
        "task_url": task_url(public_url, task.business_id, task.id),
        "task_start_time": started,
        "operator": run.executor or task.creator,
        "executor": run.executor or task.creator,
        "bk_biz_id": task.business_id,
        "bk_biz_name": business_name,
        "project_id": task.business_id,
        "project_name": business_name,
        "biz_supplier_account": "0",
        "language": "zh-hans",
    }


def level_scope(
    graph: Graph,
    system: dict[str, Any],
    outputs_of: Callable[[str], dict[str, Any] | None],
    *,
    parent: Scope | None = None,
    passed: dict[str, Any] | None = None,
) -> Scope:
    return Scope(graph.constants, system, outputs_of=outputs_of, parent=parent, passed=passed)
