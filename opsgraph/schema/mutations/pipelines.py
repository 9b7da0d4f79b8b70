"""Pipeline templates and runs: createPipelineTemplate, updatePipelineTemplate, deletePipelineTemplate,
importCommonPipelineTemplates, createPipelineTask, startPipelineTask, operatePipelineTask,
operatePipelineNode. A run is a Task: payloads carry it with its pipeline side."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.pipelines import imports, runs
from opsgraph.resolvers.pipelines import templates as template_actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk
from opsgraph.schema.types.pipelines import PipelineRunType, PipelineTemplateType
from opsgraph.schema.types.tasks import TaskType


@strawberry.enum(name="PipelineTaskAction")
class PipelineTaskAction(Enum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    REVOKE = "revoke"


@strawberry.enum(name="PipelineNodeAction")
class PipelineNodeAction(Enum):
    RETRY = "retry"
    SKIP = "skip"
    SKIP_EXG = "skip_exg"
    SKIP_CPG = "skip_cpg"
    FORCED_FAIL = "forced_fail"
    CALLBACK = "callback"
    PAUSE = "pause"
    RESUME = "resume"
    PAUSE_SUBPROC = "pause_subproc"
    RESUME_SUBPROC = "resume_subproc"
    RETRY_SUBPROCESS = "retry_subprocess"


@strawberry.input
class CreatePipelineTemplateInput:
    business_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: a common (cross-business) template, superusers only."
    )
    name: str
    pipeline_tree: JSON = strawberry.field(description="bk-sops pipeline_tree (web format).")
    category: str | None = None
    description: str | None = None


@strawberry.input
class UpdatePipelineTemplateInput:
    pipeline_template_id: strawberry.ID
    name: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    pipeline_tree: JSON | None = strawberry.field(default=strawberry.UNSET, description="A new tree: a new version.")


@strawberry.input
class DeletePipelineTemplateInput:
    pipeline_template_id: strawberry.ID


@strawberry.input
class ImportCommonPipelineTemplatesInput:
    template_data: str = strawberry.field(description="The content of a bk-sops common-flow export file.")
    override: bool = strawberry.field(default=False, description="Replace common templates with the same ids.")


@strawberry.input
class CreatePipelineTaskInput:
    business_id: strawberry.ID
    pipeline_template_id: strawberry.ID
    name: str
    constants: JSON | None = strawberry.field(default=None, description='{"${key}": value}; unknown keys are ignored.')
    exclude_task_nodes_id: list[str] | None = strawberry.field(
        default=None, description="Optional nodes (template node ids) left out of the run."
    )
    flow_type: str | None = strawberry.field(default=None, description="common (default) or common_func")
    version: int | None = strawberry.field(default=None, description="A template version; default the current one.")
    callback_url: str | None = None
    callback_protocol: str | None = strawberry.field(default=None, description="opsgraph (default) or bk_sops")
    template_source: str | None = strawberry.field(
        default=None, description="business or common; default: whichever the template is."
    )


@strawberry.input
class PipelineTaskInput:
    task_id: strawberry.ID


@strawberry.input
class OperatePipelineTaskInput:
    task_id: strawberry.ID
    action: PipelineTaskAction


@strawberry.input
class OperatePipelineNodeInput:
    task_id: strawberry.ID
    node_id: str = strawberry.field(description="A node of the run (not of the template).")
    action: PipelineNodeAction
    inputs: JSON | None = strawberry.field(default=None, description="retry: new inputs of the node.")
    flow_id: str | None = strawberry.field(default=None, description="skip_exg: the flow to take.")
    flow_ids: list[str] | None = strawberry.field(default=None, description="skip_cpg: the branches to run.")
    converge_gateway_id: str | None = strawberry.field(default=None, description="skip_cpg: the gateway's converge.")
    callback_data: JSON | None = strawberry.field(default=None, description="callback: the data the node receives.")
    version: str | None = strawberry.field(default=None, description="callback: the node execution it is meant for.")


@strawberry.type
class PipelineTemplatePayload:
    pipeline_template: PipelineTemplateType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePipelineTemplatePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ImportPipelineTemplatesPayload:
    count: int = 0
    pipeline_templates: list[PipelineTemplateType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PipelineTaskPayload:
    task: TaskType | None = None
    pipeline: PipelineRunType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _template(info: Info, template_id: int) -> PipelineTemplateType:
    loaders = info.context.loaders.pipelines
    loaders.template.clear(template_id)
    loaders.current_version.clear(template_id)
    loaders.versions.clear(template_id)
    return PipelineTemplateType.from_row(await loaders.template.load(template_id))


async def _task(info: Info, task_id: int) -> PipelineTaskPayload:
    info.context.loaders.task.clear(task_id)
    info.context.loaders.steps_by_task.clear(task_id)
    info.context.loaders.pipelines.run_by_task.clear(task_id)
    task = await info.context.loaders.task.load(task_id)
    run = await info.context.loaders.pipelines.run_by_task.load(task_id)
    return PipelineTaskPayload(task=TaskType.from_row(task), pipeline=PipelineRunType.from_row(run))


@strawberry.type
class PipelineMutations:
    @strawberry.mutation(description="A template of a business (maintainers) or a common one (superusers).")
    @returns_user_errors(PipelineTemplatePayload)
    async def create_pipeline_template(self, info: Info, input: CreatePipelineTemplateInput) -> PipelineTemplatePayload:
        created = await template_actions.create_template(
            info.context.caller,
            optional_pk(input.business_id, "Business"),
            name=input.name,
            pipeline_tree=input.pipeline_tree,
            category=input.category,
            description=input.description,
        )
        return PipelineTemplatePayload(pipeline_template=await _template(info, created.id))

    @strawberry.mutation(description="A new pipelineTree adds a version; runs keep the version they started from.")
    @returns_user_errors(PipelineTemplatePayload)
    async def update_pipeline_template(self, info: Info, input: UpdatePipelineTemplateInput) -> PipelineTemplatePayload:
        changes = {
            name: getattr(input, name)
            for name in ("name", "category", "description", "pipeline_tree")
            if getattr(input, name) is not strawberry.UNSET
        }
        template_id = pk(input.pipeline_template_id, "PipelineTemplate")
        await template_actions.update_template(info.context.caller, template_id, changes)
        return PipelineTemplatePayload(pipeline_template=await _template(info, template_id))

    @strawberry.mutation(description="Refused (TEMPLATE_IN_USE) while a periodic task or another template uses it.")
    @returns_user_errors(DeletePipelineTemplatePayload)
    async def delete_pipeline_template(
        self, info: Info, input: DeletePipelineTemplateInput
    ) -> DeletePipelineTemplatePayload:
        await template_actions.delete_template(info.context.caller, pk(input.pipeline_template_id, "PipelineTemplate"))
        return DeletePipelineTemplatePayload(deleted_id=input.pipeline_template_id)

    @strawberry.mutation(description="Common flows from a bk-sops export file (superusers).")
    @returns_user_errors(ImportPipelineTemplatesPayload)
    async def import_common_pipeline_templates(
        self, info: Info, input: ImportCommonPipelineTemplatesInput
    ) -> ImportPipelineTemplatesPayload:
        imported = await imports.import_common_templates(info.context.caller, input.template_data, input.override)
        return ImportPipelineTemplatesPayload(
            count=len(imported), pipeline_templates=[await _template(info, t.id) for t in imported]
        )

    @strawberry.mutation(description="A run (a PIPELINE task) made from a template, not started yet.")
    @returns_user_errors(PipelineTaskPayload)
    async def create_pipeline_task(self, info: Info, input: CreatePipelineTaskInput) -> PipelineTaskPayload:
        task = await runs.create_run(
            info.context.caller,
            runs.RunRequest(
                business_id=pk(input.business_id, "Business"),
                template_id=pk(input.pipeline_template_id, "PipelineTemplate"),
                name=input.name,
                constants=input.constants,
                exclude_nodes=input.exclude_task_nodes_id,
                flow_type=input.flow_type,
                version=input.version,
                callback_url=input.callback_url,
                callback_protocol=input.callback_protocol,
                template_source=input.template_source
                or ("common" if await _is_common(input.pipeline_template_id) else "business"),
            ),
        )
        return await _task(info, task.id)

    @strawberry.mutation(description="Start a run: it answers at once and the run starts right after (bk-sops).")
    @returns_user_errors(PipelineTaskPayload)
    async def start_pipeline_task(self, info: Info, input: PipelineTaskInput) -> PipelineTaskPayload:
        task = await runs.start_run(info.context.caller, pk(input.task_id, "Task"))
        return await _task(info, task.id)

    @strawberry.mutation(description="start, pause (running nodes finish, nothing new starts), resume, revoke.")
    @returns_user_errors(PipelineTaskPayload)
    async def operate_pipeline_task(self, info: Info, input: OperatePipelineTaskInput) -> PipelineTaskPayload:
        task = await runs.operate_task(info.context.caller, pk(input.task_id, "Task"), input.action.value)
        return await _task(info, task.id)

    @strawberry.mutation(description="retry, skip, skip_exg, skip_cpg, forced_fail, callback, pause/resume …")
    @returns_user_errors(PipelineTaskPayload)
    async def operate_pipeline_node(self, info: Info, input: OperatePipelineNodeInput) -> PipelineTaskPayload:
        task = await runs.operate_node(
            info.context.caller,
            pk(input.task_id, "Task"),
            runs.NodeOperation(
                action=input.action.value,
                node_id=input.node_id,
                inputs=input.inputs,
                flow_id=input.flow_id,
                flow_ids=input.flow_ids,
                converge_gateway_id=input.converge_gateway_id,
                data=input.callback_data,
                version=input.version,
            ),
        )
        return await _task(info, task.id)


async def _is_common(template_id: strawberry.ID) -> bool:
    from opsgraph.models.pipelines import PipelineTemplate

    return await PipelineTemplate.filter(id=pk(template_id, "PipelineTemplate"), is_common=True).exists()
