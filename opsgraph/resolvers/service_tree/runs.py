"""Starting OpenC3 tasks: a job by uuid or by name (idempotent on the caller's uuid), a redo, and
the one-step `plugin_cmd` / `plugin_scp` / `plugin_approval` tasks.

Each start reserves its TreeTask row (the uuid is unique, so two starts with one client uuid
cannot both run), builds the steps — hosts, accounts, scripts and variables resolved now — and
launches one Task through the task launcher, which persists everything before the queue hears of
it. Starting needs level 2 (write) on the node, or level 1 (control) for a job whose
`_authorization_` variable is "true"; a plugin task needs level 2.
"""

from __future__ import annotations

import base64
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.executors import approval_notice  # noqa: F401 - registers the approvers' notice step
from opsgraph.models.jobs import JobStep, JobTemplate, Script, ScriptVersion, StepKind
from opsgraph.models.service_tree import TreeFile, TreeJob, TreeTask
from opsgraph.models.tasks import TaskKind
from opsgraph.resolvers.jobs.accounts import resolve_account
from opsgraph.resolvers.service_tree.access import CONTROL, WRITE, TreeNode, node_for, require_level
from opsgraph.resolvers.service_tree.approval_notice import NOTICE_KIND
from opsgraph.resolvers.service_tree.jobs import account_alias, job_by_name, new_uuid, script_language
from opsgraph.resolvers.service_tree.steps import APPROVAL_TIMEOUT, parse_step
from opsgraph.resolvers.service_tree.targets import step_hosts
from opsgraph.resolvers.service_tree.variables import AUTHORIZATION, check_task_variables, substitute
from opsgraph.resolvers.tasks.launch import StepPlan, TaskPlan, launch

PAGE, API = 1, 2  # bk-job start_way: what OpenC3 calls calltype page / api
EXIT = "_exit_"  # "1"/"true" (or "cmd"/"scp" for that kind): a failed step ends the task, no decision
CLIENT_UUID = re.compile(r"^[a-zA-Z0-9]{12}$")


@dataclass
class RunContext:
    principal: Principal
    node: TreeNode
    task_variables: dict[str, str]
    job_variables: dict[str, Any]

    def sub(self, text: str) -> str:
        return substitute(text, self.task_variables, self.job_variables)


def calltype_of(principal: Principal) -> str:
    return "api" if principal.app_code and principal.username.endswith("@app") else "page"


