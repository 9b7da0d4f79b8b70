"""OpenC3 jobs, their variables and tasks on the service tree: write, start, control, kill."""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.service_tree import controls, job_variables, jobs, runs
from opsgraph.resolvers.service_tree.tasks import tree_task
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.service_tree_jobs import TreeJobType, TreeTaskType


@strawberry.input(description="One OpenC3 step; which fields count depends on pluginType (cmd, scp, approval).")
class TreeJobStepInput:
    plugin_type: str
    name: str | None = None
    timeout: int | None = None
    pause: str | None = None
    user: str | None = None
    node_type: str | None = None
    node_cont: str | None = None
    scripts_type: str | None = None
    scripts_cont: str | None = None
    scripts_argv: str | None = None
    src_type: str | None = None
    src: str | None = None
    dst_type: str | None = None
    dst: str | None = None
    sp: str | None = None
    dp: str | None = None
    chown: str | None = None
    chmod: str | None = None
    scp_delete: str | None = None
    cont: str | None = None
    approver: str | None = None
    deployenv: str | None = None
    action: str | None = None
    batches: str | None = None
    everyone: str | None = None


def step_dict(step: TreeJobStepInput) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(step).items() if v is not None}


@strawberry.input
class CreateTreeJobInput:
    tree_id: int
    name: str
    steps: list[TreeJobStepInput]


@strawberry.input
class UpdateTreeJobInput:
    tree_id: int
    uuid: str
    steps: list[TreeJobStepInput]
    name: str | None = None


@strawberry.input(description="Give the uuid or the name.")
class DeleteTreeJobInput:
    tree_id: int
    uuid: str | None = None
    name: str | None = None


@strawberry.input
class CopyTreeJobInput:
    tree_id: int
    from_name: str
    to_name: str
    from_tree_id: int | None = None
    to_tree_id: int | None = None


@strawberry.input
class TreeJobVariableInput:
    name: str
    value: str = ""
    describe: str = ""


@strawberry.input
class SetTreeJobVariableInput:
    tree_id: int
    job_uuid: str
    variable: TreeJobVariableInput


@strawberry.input
class ReplaceTreeJobVariablesInput:
    tree_id: int
    job_uuid: str
    variables: list[TreeJobVariableInput]


@strawberry.input
class DeleteTreeJobVariableInput:
    tree_id: int
    job_uuid: str
    name: str


@strawberry.input(description="Give jobUuid or jobName; `uuid` makes the start idempotent (12 letters/digits).")
class StartTreeJobInput:
    tree_id: int
    job_uuid: str | None = None
    job_name: str | None = None
    uuid: str | None = None
    variables: JSON | None = None


@strawberry.input
class RedoTreeTaskInput:
    tree_id: int
    task_uuid: str


@strawberry.input
class RunTreePluginInput:
    tree_id: int
    name: str
    step: TreeJobStepInput
    variables: JSON | None = None


@strawberry.input
class ControlTreeSubtaskInput:
    tree_id: int
    task_uuid: str
    subtask_uuid: str
    control: str = strawberry.field(description="next, fail, running or ignore")
    put: bool = strawberry.field(default=False, description="OpenC3's PUT: level 1 suffices, next/running only.")


@strawberry.input
class KillTreeTaskInput:
    uuid: str


@strawberry.type
class TreeJobPayload:
    tree_job: TreeJobType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteTreeJobPayload:
    uuid: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TreeJobVariablesPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TreeTaskPayload:
    tree_task: TreeTaskType | None = None
    created: bool = strawberry.field(default=True, description="False: this client uuid had started already.")
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _job(job_id: int) -> TreeJobType:
    return TreeJobType.from_row(await jobs.tree_job_row(job_id))


async def _task(info: Info, tree_id: int, uuid: str, created: bool = True) -> TreeTaskPayload:
    row = await tree_task(info.context.caller, tree_id, uuid)
    return TreeTaskPayload(tree_task=TreeTaskType.from_row(row) if row else None, created=created)


