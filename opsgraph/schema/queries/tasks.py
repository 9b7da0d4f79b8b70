"""Task queries: the root `tasks` connection (newest first) with filters, and `task`."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from opsgraph.models.tasks import Task, TaskKind, TaskStatus
from opsgraph.resolvers.tasks.control import get_task
from opsgraph.schema.connection import Connection, connection_from_query
from opsgraph.schema.inputs import optional_pk
from opsgraph.schema.types.tasks import TaskType


@strawberry.input
class TaskFilter:
    business_id: strawberry.ID | None = None
    status: list[TaskStatus] | None = None
    kind: list[TaskKind] | None = None
    creator: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    job_instance_id: int | None = strawberry.field(default=None, description="The legacy bk-job id.")


@strawberry.type
class TaskQuery:
    @strawberry.field(description="Tasks of your businesses, newest first.")
    async def tasks(
        self, info: Info, first: int, after: str | None = None, filter: TaskFilter | None = None
    ) -> Connection[TaskType]:
        caller = info.context.caller
        spec = filter or TaskFilter()
        query = Task.all()
        visible = caller.visible_business_ids()
        if visible is not None:
            query = query.filter(business_id__in=visible)
        business_id = optional_pk(spec.business_id, "Business")
        if business_id is not None:
            query = query.filter(business_id=business_id)
        if spec.status:
            query = query.filter(status__in=[s.value for s in spec.status])
        if spec.kind:
            query = query.filter(kind__in=[k.value for k in spec.kind])
        if spec.creator is not None:
            query = query.filter(creator=spec.creator)
        if spec.created_after is not None:
            query = query.filter(created_at__gte=spec.created_after)
        if spec.created_before is not None:
            query = query.filter(created_at__lt=spec.created_before)
        if spec.job_instance_id is not None:
            query = query.filter(id=spec.job_instance_id)
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=TaskType.from_row,
            descending=True,
        )

    @strawberry.field(description="One task by its bk-job job_instance_id; null when missing or not yours.")
    async def task(self, info: Info, job_instance_id: int) -> TaskType | None:
        caller = info.context.caller
        row = await info.context.loaders.task.load(job_instance_id)
        if row is None or (row["business_id"] is not None and not caller.can(row["business_id"])):
            return None
        await get_task(caller, job_instance_id)
        return TaskType.from_row(row)
