"""Job templates and crons: createJobTemplate, updateJobTemplate, deleteJobTemplate, createCron,
setCronEnabled, updateCron, deleteCron."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.jobs import crons as cron_actions
from opsgraph.resolvers.jobs import templates as template_actions
from opsgraph.resolvers.jobs.steps import StepSpec
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import columns_from_input, pk
from opsgraph.schema.types.jobs import CronType, JobTemplateType


@strawberry.input
class JobStepInput:
    kind: str = strawberry.field(description="script, file or approval")
    name: str
    config: JSON | None = strawberry.field(
        default=None,
        description=(
            "script: {script_id [+ script_version_id] | content+language, params, timeout, "
            "account_id | account_alias, host_ids | target_variable}; "
            "file: {sources: [{host_id, path, [account_id | account_alias]} | {content_b64, name}], target_path, "
            "owner, mode, timeout, account_id | account_alias, host_ids | target_variable}; "
            "approval: {message, approvers}. Ids are bk ids. A stored script runs the version the template was "
            "saved with (script_version_id, set on save when not given); target_variable names an IP variable; "
            "source paths may be directories (ending in /) or /dir/REGEX:<expression>; target_path may hold "
            "[FILESRCIP]."
        ),
    )


@strawberry.input
class CreateJobTemplateInput:
    business_id: strawberry.ID
    name: str
    steps: list[JobStepInput] = strawberry.field(description="In run order.")
    variables: JSON | None = strawberry.field(
        default=None,
        description='Variable name → default value: text, or {"ip_list": [{"ip", "bk_cloud_id"}]} for an IP variable.',
    )
    description: str | None = None


@strawberry.input
class UpdateJobTemplateInput:
    job_template_id: strawberry.ID
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    variables: JSON | None = strawberry.UNSET
    steps: list[JobStepInput] | None = strawberry.field(default=strawberry.UNSET, description="Replaces every step.")


@strawberry.input
class DeleteJobTemplateInput:
    job_template_id: strawberry.ID


@strawberry.input
class CreateCronInput:
    business_id: strawberry.ID
    job_template_id: strawberry.ID
    name: str
    expression: str = strawberry.field(description="5 fields: minute hour day-of-month month day-of-week (UTC).")
    variables: JSON | None = None


@strawberry.input
class SetCronEnabledInput:
    cron_id: strawberry.ID
    enabled: bool


@strawberry.input
class UpdateCronInput:
    cron_id: strawberry.ID
    name: str | None = strawberry.UNSET
    expression: str | None = strawberry.UNSET
    variables: JSON | None = strawberry.UNSET
    job_template_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class DeleteCronInput:
    cron_id: strawberry.ID


@strawberry.type
class JobTemplatePayload:
    job_template: JobTemplateType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteJobTemplatePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CronPayload:
    cron: CronType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteCronPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _specs(steps: list[JobStepInput]) -> list[StepSpec]:
    return [StepSpec(kind=s.kind, name=s.name, config=s.config if s.config is not None else {}) for s in steps]


async def _template(info: Info, template_id: int) -> JobTemplateType:
    loaders = info.context.loaders
    loaders.job_template.clear(template_id)
    loaders.steps_by_template.clear(template_id)
    return JobTemplateType.from_row(await loaders.job_template.load(template_id))


async def _cron(info: Info, cron_id: int) -> CronType:
    info.context.loaders.cron.clear(cron_id)
    return CronType.from_row(await info.context.loaders.cron.load(cron_id))


@strawberry.type
class JobTemplateCronMutations:
    @strawberry.mutation(description="A job template with its ordered steps. Maintainers of the business.")
    @returns_user_errors(JobTemplatePayload)
    async def create_job_template(self, info: Info, input: CreateJobTemplateInput) -> JobTemplatePayload:
        created = await template_actions.create_job_template(
            info.context.caller,
            pk(input.business_id, "Business"),
            name=input.name,
            steps=_specs(input.steps),
            variables=input.variables,
            description=input.description,
        )
        return JobTemplatePayload(job_template=await _template(info, created.id))

    @strawberry.mutation
    @returns_user_errors(JobTemplatePayload)
    async def update_job_template(self, info: Info, input: UpdateJobTemplateInput) -> JobTemplatePayload:
        changes, _ = columns_from_input(input, exclude=frozenset({"job_template_id", "steps"}))
        if input.steps is not strawberry.UNSET and input.steps is not None:
            changes["steps"] = _specs(input.steps)
        template_id = pk(input.job_template_id, "JobTemplate")
        await template_actions.update_job_template(info.context.caller, template_id, changes)
        return JobTemplatePayload(job_template=await _template(info, template_id))

    @strawberry.mutation(description="Refused (TEMPLATE_HAS_CRONS) while crons schedule it.")
    @returns_user_errors(DeleteJobTemplatePayload)
    async def delete_job_template(self, info: Info, input: DeleteJobTemplateInput) -> DeleteJobTemplatePayload:
        await template_actions.delete_job_template(info.context.caller, pk(input.job_template_id, "JobTemplate"))
        return DeleteJobTemplatePayload(deleted_id=input.job_template_id)

    @strawberry.mutation(description="A schedule of a job template, created paused (bk-job save_cron).")
    @returns_user_errors(CronPayload)
    async def create_cron(self, info: Info, input: CreateCronInput) -> CronPayload:
        created = await cron_actions.create_cron(
            info.context.caller,
            pk(input.business_id, "Business"),
            template_id=pk(input.job_template_id, "JobTemplate"),
            name=input.name,
            expression=input.expression,
            variables=input.variables,
        )
        return CronPayload(cron=await _cron(info, created.id))

    @strawberry.mutation(description="Start (true: computes nextRunAt) or pause (false: clears it) a cron.")
    @returns_user_errors(CronPayload)
    async def set_cron_enabled(self, info: Info, input: SetCronEnabledInput) -> CronPayload:
        cron_id = pk(input.cron_id, "Cron")
        await cron_actions.set_cron_enabled(info.context.caller, cron_id, input.enabled)
        return CronPayload(cron=await _cron(info, cron_id))

    @strawberry.mutation
    @returns_user_errors(CronPayload)
    async def update_cron(self, info: Info, input: UpdateCronInput) -> CronPayload:
        changes, _ = columns_from_input(input, exclude=frozenset({"cron_id", "job_template_id"}))
        if input.job_template_id is not strawberry.UNSET:
            changes["template_id"] = pk(input.job_template_id or "", "JobTemplate")
        cron_id = pk(input.cron_id, "Cron")
        await cron_actions.update_cron(info.context.caller, cron_id, changes)
        return CronPayload(cron=await _cron(info, cron_id))

    @strawberry.mutation
    @returns_user_errors(DeleteCronPayload)
    async def delete_cron(self, info: Info, input: DeleteCronInput) -> DeleteCronPayload:
        await cron_actions.delete_cron(info.context.caller, pk(input.cron_id, "Cron"))
        return DeleteCronPayload(deleted_id=input.cron_id)
