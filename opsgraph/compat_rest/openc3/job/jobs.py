"""`/jobs/:treeid`: OpenC3 jobs (JobTemplates with a uuid and OpenC3 steps)."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.checks import ALNUM, date_param, fail, integer, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings

STEP_KEYS = {
    "pluginType": "plugin_type",
    "name": "name",
    "timeout": "timeout",
    "pause": "pause",
    "user": "user",
    "nodeType": "node_type",
    "nodeCont": "node_cont",
    "scriptsType": "scripts_type",
    "scriptsCont": "scripts_cont",
    "scriptsArgv": "scripts_argv",
    "srcType": "src_type",
    "src": "src",
    "dstType": "dst_type",
    "dst": "dst",
    "sp": "sp",
    "dp": "dp",
    "chown": "chown",
    "chmod": "chmod",
    "scpDelete": "scp_delete",
    "cont": "cont",
    "approver": "approver",
    "deployenv": "deployenv",
    "action": "action",
    "batches": "batches",
    "everyone": "everyone",
}
INPUT_KEYS = {value: key for key, value in STEP_KEYS.items()}
FILTERS = ("name", "create_user", "edit_user")
DATES = ("create_time_start", "create_time_end", "edit_time_start", "edit_time_end")


def step_input(raw: Any, where: str) -> dict[str, Any]:
    """An OpenC3 step as GraphQL's TreeJobStepInput (text fields; the resolver checks them)."""
    if not isinstance(raw, dict):
        raise fail(where, "must be an object")
    shaped: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in INPUT_KEYS or value is None:
            continue  # upstream ignores what it does not store (uuid, id, …)
        if key == "timeout":
            if str(value).strip() == "":
                continue
            if isinstance(value, bool) or not str(value).isdigit() or int(str(value)) > 86400:
                raise fail(f"{where}.timeout", "must be seconds in 1..86400")
            shaped["timeout"] = int(str(value))
        elif isinstance(value, dict | list | bool):
            raise fail(f"{where}.{key}", "must be text")
        else:
            shaped[INPUT_KEYS[key]] = str(value)
    shaped.setdefault("pluginType", "")
    return shaped


def steps_input(request: C3Request) -> list[dict[str, Any]]:
    data = request.get("data")
    if data in (None, ""):
        raise fail("data", "is required (the job's steps)")
    if not isinstance(data, list) or not data:
        raise fail("data", "must be a non-empty list of steps")
    if len(data) > 100:
        raise fail("data", "has more than 100 steps")
    return [step_input(item, f"data[{index}]") for index, item in enumerate(data)]


def job_row(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": job["bkJobId"],
        "uuid": job["uuid"],
        "name": job["name"],
        "create_user": job["createdBy"],
        "create_time": c3_time(job["createdAt"]),
        "edit_user": job["editedBy"],
        "edit_time": c3_time(job["updatedAt"]),
    }


def step_row(step: dict[str, Any]) -> dict[str, Any]:
    return {STEP_KEYS[key]: value for key, value in step.items() if key in STEP_KEYS and value is not None} | {
        "uuid": step["uuid"]
    }


