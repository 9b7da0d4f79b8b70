"""`/task/:treeid`: starting OpenC3 tasks (a job by uuid or by name, a redo, one-step plugins) and
reading them (list, count, detail; unknown uuid → status `norun`)."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.checks import ALNUM, choice, date_param, fail, mapping, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.compat_rest.openc3.job.jobs import step_input
from opsgraph.core.settings import Settings

FILTER_KEYS = {"name": "name", "user": "user", "status": "status", "taskuuid": "taskUuid"}


def task_row(task: dict[str, Any]) -> dict[str, Any]:
    """A task as OpenC3's `openc3_job_task` row."""
    return {
        "id": task["taskId"],
        "uuid": task["uuid"],
        "name": task["name"],
        "user": task["user"],
        "slave": task["slave"],
        "status": task["status"],
        "starttime": c3_time(task["starttime"]),
        "finishtime": c3_time(task["finishtime"]),
        "runtime": task["runtime"],
        "calltype": task["calltype"],
        "jobtype": task["jobtype"],
        "jobuuid": task["jobUuid"],
        "reason": task["reason"],
        "variable": task["variableText"],
        "extid": task["extid"],
    }


@C3_ROUTES.route("job", "GET", "/task/:treeid")
async def list_tasks(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The node's tasks, newest first."""
    tree = tree_id(request)
    spec: dict[str, Any] = {}
    for key, name in FILTER_KEYS.items():
        value = text(request, key, pattern=ALNUM if key in ("status", "taskuuid") else None)
        if value:
            spec[name] = value
    for key, name in (("time_start", "timeStart"), ("time_end", "timeEnd")):
        if (day := date_param(request, key)) is not None:
            spec[name] = day.isoformat()
    variables = {"treeId": tree, "filter": spec, "first": 5000}
    data = await run_operation(load_operation(__name__, "tree_tasks.graphql"), variables, caller.principal, settings)
    return [task_row(task) for task in data["treeTasks"]]


@C3_ROUTES.route("job", "GET", "/task/:treeid/count")
async def count_tasks(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, int]:
    """This month's tasks by status."""
    variables = {"treeId": tree_id(request), "since": None, "until": None}
    data = await run_operation(
        load_operation(__name__, "tree_task_counts.graphql"), variables, caller.principal, settings
    )
    return {row["status"]: row["count"] for row in data["treeTaskCounts"]}


@C3_ROUTES.route("job", "GET", "/task/:treeid/total_count")
async def total_count(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, int]:
    """Tasks by status between time_start and time_end."""
    tree = tree_id(request)
    since, until = date_param(request, "time_start"), date_param(request, "time_end")
    if since is None or until is None:
        raise fail("time_start" if since is None else "time_end", "is required (0000-00-00)")
    variables = {"treeId": tree, "since": since.isoformat(), "until": until.isoformat()}
    data = await run_operation(
        load_operation(__name__, "tree_task_counts.graphql"), variables, caller.principal, settings
    )
    return {row["status"]: row["count"] for row in data["treeTaskCounts"]}


@C3_ROUTES.route("job", "GET", "/task/:treeid/:uuid")
async def get_task(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One task; a uuid this node never ran reads as status `norun` (upstream does the same)."""
    variables = {"treeId": tree_id(request), "uuid": text(request, "uuid", required=True, pattern=ALNUM)}
    data = await run_operation(load_operation(__name__, "tree_task.graphql"), variables, caller.principal, settings)
    task = data["treeTask"]
    if task is None:
        return {"status": "norun"}
    row = task_row(task)
    row.update(mutex="", pid=task["taskId"])
    return row


async def _start(caller: C3Caller, settings: Settings, spec: dict[str, Any]) -> C3Reply:
    document = load_operation(__name__, "start_tree_job.graphql")
    payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["startTreeJob"]
    raise_user_errors(payload)
    uuid = payload["treeTask"]["uuid"]
    if not payload["created"]:
        return C3Reply(info="This task has been successfully created", uuid=uuid)
    return C3Reply(uuid=uuid, data=1)


@C3_ROUTES.route("job", "POST", "/task/:treeid/job")
async def start_by_uuid(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Start a job by its uuid with `variable` {k: v}."""
    spec = {
        "treeId": tree_id(request),
        "jobUuid": text(request, "jobuuid", required=True, pattern=ALNUM),
        "variables": mapping(request, "variable"),
    }
    return await _start(caller, settings, spec)


@C3_ROUTES.route("job", "POST", "/task/:treeid/job/byname")
async def start_by_name(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Start a job by name; a repeated client `uuid` starts nothing and says so."""
    name = text(request, "jobname", required=True, max_length=256)
    if "'" in name:
        raise fail("jobname", "must not contain quotes")
    spec = {
        "treeId": tree_id(request),
        "jobName": name,
        "uuid": text(request, "uuid") or None,
        "variables": mapping(request, "variable"),
    }
    return await _start(caller, settings, spec)


@C3_ROUTES.route("job", "POST", "/task/:treeid/redo")
async def redo(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Run a task's job again as a new task."""
    spec = {"treeId": tree_id(request), "taskUuid": text(request, "taskuuid", required=True, pattern=ALNUM)}
    payload = (
        await run_operation(
            load_operation(__name__, "redo_tree_task.graphql"), {"input": spec}, caller.principal, settings
        )
    )["redoTreeTask"]
    raise_user_errors(payload)
    return C3Reply(uuid=payload["treeTask"]["uuid"], data=1)


async def _plugin(request: C3Request, caller: C3Caller, settings: Settings, plugin: str) -> dict[str, Any]:
    tree = tree_id(request)
    name = text(request, "name", required=True, max_length=256)
    raw = {key: value for key, value in request.params.items() if key not in ("treeid", "name", "variable")}
    step = step_input({**raw, "plugin_type": plugin}, "step")
    spec = {"treeId": tree, "name": name, "step": step, "variables": mapping(request, "variable")}
    document = load_operation(__name__, "run_tree_plugin.graphql")
    payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["runTreePlugin"]
    raise_user_errors(payload)
    task = payload["treeTask"]
    return {"slave": "opsgraph", "uuid": task["uuid"], "loguuid": f"{task['uuid']}{task['jobUuid']}{plugin}"}


@C3_ROUTES.route("job", "POST", "/task/:treeid/plugin_cmd")
async def plugin_cmd(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """Run one command step as a task."""
    choice(request, "node_type", ("buildin", "builtin", "group"), required=True)
    return await _plugin(request, caller, settings, "cmd")


@C3_ROUTES.route("job", "POST", "/task/:treeid/plugin_scp")
async def plugin_scp(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """Run one file-sync step as a task."""
    return await _plugin(request, caller, settings, "scp")


@C3_ROUTES.route("job", "POST", "/task/:treeid/plugin_approval")
async def plugin_approval(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """Run one approval step as a task."""
    return await _plugin(request, caller, settings, "approval")


@C3_ROUTES.route("job", "GET", "/task/:treeid/authorization/:group/:jobname")
async def authorization(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """1 when the job's `_authorization_` variable is "true" or names `group`, else 0."""
    tree = tree_id(request)
    group, name = text(request, "group", required=True), text(request, "jobname", required=True)
    variables = {"treeId": tree, "name": name}
    data = await run_operation(
        load_operation(__name__, "tree_job_authorization.graphql"), variables, caller.principal, settings
    )
    job = data["treeJob"] or {"variables": []}
    values = {v["value"] for v in job["variables"] if v["name"] == "_authorization_"}
    return 1 if values & {"true", group} else 0
