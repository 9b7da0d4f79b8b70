"""`/smallapplication`: light apps (a titled shortcut to one job). The doc lists them at
`GET /smallapplication`; upstream's code at `/smallapplication/bytreeid/:treeid`. Both answer."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import required_int, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings


def app_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "jobid": row["bkJobId"],
        "jobuuid": row["jobUuid"],
        "jobname": row["jobName"],
        "treeid": row["treeId"],
        "type": row["type"],
        "title": row["title"],
        "describe": row["describe"],
        "parameter": row["parameter"],
        "create_user": row["createdBy"],
        "create_time": c3_time(row["createdAt"]),
        "edit_user": row["editedBy"],
        "edit_time": c3_time(row["updatedAt"]),
    }


async def _apps(caller: C3Caller, settings: Settings, tree: int | None) -> list[dict[str, Any]]:
    document = load_operation(__name__, "small_applications.graphql")
    data = await run_operation(document, {"treeId": tree}, caller.principal, settings)
    return [app_row(row) for row in data["smallApplications"]]


@C3_ROUTES.route("job", "GET", "/smallapplication", corrected=("/smallapplication/bytreeid/:treeid",))
async def list_apps(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Light apps of the nodes the caller can see (or of `treeid`)."""
    return await _apps(caller, settings, tree_id(request) if request.get("treeid") is not None else None)


@C3_ROUTES.route("job", "GET", "/smallapplication/:id")
async def get_app(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One light app."""
    wanted = required_int(request, "id")
    found = next((row for row in await _apps(caller, settings, None) if row["id"] == wanted), None)
    if found is None:
        raise NotFound(f"no light app {wanted}", field="id")
    return found


async def _save(request: C3Request, caller: C3Caller, settings: Settings, app: int | None) -> int:
    spec = {
        "jobid": text(request, "jobid", required=True, max_length=64),
        "title": text(request, "title", required=True, max_length=256),
        "type": text(request, "type", max_length=64),
        "describe": text(request, "describe", max_length=1024),
        "parameter": text(request, "parameter", max_length=64 * 1024),
        "id": app,
    }
    document = load_operation(__name__, "save_small_application.graphql")
    payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["saveSmallApplication"]
    raise_user_errors(payload)
    return int(payload["id"])


@C3_ROUTES.route("job", "POST", "/smallapplication")
async def add_app(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """A light app for a job (`jobid`: its uuid or bkJobId)."""
    return await _save(request, caller, settings, None)


@C3_ROUTES.route("job", "POST", "/smallapplication/:id")
async def edit_app(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Edit a light app."""
    await _save(request, caller, settings, required_int(request, "id"))
    return 1


@C3_ROUTES.route("job", "DELETE", "/smallapplication/:id")
async def delete_app(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete a light app."""
    document = load_operation(__name__, "delete_small_application.graphql")
    payload = (await run_operation(document, {"id": required_int(request, "id")}, caller.principal, settings))[
        "deleteSmallApplication"
    ]
    raise_user_errors(payload)
    return 1