@strawberry.type
class TreeJobMutations:
    @strawberry.mutation(description="An OpenC3 job on a tree node (level 2: maintainer).")
    @returns_user_errors(TreeJobPayload)
    async def create_tree_job(self, info: Info, input: CreateTreeJobInput) -> TreeJobPayload:
        steps = [step_dict(s) for s in input.steps]
        job = await jobs.create_tree_job(info.context.caller, input.tree_id, input.name, steps)
        return TreeJobPayload(tree_job=await _job(job.id))

    @strawberry.mutation(description="Replace a job's steps (and name).")
    @returns_user_errors(TreeJobPayload)
    async def update_tree_job(self, info: Info, input: UpdateTreeJobInput) -> TreeJobPayload:
        steps = [step_dict(s) for s in input.steps]
        job = await jobs.update_tree_job(info.context.caller, input.tree_id, input.uuid, input.name, steps)
        return TreeJobPayload(tree_job=await _job(job.id))

    @strawberry.mutation(description="Refused while a crontab runs the job.")
    @returns_user_errors(DeleteTreeJobPayload)
    async def delete_tree_job(self, info: Info, input: DeleteTreeJobInput) -> DeleteTreeJobPayload:
        uuid = await jobs.delete_tree_job(info.context.caller, input.tree_id, uuid=input.uuid, name=input.name)
        return DeleteTreeJobPayload(uuid=uuid)

    @strawberry.mutation(description="Copy a job by name, within a node or to another node.")
    @returns_user_errors(TreeJobPayload)
    async def copy_tree_job(self, info: Info, input: CopyTreeJobInput) -> TreeJobPayload:
        job = await jobs.copy_tree_job(
            info.context.caller, input.tree_id, input.from_tree_id, input.to_tree_id, input.from_name, input.to_name
        )
        return TreeJobPayload(tree_job=await _job(job.id))

    @strawberry.mutation(description="Add or replace one variable of a job.")
    @returns_user_errors(TreeJobVariablesPayload)
    async def set_tree_job_variable(self, info: Info, input: SetTreeJobVariableInput) -> TreeJobVariablesPayload:
        item = dataclasses.asdict(input.variable)
        await job_variables.set_variable(info.context.caller, input.tree_id, input.job_uuid, item)
        return TreeJobVariablesPayload(ok=True)

    @strawberry.mutation(description="The job's variables become exactly these.")
    @returns_user_errors(TreeJobVariablesPayload)
    async def replace_tree_job_variables(
        self, info: Info, input: ReplaceTreeJobVariablesInput
    ) -> TreeJobVariablesPayload:
        items = [dataclasses.asdict(v) for v in input.variables]
        await job_variables.replace_variables(info.context.caller, input.tree_id, input.job_uuid, items)
        return TreeJobVariablesPayload(ok=True)

    @strawberry.mutation
    @returns_user_errors(TreeJobVariablesPayload)
    async def delete_tree_job_variable(self, info: Info, input: DeleteTreeJobVariableInput) -> TreeJobVariablesPayload:
        await job_variables.delete_variable(info.context.caller, input.tree_id, input.job_uuid, input.name)
        return TreeJobVariablesPayload(ok=True)

    @strawberry.mutation(description="Start a job by uuid or name; variables fill $name / ${name}.")
    @returns_user_errors(TreeTaskPayload)
    async def start_tree_job(self, info: Info, input: StartTreeJobInput) -> TreeTaskPayload:
        record, created = await runs.start_tree_job(
            info.context.caller,
            input.tree_id,
            job_uuid=input.job_uuid,
            job_name=input.job_name,
            task_uuid=input.uuid,
            variables=input.variables,
        )
        return await _task(info, record.tree_id, record.uuid, created)

    @strawberry.mutation(description="Run a task's job (or step) again, as a new task.")
    @returns_user_errors(TreeTaskPayload)
    async def redo_tree_task(self, info: Info, input: RedoTreeTaskInput) -> TreeTaskPayload:
        record = await runs.redo_tree_task(info.context.caller, input.tree_id, input.task_uuid)
        return await _task(info, record.tree_id, record.uuid)

    @strawberry.mutation(description="Run one cmd, scp or approval step as a task (plugin_cmd / _scp / _approval).")
    @returns_user_errors(TreeTaskPayload)
    async def run_tree_plugin(self, info: Info, input: RunTreePluginInput) -> TreeTaskPayload:
        record = await runs.run_tree_plugin(
            info.context.caller, input.tree_id, input.name, step_dict(input.step), input.variables
        )
        return await _task(info, record.tree_id, record.uuid)

    @strawberry.mutation(description="Decide about a failed step (running = retry, ignore, fail) or release (next).")
    @returns_user_errors(TreeTaskPayload)
    async def control_tree_subtask(self, info: Info, input: ControlTreeSubtaskInput) -> TreeTaskPayload:
        record = await controls.control_subtask(
            info.context.caller, input.tree_id, input.task_uuid, input.subtask_uuid, input.control, put=input.put
        )
        return await _task(info, record.tree_id, record.uuid)

    @strawberry.mutation(description="Stop a task: running commands are killed on the hosts.")
    @returns_user_errors(TreeTaskPayload)
    async def kill_tree_task(self, info: Info, input: KillTreeTaskInput) -> TreeTaskPayload:
        record = await controls.kill_tree_task(info.context.caller, input.uuid)
        return await _task(info, record.tree_id, record.uuid)
