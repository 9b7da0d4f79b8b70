"""`/task/:treeid/analysis/*`: the last tasks, and the last 30 days by date, hour and run time."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import integer, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.settings import Settings


async def _analysis(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    variables = {"treeId": tree_id(request)}
    return await run_operation(
        load_operation(__name__, "tree_task_analysis.graphql"), variables, caller.principal, settings
    )


@C3_ROUTES.route("job", "GET", "/task/:treeid/analysis/last")
async def last(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The newest `count` tasks (default 10)."""
    count = integer(request, "count", default=10) or 10
    variables = {"treeId": tree_id(request), "filter": None, "first": min(count, 5000)}
    data = await run_operation(load_operation(__name__, "tree_tasks.graphql"), variables, caller.principal, settings)
    return [
        {
            "user": task["user"],
            "runtime": task["runtime"],
            "starttime": c3_time(task["starttime"]),
            "finishtime": c3_time(task["finishtime"]),
            "status": task["status"],
            "name": task["name"],
        }
        for task in data["treeTasks"]
    ]


@C3_ROUTES.route("job", "GET", "/task/:treeid/analysis/date")
async def by_date(request: C3Request, caller: C3Caller, settings: Settings) -> list[list[Any]]:
    """[day, tasks, successful tasks] for each of the last 30 days."""
    data = await _analysis(request, caller, settings)
    return [[row["day"], row["total"], row["success"]] for row in data["treeTasksByDate"]]


@C3_ROUTES.route("job", "GET", "/task/:treeid/analysis/hour")
async def by_hour(request: C3Request, caller: C3Caller, settings: Settings) -> list[list[Any]]:
    """[hour, tasks] over the last 30 days."""
    data = await _analysis(request, caller, settings)
    return [[row["bucket"], int(row["count"])] for row in data["treeTasksByHour"]]


# The doc gives this endpoint no method; every sibling is GET, and so is upstream's code.
@C3_ROUTES.route("job", "GET", "/task/:treeid/analysis/runtime")
async def runtime(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, str]:
    """Percent of tasks per run time in minutes."""
    data = await _analysis(request, caller, settings)
    return {row["bucket"]: row["count"] for row in data["treeTaskRuntimes"]}


@C3_ROUTES.route("job", "GET", "/task/:treeid/analysis/statistics")
async def statistics(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Tasks per tree node over the last 30 days (the nodes the caller can see)."""
    tree_id(request)
    data = await run_operation(load_operation(__name__, "tree_task_statistics.graphql"), {}, caller.principal, settings)
    return [{"id": row["treeId"], "name": row["treeId"], "count": row["count"]} for row in data["treeTaskStatistics"]]
