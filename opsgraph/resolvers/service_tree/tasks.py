"""Reading OpenC3 tasks: rows as upstream shows them, subtasks, counts and the 30-day analysis.

Status mapping from our canonical one: PENDING → init, RUNNING → running, WAITING → waiting,
SUCCESS → success, FAILED / CANCELLED / ABNORMAL → fail (refuse when an approval was refused).
As upstream, a job whose step failed waits (`waiting`) with the step in `decision` until an
operator decides (running / ignore / fail: resolvers/service_tree/controls.py), and a step with
`pause` holds its task `waiting` until `next` (executors/step_holds.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import yaml

from opsgraph.core.auth.principal import Principal
from opsgraph.models.service_tree import TreeTask
from opsgraph.models.tasks import TaskStatus
from opsgraph.resolvers.service_tree.access import READ, level_of, node_for

SLAVE = "opsgraph"  # upstream's executor host name; ours runs every task
TASK_STATUS = {
    TaskStatus.PENDING: "init",
    TaskStatus.RUNNING: "running",
    TaskStatus.CANCELLING: "running",
    TaskStatus.WAITING: "waiting",
    TaskStatus.SUCCESS: "success",
}
TASK_COLUMNS = (
    "id",
    "uuid",
    "tree_id",
    "business_id",
    "name",
    "user",
    "calltype",
    "jobtype",
    "job_uuid",
    "variable",
    "extid",
    "reason",
    "created_at",
    "task_id",
)
RELATED = {
    "status": "task__status",
    "started_at": "task__started_at",
    "finished_at": "task__finished_at",
    "error": "task__error",
}
MAX_LIST = 5000
UNLAUNCHED_AFTER = timedelta(minutes=1)


def task_status(status: str | None, error: str = "") -> str:
    if status is None:
        return "init"
    mapped = TASK_STATUS.get(TaskStatus(status))
    if mapped is not None:
        return mapped
    return "refuse" if "refused by" in (error or "") else "fail"


def runtime(started: datetime | None, finished: datetime | None) -> int | None:
    if started is None:
        return None
    end = finished or datetime.now(tz=UTC)
    return max(0, int((end - started).total_seconds()))


def _variable_text(variables: dict[str, Any]) -> str:
    return yaml.safe_dump(variables, allow_unicode=True, default_flow_style=False) if variables else ""


def shape(row: dict[str, Any]) -> dict[str, Any]:
    """A TreeTask row joined with its Task's state, as OpenC3 fields.

    A row whose Task was never launched (the server stopped between reserving the uuid and writing
    the task: the task's own transaction never committed) reads `fail` once it is older than
    `UNLAUNCHED_AFTER`, so no poller waits on it for ever."""
    started, finished = row.get("started_at"), row.get("finished_at")
    status = task_status(row.get("status"), row.get("error") or "")
    if row.get("task_id") is None and row["created_at"] < datetime.now(tz=UTC) - UNLAUNCHED_AFTER:
        status, row = "fail", {**row, "reason": row.get("reason") or "the task was never started (interrupted)"}
    return {
        **row,
        "openc3_status": status,
        "runtime": runtime(started, finished),
        "variable_text": _variable_text(row.get("variable") or {}),
        "reason": row.get("reason") or row.get("error") or "",
        "slave": SLAVE,
    }


def _day(value: date, end: bool) -> datetime:
    return datetime.combine(value, time.max if end else time.min, tzinfo=UTC)


async def list_tree_tasks(
    principal: Principal, tree_id: int, filters: dict[str, Any], first: int
) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    query = TreeTask.filter(tree_id=node.tree_id)
    if filters.get("name"):
        query = query.filter(name__icontains=filters["name"])
    if filters.get("user"):
        query = query.filter(user=filters["user"])
    if filters.get("task_uuid"):
        query = query.filter(uuid=filters["task_uuid"])
    if filters.get("time_start"):
        query = query.filter(created_at__gte=_day(filters["time_start"], False))
    if filters.get("time_end"):
        query = query.filter(created_at__lte=_day(filters["time_end"], True))
    rows = [
        shape(row) for row in await query.order_by("-id").limit(min(first, MAX_LIST)).values(*TASK_COLUMNS, **RELATED)
    ]
    if filters.get("status"):
        rows = [row for row in rows if row["openc3_status"] == filters["status"]]
    return rows


async def tree_task(principal: Principal, tree_id: int, uuid: str) -> dict[str, Any] | None:
    """None for a uuid the node has no task with (OpenC3 answers that as status `norun`)."""
    node = await node_for(principal, tree_id, READ)
    rows = await TreeTask.filter(tree_id=node.tree_id, uuid=uuid).values(*TASK_COLUMNS, **RELATED)
    return shape(rows[0]) if rows else None


async def task_by_uuid(principal: Principal, uuid: str) -> dict[str, Any] | None:
    rows = await TreeTask.filter(uuid=uuid).values(*TASK_COLUMNS, **RELATED)
    if not rows or level_of(principal, int(rows[0]["business_id"])) is None:
        return None
    return shape(rows[0])


def subtask_status(step: dict[str, Any], task: dict[str, Any]) -> str:
    """A step as an OpenC3 subtask status. A failed step of a job waits in `decision` while its
    task waits (executors/step_holds.py); a decision taken but not yet acted on reads as itself.
    A refused approval reads `refuse`, one that timed out `fail`, as upstream's plugin_approval
    (the step's `verdict`, executors/approval_wait.py)."""
    status = TaskStatus(step["status"])
    config = step.get("config") or {}
    if status == TaskStatus.SKIPPED:
        return "ignore"
    if status == TaskStatus.FAILED:
        if task.get("status") == TaskStatus.WAITING and config.get("on_failure") == "decide":
            return str(config.get("decision") or "decision")
        return "refuse" if config.get("verdict") == "refuse" else "fail"
    if status == TaskStatus.CANCELLED:
        return "fail"
    return {TaskStatus.PENDING: "init", TaskStatus.WAITING: "waiting", TaskStatus.SUCCESS: "success"}.get(
        status, "running"
    )


def subtask_pause(step: dict[str, Any]) -> str:
    """Upstream's `pause` column: the step's pause text from when it starts until `next` clears it."""
    config = step.get("config") or {}
    if TaskStatus(step["status"]) == TaskStatus.PENDING or config.get("pause_released"):
        return ""
    return str(config.get("pause") or "")


def shape_subtasks(steps: list[dict[str, Any]], task: dict[str, Any]) -> list[dict[str, Any]]:
    """Task steps (with `nodecount`) as OpenC3 subtasks (uuid, type, node count, status, times)."""
    shown = []
    for step in steps:
        if step["kind"] == "approval_notice":  # the mail to the approvers, not an OpenC3 step
            continue
        openc3 = (step["config"] or {}).get("openc3") or {}
        shown.append(
            {
                "id": step["id"],
                "position": step["position"],
                "uuid": openc3.get("uuid") or f"s{step['id']}",
                "subtask_type": openc3.get("type") or {"script": "cmd", "file": "scp"}.get(step["kind"], step["kind"]),
                "name": step["name"],
                "nodecount": step.get("nodecount", 0),
                "status": subtask_status(step, task),
                "starttime": step["started_at"],
                "finishtime": step["finished_at"],
                "runtime": runtime(step["started_at"], step["finished_at"]),
                "pause": subtask_pause(step),
            }
        )
    return shown


async def task_counts(
    principal: Principal, tree_id: int, since: date | None = None, until: date | None = None
) -> dict[str, int]:
    """Tasks by OpenC3 status; success, running and fail always present. Default: this month."""
    node = await node_for(principal, tree_id, READ)
    start = _day(since, False) if since else datetime.now(tz=UTC).replace(day=1, hour=0, minute=0, second=0)
    query = TreeTask.filter(tree_id=node.tree_id, created_at__gte=start)
    if until:
        query = query.filter(created_at__lte=_day(until, True))
    counts: Counter[str] = Counter(task_status(row["status"], row["error"]) for row in await query.values(**RELATED))
    return {"success": 0, "running": 0, "fail": 0, **counts}


async def recent_rows(principal: Principal, tree_id: int, days: int = 30) -> list[dict[str, Any]]:
    node = await node_for(principal, tree_id, READ)
    since = datetime.now(tz=UTC) - timedelta(days=days)
    return [
        shape(row)
        for row in await TreeTask.filter(tree_id=node.tree_id, created_at__gte=since).values(*TASK_COLUMNS, **RELATED)
    ]
