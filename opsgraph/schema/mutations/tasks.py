"""runScript, pushFile, runJob, cancelTask, retryFailedHosts, confirmTaskStep.

Each returns the Task at once; progress arrives through `taskEvents` or by polling `task`.
"""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.tasks import Task
from opsgraph.resolvers.tasks import control, plans
from opsgraph.resolvers.tasks.launch import check_callback_protocol
from opsgraph.resolvers.tasks.targets import HostAddress
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk, pks
from opsgraph.schema.types.tasks import TaskType

_PROTOCOL = "The callback body: opsgraph (default) or bk_job (bk-job's callback_protocol)."
_GROUPS = (
    "Dynamic groups (global ids, or bk custom query ids) whose hosts are targets: resolved when the run "
    "starts, so the run follows the CMDB as it is then."
)


@strawberry.input
class HostAddressInput:
    ip: str
    bk_cloud_id: int = 0


@strawberry.input
class RunScriptInput:
    business_id: strawberry.ID
    host_ids: list[strawberry.ID] | None = None
    hosts: list[HostAddressInput] | None = strawberry.field(default=None, description="Targets by IP and cloud area.")
    dynamic_group_ids: list[strawberry.ID] | None = strawberry.field(default=None, description=_GROUPS)
    script_id: strawberry.ID | None = None
    content: str | None = None
    language: int | None = strawberry.field(default=None, description="1 shell, 2 bat, 3 perl, 4 python, 5 powershell")
    params: str = ""
    timeout: int | None = strawberry.field(default=None, description="Seconds, 1–86400; default 7200.")
    account_id: strawberry.ID | None = None
    account_alias: str | None = strawberry.field(default=None, description="Default: the business's default account.")
    name: str = ""
    callback_url: str | None = None
    callback_protocol: str | None = strawberry.field(default=None, description=_PROTOCOL)


_SOURCE_PATH = (
    "Absolute path on the source host: a file; a directory ending in / (copied whole, keeping modes); or "
    "/dir/REGEX:<RE2 expression> (the files of /dir whose whole name matches, at most "
    "OPSGRAPH_FILE_PATTERN_MAX_MATCHES)."
)
_TARGET_PATH = (
    "Absolute target directory. [FILESRCIP] in it becomes the IP of the host each file came from "
    "(0.0.0.0 for uploaded content)."
)


@strawberry.input(description="Content uploaded with the request, or a path on a host of the business.")
class FileSourceInput:
    name: str | None = None
    content_base64: str | None = strawberry.field(default=None, description="Upload: the file's bytes, base64.")
    source_host_id: strawberry.ID | None = None
    source_host: HostAddressInput | None = None
    path: str | None = strawberry.field(default=None, description=_SOURCE_PATH)
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="The account that reads the source; default: the step's account."
    )
    account_alias: str | None = strawberry.field(
        default=None, description="The account that reads the source, by alias; default: the step's account."
    )


@strawberry.input
class PushFileInput:
    business_id: strawberry.ID
    files: list[FileSourceInput]
    target_path: str = strawberry.field(description=_TARGET_PATH)
    host_ids: list[strawberry.ID] | None = None
    hosts: list[HostAddressInput] | None = None
    dynamic_group_ids: list[strawberry.ID] | None = strawberry.field(default=None, description=_GROUPS)
    owner: str | None = None
    mode: int | None = strawberry.field(default=None, description="Permission bits, e.g. 420 for 0644.")
    timeout: int | None = None
    account_id: strawberry.ID | None = None
    account_alias: str | None = None
    name: str = ""
    callback_url: str | None = None
    callback_protocol: str | None = strawberry.field(default=None, description=_PROTOCOL)


@strawberry.input(
    description="One template step to run (bk-job execute_job steps[]); unset fields keep the stored value."
)
class RunJobStepInput:
    bk_step_id: int = strawberry.field(description="The template step's bkStepId.")
    host_ids: list[strawberry.ID] | None = None
    hosts: list[HostAddressInput] | None = None
    dynamic_group_ids: list[strawberry.ID] | None = strawberry.field(default=None, description=_GROUPS)
    account_alias: str | None = None
    script_id: strawberry.ID | None = strawberry.field(default=None, description="Script steps: run this script.")
    content: str | None = strawberry.field(default=None, description="Script steps: run this inline content.")
    language: int | None = strawberry.field(default=None, description="With content: 1 shell … 5 powershell.")
    params: str | None = None
    timeout: int | None = None
    target_path: str | None = strawberry.field(default=None, description="File steps: the target path. " + _TARGET_PATH)
    files: list[FileSourceInput] | None = strawberry.field(
        default=None, description="File steps: these sources instead of the stored ones."
    )


@strawberry.input
class RunJobInput:
    template_id: strawberry.ID
    host_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Override every step's targets.")
    hosts: list[HostAddressInput] | None = None
    dynamic_group_ids: list[strawberry.ID] | None = strawberry.field(default=None, description=_GROUPS)
    variables: JSON | None = strawberry.field(
        default=None,
        description=(
            "Variable name → value. String variables take text; IP variables take "
            '{"ip_list": [{"ip": "10.0.0.1", "bk_cloud_id": 0}]}: the targets of the steps that name them.'
        ),
    )
    account_alias: str | None = None
    callback_url: str | None = None
    callback_protocol: str | None = strawberry.field(default=None, description=_PROTOCOL)
    steps: list[RunJobStepInput] | None = strawberry.field(
        default=None, description="Run only these steps, each with optional overrides; null = every step as stored."
    )