async def _script(context: RunContext, step: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    if step["scripts_type"] != "cite":
        language = script_language(step["scripts_type"], step["scripts_cont"], "scripts_type")
        return step["scripts_cont"], int(language), {}
    script_id = int(step["scripts_cont"])
    script = await Script.get_or_none(id=script_id, business_id=context.node.business_id)
    version = await ScriptVersion.filter(script_id=script_id).order_by("-version").first() if script else None
    if script is None or version is None:
        raise NotFound(f"scripts id {script_id} nofind", field="scripts_cont")
    return version.content, int(script.language), {"script_id": script_id, "script_version": version.version}


async def _cmd_plan(context: RunContext, step: dict[str, Any], origin: dict[str, Any]) -> StepPlan:
    hosts = await step_hosts(
        context.principal,
        context.node,
        step["node_type"],
        step["node_cont"],
        "node_cont",
        context.task_variables,
        context.job_variables,
    )
    alias = await account_alias(context.node.business_id, step["user"], "user")
    account = await resolve_account(context.node.business_id, alias=alias)
    content, language, source = await _script(context, step)
    config = {
        "content": content,
        "language": language,
        "params": context.sub(step["scripts_argv"]),
        "timeout": int(step["timeout"]),
        "account_id": account.id,
        **source,
        **origin,
    }
    return StepPlan(StepKind.SCRIPT, step["name"], config, hosts)


async def _scp_sources(context: RunContext, step: dict[str, Any]) -> list[dict[str, Any]]:
    if step["src_type"] == "ci":
        raise ValidationFailed("check format fail src_type: ci sources need OpenC3's CI module", field="src_type")
    if step["src_type"] == "fileserver":
        name = context.sub(step["sp"])
        stored = await TreeFile.get_or_none(tree_id=context.node.tree_id, name=name)
        if stored is None:
            raise NotFound(f"file {name!r} is not in the file store of tree node {context.node.tree_id}", field="sp")
        return [{"name": stored.name, "content_b64": base64.b64encode(bytes(stored.content)).decode()}]
    path = context.sub(step["sp"])
    if not path.startswith("/"):
        raise ValidationFailed("check format fail sp: must be an absolute path", field="sp")
    hosts = await step_hosts(
        context.principal,
        context.node,
        step["src_type"],
        step["src"],
        "src",
        context.task_variables,
        context.job_variables,
    )
    return [{"host_id": hosts[0]["id"], "path": posixpath.normpath(path)}]


async def _scp_plan(context: RunContext, step: dict[str, Any], origin: dict[str, Any]) -> StepPlan:
    sources = await _scp_sources(context, step)
    hosts = await step_hosts(
        context.principal,
        context.node,
        step["dst_type"],
        step["dst"],
        "dst",
        context.task_variables,
        context.job_variables,
    )
    target = context.sub(step["dp"])
    if not target.startswith("/"):
        raise ValidationFailed("check format fail dp: must be an absolute path", field="dp")
    alias = await account_alias(context.node.business_id, step["user"], "user")
    account = await resolve_account(context.node.business_id, alias=alias)
    config = {
        "sources": sources,
        "target_path": posixpath.normpath(target),
        "owner": step.get("chown") or None,
        "mode": int(step["chmod"], 8) if step.get("chmod") else None,
        "timeout": int(step["timeout"]),
        "account_id": account.id,
        **origin,
    }
    return StepPlan(StepKind.FILE, step["name"], config, hosts)


def notice_plan(step: dict[str, Any]) -> StepPlan:
    """The host-less step that mails an approval step's approvers their uuids (it runs first)."""
    return StepPlan(NOTICE_KIND, f"notify approvers of {step['name']}"[:256], {"notice": True})


def _approval_plan(context: RunContext, step: dict[str, Any], origin: dict[str, Any]) -> StepPlan:
    approvers = [a.strip() for a in context.sub(step["approver"]).split(",") if a.strip()]
    config = {
        "message": step["cont"],
        "approvers": approvers,
        "everyone": step.get("everyone") == "on",
        "timeout": int(step.get("timeout") or APPROVAL_TIMEOUT),  # executors/approval_wait.py ends it then
        **origin,
    }
    return StepPlan(StepKind.APPROVAL, step["name"], config)


def _holds(context: RunContext, step: dict[str, Any]) -> dict[str, Any]:
    """How a job's step holds the run (executors/step_holds.py): a failed cmd / scp step waits for
    a decision, unless the `_exit_` variable says to stop at once; a step with `pause` waits for
    `next` once it has ended well. Ad-hoc plugin tasks do neither, as upstream."""
    holds: dict[str, Any] = {"pause": step["pause"]} if step.get("pause") else {}
    if step["plugin_type"] == "approval":
        return holds
    exit_now = str(context.task_variables.get(EXIT) or context.job_variables.get(EXIT) or "").lower()
    if exit_now in ("1", "true", step["plugin_type"]):  # "cmd" stops cmd steps only, "scp" scp steps
        return {**holds, "stop_reason": "stop by sys._exit_"}
    return {**holds, "on_failure": "decide"}


async def plan_step(
    context: RunContext, step: dict[str, Any], origin: dict[str, Any], *, in_job: bool = False
) -> StepPlan:
    origin = {**origin, "openc3": {"uuid": origin.get("openc3_uuid") or new_uuid(), "type": step["plugin_type"]}}
    origin.pop("openc3_uuid", None)
    if in_job:
        origin.update(_holds(context, step))
    if step["plugin_type"] == "cmd":
        return await _cmd_plan(context, step, origin)
    if step["plugin_type"] == "scp":
        return await _scp_plan(context, step, origin)
    return _approval_plan(context, step, origin)


async def _reserve(uuid: str | None) -> tuple[str, bool]:
    """The task uuid to use, and whether it was free (False: that client uuid already started)."""
    if uuid is None:
        return new_uuid(), True
    return uuid, not await TreeTask.exists(uuid=uuid)


async def _launch(
    context: RunContext,
    *,
    uuid: str,
    name: str,
    steps: list[StepPlan],
    jobtype: str,
    job_uuid: str,
    template_id: int | None,
) -> TreeTask:
    calltype = calltype_of(context.principal)
    try:
        record = await TreeTask.create(
            uuid=uuid,
            business_id=context.node.business_id,
            tree_id=context.node.tree_id,
            name=name,
            user=context.principal.username,
            calltype=calltype,
            jobtype=jobtype,
            job_uuid=job_uuid,
            variable=context.task_variables,
        )
    except IntegrityError as exc:
        raise Conflict(f"task uuid {uuid} is already used", field="uuid", code="TASK_EXISTS") from exc
    try:
        plan = TaskPlan(
            kind=TaskKind.JOB,
            business_id=context.node.business_id,
            name=name,
            steps=steps,
            params={"template_id": template_id, "openc3": {"uuid": uuid, "tree_id": context.node.tree_id}},
            start_way=API if calltype == "api" else PAGE,
        )
        task = await launch(context.principal, plan)
    except Exception:
        await TreeTask.filter(id=record.id).delete()  # the uuid is free again: nothing started
        raise
    record.task_id = task.id
    await TreeTask.filter(id=record.id).update(task_id=task.id)
    return record


async def start_tree_job(
    principal: Principal,
    tree_id: int,
    *,
    job_uuid: str | None = None,
    job_name: str | None = None,
    task_uuid: str | None = None,
    variables: Any = None,
) -> tuple[TreeTask, bool]:
    """The started task and True; or the task a repeated client `task_uuid` started, and False."""
    node = await node_for(principal, tree_id)
    if job_name is not None:
        job = await job_by_name(node, job_name)
    else:
        found = await TreeJob.get_or_none(uuid=job_uuid or "", tree_id=node.tree_id)
        if found is None:
            raise NotFound(f"projectid, jobuuid nomatch: tree node {tree_id} has no job {job_uuid}", field="jobuuid")
        job = found
    template = await JobTemplate.get(id=job.template_id)
    authorized = str(template.variables.get(AUTHORIZATION, "")).lower() == "true"
    require_level(principal, node, CONTROL if authorized else WRITE)
    task_variables = check_task_variables(variables)
    if task_uuid is not None and not CLIENT_UUID.match(task_uuid):
        raise ValidationFailed("check format fail uuid: 12 letters or digits", field="uuid")
    uuid, free = await _reserve(task_uuid)
    if not free:
        return await TreeTask.get(uuid=uuid), False
    context = RunContext(principal, node, task_variables, dict(template.variables))
    steps = []
    for job_step in await JobStep.filter(template_id=template.id).order_by("position"):
        plan = await _step_of(context, job_step)
        if plan.kind == StepKind.APPROVAL:
            steps.append(notice_plan(job_step.config["openc3"]))
        steps.append(plan)
    try:
        record = await _launch(
            context,
            uuid=uuid,
            name=template.name,
            steps=steps,
            jobtype="jobs",
            job_uuid=job.uuid,
            template_id=template.id,
        )
    except Conflict as exc:
        if exc.code != "TASK_EXISTS":
            raise
        return await TreeTask.get(uuid=uuid), False  # the same client uuid, started a moment ago
    return record, True


async def _step_of(context: RunContext, job_step: JobStep) -> StepPlan:
    origin = {"job_step_id": job_step.id, "openc3_uuid": job_step.config.get("openc3_uuid")}
    step = job_step.config.get("openc3")
    if step is None:  # a step written through GraphQL: run it as written there
        raise ValidationFailed(
            f"step {job_step.position} ({job_step.name}) was written through GraphQL: run this job with runJob",
            field="jobuuid",
        )
    return await plan_step(context, step, origin, in_job=True)


async def redo_tree_task(principal: Principal, tree_id: int, task_uuid: str) -> TreeTask:
    """A new task (new uuid) running the same job, or plugin step, with the same variables."""
    node = await node_for(principal, tree_id, WRITE)
    original = await TreeTask.get_or_none(uuid=task_uuid, tree_id=node.tree_id)
    if original is None:
        raise NotFound(f"projectid, taskuuid nomatch: tree node {tree_id} has no task {task_uuid}", field="taskuuid")
    if original.jobtype == "jobs":
        job = await TreeJob.get_or_none(uuid=original.job_uuid)
        if job is None:
            raise NotFound(f"the job of task {task_uuid} no longer exists", field="taskuuid")
        record, _ = await start_tree_job(principal, tree_id, job_uuid=job.uuid, variables=original.variable)
        return record
    from opsgraph.models.tasks import TaskStep

    steps = await TaskStep.filter(task_id=original.task_id).order_by("position") if original.task_id else []
    plugin = next((s.config["openc3_step"] for s in steps if s.config.get("openc3_step")), None)
    if plugin is None:
        raise NotFound(f"task {task_uuid} cannot be redone: its step is gone", field="taskuuid")
    return await run_tree_plugin(principal, tree_id, original.name, plugin, original.variable)


async def run_tree_plugin(
    principal: Principal, tree_id: int, name: Any, raw_step: Any, variables: Any = None
) -> TreeTask:
    """One ad-hoc step as a task (`plugin_cmd`, `plugin_scp`, `plugin_approval`)."""
    node = await node_for(principal, tree_id, WRITE)
    if not isinstance(raw_step, dict):
        raise ValidationFailed("check format fail step: must be an object", field="step")
    step = parse_step({**raw_step, "name": name}, "step", standalone=True)
    context = RunContext(principal, node, check_task_variables(variables), {})
    plugin_uuid = new_uuid()
    plan = await plan_step(context, step, {"openc3_uuid": plugin_uuid})
    plan.config["openc3_step"] = step  # what a redo runs again
    uuid, _ = await _reserve(None)
    return await _launch(
        context,
        uuid=uuid,
        name=step["name"],
        steps=[notice_plan(step), plan] if plan.kind == StepKind.APPROVAL else [plan],
        jobtype=f"plugin_{step['plugin_type']}",
        job_uuid=plugin_uuid,
        template_id=None,
    )
