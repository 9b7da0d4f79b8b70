"""OpenC3 jobs and tasks of a tree node: lists (newest first), one by uuid or name, counts, analysis."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import NotFound
from opsgraph.resolvers.service_tree import analysis
from opsgraph.resolvers.service_tree.access import node_for
from opsgraph.resolvers.service_tree.jobs import get_tree_job, job_by_name, list_tree_jobs, tree_job_row
from opsgraph.resolvers.service_tree.tasks import list_tree_tasks, task_by_uuid, task_counts, tree_task
from opsgraph.schema.types.service_tree_jobs import TreeJobType, TreeTaskType

MAX_TASKS = 5000


@strawberry.input(description="OpenC3's list filters: name contains; users equal; dates inclusive.")
class TreeJobFilter:
    name: str | None = None
    create_user: str | None = None
    edit_user: str | None = None
    create_time_start: date | None = None
    create_time_end: date | None = None
    edit_time_start: date | None = None
    edit_time_end: date | None = None


@strawberry.input
class TreeTaskFilter:
    name: str | None = None
    user: str | None = None
    status: str | None = None
    task_uuid: str | None = None
    time_start: date | None = None
    time_end: date | None = None


@strawberry.type
class TreeStatusCount:
    status: str
    count: int


@strawberry.type
class TreeDayCount:
    day: str
    total: int
    success: int


@strawberry.type
class TreeShare:
    bucket: str
    count: str


@strawberry.type
class TreeNodeCount:
    tree_id: int
    count: int


@strawberry.type
class TreeJobsQuery:
    @strawberry.field(description="The node's OpenC3 jobs, newest first.")
    async def tree_jobs(self, info: Info, tree_id: int, filter: TreeJobFilter | None = None) -> list[TreeJobType]:
        spec = vars(filter) if filter is not None else {}
        rows = await list_tree_jobs(info.context.caller, tree_id, spec)
        return [TreeJobType.from_row(row) for row in rows]

    @strawberry.field(description="Null when the node has no such job (or you cannot see the node).")
    async def tree_job(
        self, info: Info, tree_id: int, uuid: str | None = None, name: str | None = None
    ) -> TreeJobType | None:
        try:
            if name is not None:
                job = await job_by_name(await node_for(info.context.caller, tree_id), name)
            else:
                _, job = await get_tree_job(info.context.caller, tree_id, uuid or "")
        except NotFound:
            return None
        return TreeJobType.from_row(await tree_job_row(job.id))

    @strawberry.field(description="The node's OpenC3 tasks, newest first (at most `first`).")
    async def tree_tasks(
        self, info: Info, tree_id: int, filter: TreeTaskFilter | None = None, first: int = 500
    ) -> list[TreeTaskType]:
        spec = vars(filter) if filter is not None else {}
        rows = await list_tree_tasks(info.context.caller, tree_id, spec, max(1, min(first, MAX_TASKS)))
        return [TreeTaskType.from_row(row) for row in rows]

    @strawberry.field(description="Null for a uuid the node has no task with (OpenC3: status norun).")
    async def tree_task(self, info: Info, tree_id: int, uuid: str) -> TreeTaskType | None:
        row = await tree_task(info.context.caller, tree_id, uuid)
        return TreeTaskType.from_row(row) if row else None

    @strawberry.field(description="A task by its uuid alone (on any node you can see); null otherwise.")
    async def tree_task_by_uuid(self, info: Info, uuid: str) -> TreeTaskType | None:
        row = await task_by_uuid(info.context.caller, uuid)
        return TreeTaskType.from_row(row) if row else None

    @strawberry.field(description="Tasks per OpenC3 status (default: since the first of this month).")
    async def tree_task_counts(
        self, info: Info, tree_id: int, since: date | None = None, until: date | None = None
    ) -> list[TreeStatusCount]:
        counts = await task_counts(info.context.caller, tree_id, since, until)
        return [TreeStatusCount(status=k, count=v) for k, v in counts.items()]

    @strawberry.field(description="Tasks per day of the last 30 days (all, successful).")
    async def tree_tasks_by_date(self, info: Info, tree_id: int) -> list[TreeDayCount]:
        rows = await analysis.by_date(info.context.caller, tree_id)
        return [TreeDayCount(day=d, total=t, success=s) for d, t, s in rows]

    @strawberry.field(description="Tasks per hour of day (UTC) over the last 30 days.")
    async def tree_tasks_by_hour(self, info: Info, tree_id: int) -> list[TreeShare]:
        return [TreeShare(bucket=h, count=str(n)) for h, n in await analysis.by_hour(info.context.caller, tree_id)]

    @strawberry.field(description="Percent of the last 30 days' tasks per run time in minutes (0-1 … 30+).")
    async def tree_task_runtimes(self, info: Info, tree_id: int) -> list[TreeShare]:
        shares = await analysis.runtime_shares(info.context.caller, tree_id)
        return [TreeShare(bucket=k, count=v) for k, v in shares.items()]

    @strawberry.field(description="Tasks per tree node over the last 30 days, of the nodes you can see.")
    async def tree_task_statistics(self, info: Info) -> list[TreeNodeCount]:
        rows = await analysis.per_node(info.context.caller)
        return [TreeNodeCount(tree_id=row["id"], count=row["count"]) for row in rows]
