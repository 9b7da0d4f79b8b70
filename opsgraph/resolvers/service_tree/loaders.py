"""Per-request DataLoaders of the service tree types (every list field batches its rows).

Attached to the request's context on first use (`tree_loaders(context)`), beside the shared
`Loaders`, so a request pays only for the loaders it uses.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aiodataloader import DataLoader
from tortoise.functions import Count

from opsgraph.models.jobs import JobStep
from opsgraph.models.tasks import TaskHostResult, TaskStep

Row = dict[str, Any]
_ATTRIBUTE = "_service_tree_loaders"


async def _steps_by_task(task_ids: list[int]) -> list[list[Row]]:
    steps: dict[int, list[Row]] = defaultdict(list)
    rows = (
        await TaskStep.filter(task_id__in=task_ids)
        .order_by("position")
        .values("id", "task_id", "position", "kind", "name", "status", "config", "started_at", "finished_at")
    )
    counts = {
        row["step_id"]: row["n"]
        for row in await TaskHostResult.filter(task_id__in=task_ids)
        .annotate(n=Count("id"))
        .group_by("step_id")
        .values("step_id", "n")
    }
    for row in rows:
        steps[row["task_id"]].append({**row, "nodecount": counts.get(row["id"], 0)})
    return [steps.get(pk, []) for pk in task_ids]


async def _job_steps(template_ids: list[int]) -> list[list[Row]]:
    steps: dict[int, list[Row]] = defaultdict(list)
    for row in (
        await JobStep.filter(template_id__in=template_ids)
        .order_by("position")
        .values("id", "template_id", "position", "kind", "name", "config")
    ):
        steps[row["template_id"]].append(row)
    return [steps.get(pk, []) for pk in template_ids]


class ServiceTreeLoaders:
    def __init__(self) -> None:
        self.steps_by_task = DataLoader(_steps_by_task, max_batch_size=1000)
        self.job_steps = DataLoader(_job_steps, max_batch_size=1000)


def tree_loaders(context: Any) -> ServiceTreeLoaders:
    loaders = getattr(context, _ATTRIBUTE, None)
    if loaders is None:
        loaders = ServiceTreeLoaders()
        setattr(context, _ATTRIBUTE, loaders)
    return loaders
