"""`/subtask/:treeid`: a task's steps and the controls on them; `/slave/…/killtask` stops a task."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import ALNUM, choice, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings


def subtask_row(subtask: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": subtask["stepId"],
        "uuid": subtask["uuid"],
        "subtask_type": subtask["subtaskType"],
        "name": subtask["name"],
        "nodecount": subtask["nodecount"],
        "starttime": c3_time(subtask["starttime"]),
        "finishtime": c3_time(subtask["finishtime"]),
        "runtime": subtask["runtime"],
        "status": subtask["status"],
        "pause": subtask["pause"],
    }


async def _subtasks(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    variables = {"treeId": tree_id(request), "uuid": text(request, "taskuuid", required=True, pattern=ALNUM)}
    data = await run_operation(load_operation(__name__, "tree_task.graphql"), variables, caller.principal, settings)
    if data["treeTask"] is None:
        raise NotFound(f"tree node {variables['treeId']} has no task {variables['uuid']}", field="taskuuid")
    return [subtask_row(s) for s in data["treeTask"]["subtasks"]]


@C3_ROUTES.route("job", "GET", "/subtask/:treeid/:taskuuid")
async def list_subtasks(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The task's steps, in run order."""
    return await _subtasks(request, caller, settings)


@C3_ROUTES.route("job", "GET", "/subtask/:treeid/:taskuuid/:subtaskuuid")
async def get_subtask(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One step of the task."""
    wanted = text(request, "subtaskuuid", required=True, pattern=ALNUM)
    found = next((s for s in await _subtasks(request, caller, settings) if s["uuid"] == wanted), None)
    if found is None:
        raise NotFound("nofind: the task has no such subtask", field="subtaskuuid")
    return found


async def _control(request: C3Request, caller: C3Caller, settings: Settings, *, put: bool) -> int:
    allowed = ("next", "running") if put else ("next", "fail", "running", "ignore")
    spec = {
        "treeId": tree_id(request),
        "taskUuid": text(request, "taskuuid", required=True, pattern=ALNUM),
        "subtaskUuid": text(request, "subtaskuuid", required=True, pattern=ALNUM),
        "control": choice(request, "control", allowed, required=True),
        "put": put,
    }
    choice(request, "subtasktype", ("cmd", "scp", "approval"))
    document = load_operation(__name__, "control_tree_subtask.graphql")
    payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["controlTreeSubtask"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "POST", "/subtask/:treeid")
async def control(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Decide about a failed step: next, fail, running (retry) or ignore."""
    return await _control(request, caller, settings, put=False)


@C3_ROUTES.route("job", "PUT", "/subtask/:treeid")
async def control_put(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """next or running, with the control level only."""
    return await _control(request, caller, settings, put=True)


@C3_ROUTES.route("job", "DELETE", "/slave/:slavename/killtask/:uuid")
async def kill(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Stop a task (any slave name: every task runs here)."""
    spec = {"uuid": text(request, "uuid", required=True, pattern=ALNUM)}
    payload = (
        await run_operation(
            load_operation(__name__, "kill_tree_task.graphql"), {"input": spec}, caller.principal, settings
        )
    )["killTreeTask"]
    raise_user_errors(payload)
    return 1