@C3_ROUTES.route("job", "GET", "/jobs/:treeid")
async def list_jobs(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The node's jobs, newest first."""
    tree = tree_id(request)
    spec: dict[str, Any] = {key: text(request, key) or None for key in FILTERS}
    spec.update({key: (value.isoformat() if (value := date_param(request, key)) else None) for key in DATES})
    variables = {"treeId": tree, "filter": {_camel(k): v for k, v in spec.items() if v is not None}}
    data = await run_operation(load_operation(__name__, "tree_jobs.graphql"), variables, caller.principal, settings)
    return [
        {
            **job_row(job),
            "stepcount": len(job["steps"]),
            "hasvariable": int(any(v["value"] == "" for v in job["variables"])),
        }
        for job in data["treeJobs"]
    ]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@C3_ROUTES.route("job", "GET", "/jobs/:treeid/count")
async def count_jobs(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, int]:
    """How many jobs the node has."""
    variables = {"treeId": tree_id(request), "filter": None}
    data = await run_operation(load_operation(__name__, "tree_jobs.graphql"), variables, caller.principal, settings)
    return {"permanent": len(data["treeJobs"])}


@C3_ROUTES.route("job", "GET", "/jobs/:treeid/:jobuuid")
async def get_job(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One job with its steps (`byname` and `?name=` look it up by name)."""
    tree = tree_id(request)
    uuid = text(request, "jobuuid", required=True, pattern=ALNUM)
    lookup: dict[str, Any] = {"treeId": tree, "uuid": uuid}
    if uuid == "byname":
        name = text(request, "name")
        if not name:
            return {}
        lookup = {"treeId": tree, "name": name}
    data = await run_operation(load_operation(__name__, "tree_job.graphql"), lookup, caller.principal, settings)
    job = data["treeJob"]
    if job is None:
        if uuid == "byname":
            return {}
        raise NotFound(f"tree node {tree} has no job {uuid}", field="jobuuid")
    return {**job_row(job), "mon_ids": "", "mon_status": 0, "data": [step_row(step) for step in job["steps"]]}


@C3_ROUTES.route("job", "POST", "/jobs/:treeid")
async def create_job(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """A job from `name` and `data` (its steps)."""
    tree = tree_id(request)
    name = text(request, "name", required=True, max_length=256)
    variables = {"input": {"treeId": tree, "name": name, "steps": steps_input(request)}}
    payload = (
        await run_operation(load_operation(__name__, "create_tree_job.graphql"), variables, caller.principal, settings)
    )["createTreeJob"]
    raise_user_errors(payload)
    return C3Reply(uuid=payload["treeJob"]["uuid"], data=1)


@C3_ROUTES.route("job", "POST", "/jobs/:treeid/:jobuuid")
async def update_job(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Replace a job's steps (and name)."""
    tree = tree_id(request)
    uuid = text(request, "jobuuid", required=True, pattern=ALNUM)
    variables = {
        "input": {"treeId": tree, "uuid": uuid, "name": text(request, "name") or None, "steps": steps_input(request)}
    }
    payload = (
        await run_operation(load_operation(__name__, "update_tree_job.graphql"), variables, caller.principal, settings)
    )["updateTreeJob"]
    raise_user_errors(payload)
    return C3Reply(uuid=payload["treeJob"]["uuid"], data=1)


async def _delete(caller: C3Caller, settings: Settings, spec: dict[str, Any]) -> int:
    variables = {"input": spec}
    payload = (
        await run_operation(load_operation(__name__, "delete_tree_job.graphql"), variables, caller.principal, settings)
    )["deleteTreeJob"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "DELETE", "/jobs/:treeid/:jobuuid")
async def delete_job(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete a job by uuid."""
    tree = tree_id(request)
    return await _delete(
        caller, settings, {"treeId": tree, "uuid": text(request, "jobuuid", required=True, pattern=ALNUM)}
    )


@C3_ROUTES.route("job", "DELETE", "/jobs/:treeid/:jobname/byname")
async def delete_job_by_name(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete a job by name."""
    tree = tree_id(request)
    return await _delete(caller, settings, {"treeId": tree, "name": text(request, "jobname", required=True)})


@C3_ROUTES.route("job", "POST", "/jobs/:treeid/copy/byname")
async def copy_job(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """Copy `fromname` (of `fromprojectid`) as `toname` (on `toprojectid`)."""
    tree = tree_id(request)
    spec = {
        "treeId": tree,
        "fromName": text(request, "fromname", required=True, max_length=256),
        "toName": text(request, "toname", required=True, max_length=256),
        "fromTreeId": integer(request, "fromprojectid"),
        "toTreeId": integer(request, "toprojectid"),
    }
    payload = (
        await run_operation(
            load_operation(__name__, "copy_tree_job.graphql"), {"input": spec}, caller.principal, settings
        )
    )["copyTreeJob"]
    raise_user_errors(payload)
    return C3Reply(uuid=payload["treeJob"]["uuid"])
