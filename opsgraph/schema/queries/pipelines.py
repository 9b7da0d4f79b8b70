"""Pipeline queries: templates (business and common), one run by its task number, periodic tasks,
task counts (bk-sops query_task_count) and the installed plugins."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info
from tortoise.expressions import Q

from opsgraph.core.errors import NotFound, OpsGraphError
from opsgraph.models.pipelines import PeriodicTask, PipelineTemplate
from opsgraph.resolvers.pipelines import counts
from opsgraph.resolvers.pipelines.common import load_template
from opsgraph.resolvers.pipelines.node_lookup import task_of_node
from opsgraph.resolvers.pipelines.periodic import get_periodic_task
from opsgraph.resolvers.pipelines.runs import get_run
from opsgraph.resolvers.topology.business import get_business
from opsgraph.schema.connection import Connection, connection_from_query
from opsgraph.schema.inputs import optional_pk, pk
from opsgraph.schema.types.pipelines import (
    PeriodicTaskType,
    PipelinePluginType,
    PipelineRunType,
    PipelineTemplateType,
    plugin_types,
)


@strawberry.input
class PipelineTemplateFilter:
    business_id: strawberry.ID | None = strawberry.field(default=None, description="Only this business's templates.")
    common: bool | None = strawberry.field(default=None, description="true: common templates only; false: none.")
    name_contains: str | None = None
    bk_template_ids: list[int] | None = None


@strawberry.input
class PipelineTaskCountFilter:
    bk_template_id: int | None = None
    name: str | None = None
    creator: str | None = None
    executor: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    is_started: bool | None = None
    is_finished: bool | None = None


@strawberry.type
class PipelineTaskCountGroup:
    code: str
    name: str
    value: int


@strawberry.type
class PipelineTaskCounts:
    total: int
    groups: list[PipelineTaskCountGroup]


@strawberry.type
class PipelineQuery:
    @strawberry.field(description="Null when missing or not visible to you. Common templates are visible to all.")
    async def pipeline_template(self, info: Info, id: strawberry.ID) -> PipelineTemplateType | None:
        try:
            template = await load_template(info.context.caller, pk(id, "PipelineTemplate"))
        except NotFound:
            return None
        row = await info.context.loaders.pipelines.template.load(template.id)
        return PipelineTemplateType.from_row(row) if row else None

    @strawberry.field(description="Templates you may see (your businesses' and the common ones), oldest first.")
    async def pipeline_templates(
        self, info: Info, first: int, after: str | None = None, filter: PipelineTemplateFilter | None = None
    ) -> Connection[PipelineTemplateType]:
        caller = info.context.caller
        spec = filter or PipelineTemplateFilter()
        query = PipelineTemplate.all()
        visible = caller.visible_business_ids()
        if visible is not None:
            query = query.filter(Q(is_common=True) | Q(business_id__in=visible))
        business_id = optional_pk(spec.business_id, "Business")
        if business_id is not None:
            await get_business(caller, business_id)
            query = query.filter(business_id=business_id)
        if spec.common is not None:
            query = query.filter(is_common=spec.common)
        if spec.name_contains:
            query = query.filter(name__icontains=spec.name_contains)
        if spec.bk_template_ids is not None:
            query = query.filter(id__in=spec.bk_template_ids)
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=PipelineTemplateType.from_row,
        )

    @strawberry.field(description="The pipeline side of a PIPELINE task, by its number (bk-sops task_id).")
    async def pipeline_run(self, info: Info, bk_task_id: int) -> PipelineRunType | None:
        try:
            await get_run(info.context.caller, bk_task_id)
        except NotFound:
            return None
        row = await info.context.loaders.pipelines.run_by_task.load(bk_task_id)
        return PipelineRunType.from_row(row) if row else None

    @strawberry.field(
        description="The pipeline run of a business that has this node (a run's node id, as bk-sops' get_task_status "
        "takes it for task_id). Null when there is none or it is not visible to you."
    )
    async def pipeline_run_of_node(
        self, info: Info, business_id: strawberry.ID, node_id: str
    ) -> PipelineRunType | None:
        task_id = await task_of_node(info.context.caller, pk(business_id, "Business"), node_id)
        if task_id is None:
            return None
        row = await info.context.loaders.pipelines.run_by_task.load(task_id)
        return PipelineRunType.from_row(row) if row else None

    @strawberry.field(description="Null when missing or not visible to you.")
    async def periodic_task(self, info: Info, id: strawberry.ID) -> PeriodicTaskType | None:
        try:
            periodic = await get_periodic_task(info.context.caller, pk(id, "PeriodicTask"))
        except NotFound:
            return None
        row = await info.context.loaders.pipelines.periodic_task.load(periodic.id)
        return PeriodicTaskType.from_row(row) if row else None

    @strawberry.field(description="A business's periodic tasks, oldest first.")
    async def periodic_tasks(
        self, info: Info, business_id: strawberry.ID, first: int, after: str | None = None
    ) -> Connection[PeriodicTaskType]:
        business = pk(business_id, "Business")
        await get_business(info.context.caller, business)
        return await connection_from_query(
            PeriodicTask.filter(business_id=business),
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=PeriodicTaskType.from_row,
        )

    @strawberry.field(
        description="A business's pipeline tasks counted by status, category, flow_type or create_method."
    )
    async def pipeline_task_counts(
        self, info: Info, business_id: strawberry.ID, group_by: str, filter: PipelineTaskCountFilter | None = None
    ) -> PipelineTaskCounts:
        spec = filter or PipelineTaskCountFilter()
        try:
            total, groups = await counts.count_tasks(
                info.context.caller,
                pk(business_id, "Business"),
                group_by,
                counts.CountFilter(
                    template_id=spec.bk_template_id,
                    name=spec.name,
                    creator=spec.creator,
                    executor=spec.executor,
                    create_time_gte=spec.created_after,
                    create_time_lte=spec.created_before,
                    start_time_gte=spec.started_after,
                    start_time_lte=spec.started_before,
                    is_started=spec.is_started,
                    is_finished=spec.is_finished,
                ),
            )
        except OpsGraphError:
            raise
        return PipelineTaskCounts(total=total, groups=[PipelineTaskCountGroup(**group) for group in groups])

    @strawberry.field(description="The plugins (component codes) a ServiceActivity may use here.")
    def pipeline_plugins(self) -> list[PipelinePluginType]:
        return plugin_types()