@strawberry.input
class TaskInput:
    task_id: strawberry.ID


@strawberry.type
class TaskPayload:
    task: TaskType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _common(input: RunScriptInput | PushFileInput) -> plans.Common:
    """What every single-step run shares: where, as whom, how long, whom to tell."""
    return plans.Common(
        business_id=pk(input.business_id, "Business"),
        name=input.name,
        timeout=input.timeout,
        account_id=optional_pk(input.account_id, "Account"),
        account_alias=input.account_alias,
        callback_url=input.callback_url,
        callback_protocol=check_callback_protocol(input.callback_protocol),
    )


def _targets(
    host_ids: list[strawberry.ID] | None,
    hosts: list[HostAddressInput] | None,
    dynamic_group_ids: list[strawberry.ID] | None = None,
) -> plans.Targets:
    return plans.Targets(
        host_ids=pks(host_ids, "Host") if host_ids else None,
        addresses=[HostAddress(h.ip, h.bk_cloud_id) for h in hosts] if hosts else None,
        dynamic_groups=[str(g) for g in dynamic_group_ids] if dynamic_group_ids else None,
    )


async def _payload(info: Info, task: Task) -> TaskPayload:
    info.context.loaders.task.clear(task.id)
    return TaskPayload(task=TaskType.from_row(await info.context.loaders.task.load(task.id)))


def _file_spec(item: FileSourceInput) -> plans.FileSpec:
    address = HostAddress(item.source_host.ip, item.source_host.bk_cloud_id) if item.source_host else None
    return plans.FileSpec(
        name=item.name,
        content_b64=item.content_base64,
        host_id=optional_pk(item.source_host_id, "Host"),
        address=address,
        path=item.path,
        account_id=optional_pk(item.account_id, "Account"),
        account_alias=item.account_alias,
    )


def _step_override(step: RunJobStepInput) -> plans.StepOverride:
    return plans.StepOverride(
        bk_step_id=step.bk_step_id,
        targets=_targets(step.host_ids, step.hosts, step.dynamic_group_ids)
        if (step.host_ids or step.hosts or step.dynamic_group_ids)
        else None,
        account_alias=step.account_alias,
        script_id=optional_pk(step.script_id, "Script"),
        content=step.content,
        language=step.language,
        params=step.params,
        timeout=step.timeout,
        target_path=step.target_path,
        files=None if step.files is None else [_file_spec(f) for f in step.files],
    )


@strawberry.type
class TaskMutations:
    @strawberry.mutation(description="Run a script (stored or inline) on hosts over SSH.")
    @returns_user_errors(TaskPayload)
    async def run_script(self, info: Info, input: RunScriptInput) -> TaskPayload:
        common = _common(input)
        task = await plans.run_script(
            info.context.caller,
            common,
            _targets(input.host_ids, input.hosts, input.dynamic_group_ids),
            script_id=optional_pk(input.script_id, "Script"),
            content=input.content,
            language=input.language,
            params=input.params,
        )
        return await _payload(info, task)

    @strawberry.mutation(description="Copy uploaded content or files from another host to hosts (SFTP).")
    @returns_user_errors(TaskPayload)
    async def push_file(self, info: Info, input: PushFileInput) -> TaskPayload:
        common = _common(input)
        task = await plans.push_file(
            info.context.caller,
            common,
            _targets(input.host_ids, input.hosts, input.dynamic_group_ids),
            files=[_file_spec(f) for f in input.files],
            target_path=input.target_path,
            owner=input.owner,
            mode=input.mode,
        )
        return await _payload(info, task)

    @strawberry.mutation(description="Run a job template's steps in order; variables fill ${name} placeholders.")
    @returns_user_errors(TaskPayload)
    async def run_job(self, info: Info, input: RunJobInput) -> TaskPayload:
        variables: object = input.variables or {}
        if not isinstance(variables, dict):
            raise ValidationFailed("variables must be an object", field="variables")
        given = input.host_ids or input.hosts or input.dynamic_group_ids
        override = _targets(input.host_ids, input.hosts, input.dynamic_group_ids) if given else None
        task = await plans.run_job(
            info.context.caller,
            pk(input.template_id, "JobTemplate"),
            targets=override,
            variables=variables,
            account_alias=input.account_alias,
            callback_url=input.callback_url,
            callback_protocol=check_callback_protocol(input.callback_protocol),
            step_overrides=None if input.steps is None else [_step_override(step) for step in input.steps],
        )
        return await _payload(info, task)

    @strawberry.mutation(description="Stop a task: running commands are killed on the hosts.")
    @returns_user_errors(TaskPayload)
    async def cancel_task(self, info: Info, input: TaskInput) -> TaskPayload:
        return await _payload(info, await control.cancel_task(info.context.caller, pk(input.task_id, "Task")))

    @strawberry.mutation(description="Run again only the hosts that did not succeed, then carry on.")
    @returns_user_errors(TaskPayload)
    async def retry_failed_hosts(self, info: Info, input: TaskInput) -> TaskPayload:
        return await _payload(info, await control.retry_failed_hosts(info.context.caller, pk(input.task_id, "Task")))

    @strawberry.mutation(description="Let a task waiting at an approval/pause step continue.")
    @returns_user_errors(TaskPayload)
    async def confirm_task_step(self, info: Info, input: TaskInput) -> TaskPayload:
        task = await control.confirm_waiting_step(info.context.caller, pk(input.task_id, "Task"))
        return await _payload(info, task)
