"""Periodic tasks: createPeriodicTask (disabled), setPeriodicTaskEnabled, updatePeriodicTask (name, cron,
constants), deletePeriodicTask."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.pipelines import periodic as actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import pk
from opsgraph.schema.types.pipelines import PeriodicTaskType

_CRON = "{minute, hour, day_of_week, day_of_month, month_of_year}, each `*` when absent (UTC)."


@strawberry.input
class CreatePeriodicTaskInput:
    business_id: strawberry.ID
    pipeline_template_id: strawberry.ID
    name: str
    cron: JSON = strawberry.field(description=_CRON)
    constants: JSON | None = strawberry.field(default=None, description='{"${key}": value}')
    exclude_task_nodes_id: list[str] | None = None


@strawberry.input
class SetPeriodicTaskEnabledInput:
    periodic_task_id: strawberry.ID
    enabled: bool


@strawberry.input
class UpdatePeriodicTaskInput:
    periodic_task_id: strawberry.ID
    name: str | None = strawberry.UNSET
    cron: JSON | None = strawberry.field(default=strawberry.UNSET, description=_CRON)
    constants: JSON | None = strawberry.field(default=strawberry.UNSET, description="Values of existing keys change.")


@strawberry.input
class DeletePeriodicTaskInput:
    periodic_task_id: strawberry.ID


@strawberry.type
class PeriodicTaskPayload:
    periodic_task: PeriodicTaskType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePeriodicTaskPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _periodic(info: Info, periodic_id: int) -> PeriodicTaskType:
    loader = info.context.loaders.pipelines.periodic_task
    loader.clear(periodic_id)
    return PeriodicTaskType.from_row(await loader.load(periodic_id))


@strawberry.type
class PeriodicTaskMutations:
    @strawberry.mutation(description="A schedule starting runs of a template; created disabled, as in bk-sops.")
    @returns_user_errors(PeriodicTaskPayload)
    async def create_periodic_task(self, info: Info, input: CreatePeriodicTaskInput) -> PeriodicTaskPayload:
        from opsgraph.models.pipelines import PipelineTemplate

        template_id = pk(input.pipeline_template_id, "PipelineTemplate")
        common = await PipelineTemplate.filter(id=template_id, is_common=True).exists()
        created = await actions.create_periodic_task(
            info.context.caller,
            pk(input.business_id, "Business"),
            template_id=template_id,
            name=input.name,
            cron=input.cron,
            template_source="common" if common else "business",
            constants=input.constants,
            exclude_nodes_ids=input.exclude_task_nodes_id,
        )
        return PeriodicTaskPayload(periodic_task=await _periodic(info, created.id))

    @strawberry.mutation
    @returns_user_errors(PeriodicTaskPayload)
    async def set_periodic_task_enabled(self, info: Info, input: SetPeriodicTaskEnabledInput) -> PeriodicTaskPayload:
        periodic_id = pk(input.periodic_task_id, "PeriodicTask")
        await actions.set_enabled(info.context.caller, periodic_id, input.enabled)
        return PeriodicTaskPayload(periodic_task=await _periodic(info, periodic_id))

    @strawberry.mutation
    @returns_user_errors(PeriodicTaskPayload)
    async def update_periodic_task(self, info: Info, input: UpdatePeriodicTaskInput) -> PeriodicTaskPayload:
        changes = {
            name: getattr(input, name)
            for name in ("name", "cron", "constants")
            if getattr(input, name) is not strawberry.UNSET
        }
        periodic_id = pk(input.periodic_task_id, "PeriodicTask")
        await actions.update_periodic_task(info.context.caller, periodic_id, changes)
        return PeriodicTaskPayload(periodic_task=await _periodic(info, periodic_id))

    @strawberry.mutation
    @returns_user_errors(DeletePeriodicTaskPayload)
    async def delete_periodic_task(self, info: Info, input: DeletePeriodicTaskInput) -> DeletePeriodicTaskPayload:
        await actions.delete_periodic_task(info.context.caller, pk(input.periodic_task_id, "PeriodicTask"))
        return DeletePeriodicTaskPayload(deleted_id=input.periodic_task_id)
