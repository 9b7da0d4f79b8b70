"""`/crontab/:treeid`: schedules of the node's jobs (our Crons; created paused, as upstream's code)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import ALNUM, choice, required_int, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.compat_rest.openc3.job.nodes import filtered
from opsgraph.core.errors import NotFound
from opsgraph.core.settings import Settings


def crontab_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "jobuuid": row["jobUuid"],
        "cron": row["cron"],
        "mutex": row["mutex"],
        "status": row["status"],
        "create_user": row["createdBy"],
        "create_time": c3_time(row["createdAt"]),
        "edit_user": row["editedBy"],
        "edit_time": c3_time(row["updatedAt"]),
    }


async def _rows(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    data = await run_operation(
        load_operation(__name__, "tree_crontabs.graphql"), {"treeId": tree_id(request)}, caller.principal, settings
    )
    return [crontab_row(row) for row in data["treeCrontabs"]]


@C3_ROUTES.route("job", "GET", "/crontab/:treeid")
async def list_crontabs(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The node's crontabs, newest first."""
    rows = await _rows(request, caller, settings)
    return filtered(request, rows, ("create_user", "edit_user"), ("create_time", "edit_time"))


@C3_ROUTES.route("job", "GET", "/crontab/:treeid/count")
async def count_crontabs(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, int]:
    """Crontabs by status."""
    counts = Counter(row["status"] for row in await _rows(request, caller, settings))
    return {"available": counts["available"], "unavailable": counts["unavailable"]}


@C3_ROUTES.route("job", "GET", "/crontab/:treeid/:crontabid")
async def get_crontab(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """One crontab."""
    wanted = required_int(request, "crontabid")
    found = next((row for row in await _rows(request, caller, settings) if row["id"] == wanted), None)
    if found is None:
        raise NotFound(f"tree node {tree_id(request)} has no crontab {wanted}", field="crontabid")
    return found


async def _save(request: C3Request, caller: C3Caller, settings: Settings, crontab: int | None) -> int:
    spec: dict[str, Any] = {
        "treeId": tree_id(request),
        "name": text(request, "name", required=True, max_length=256),
        "jobUuid": text(request, "jobuuid", required=True, pattern=ALNUM),
        "cron": text(request, "cron", required=True, max_length=128),
        "mutex": text(request, "mutex", max_length=128),
        "status": choice(request, "status", ("available", "unavailable")),
        "id": crontab,
    }
    document = load_operation(__name__, "save_tree_crontab.graphql")
    payload = (await run_operation(document, {"input": spec}, caller.principal, settings))["saveTreeCrontab"]
    raise_user_errors(payload)
    return int(payload["id"])


@C3_ROUTES.route("job", "POST", "/crontab/:treeid")
async def create_crontab(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """A crontab (`name`, `jobuuid`, 5-field `cron`, `mutex`); it starts paused."""
    return await _save(request, caller, settings, None)


@C3_ROUTES.route("job", "POST", "/crontab/:treeid/:crontabid")
async def update_crontab(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Replace a crontab's name, job, schedule and mutex."""
    await _save(request, caller, settings, required_int(request, "crontabid"))
    return 1


@C3_ROUTES.route("job", "POST", "/crontab/:treeid/:crontabid/status")
async def set_status(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Start (available) or pause (unavailable) a crontab."""
    variables = {
        "treeId": tree_id(request),
        "id": required_int(request, "crontabid"),
        "status": choice(request, "status", ("available", "unavailable"), required=True),
    }
    document = load_operation(__name__, "set_tree_crontab_status.graphql")
    payload = (await run_operation(document, variables, caller.principal, settings))["setTreeCrontabStatus"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "DELETE", "/crontab/:treeid/:crontabid")
async def delete_crontab(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete a crontab."""
    variables = {"treeId": tree_id(request), "id": required_int(request, "crontabid")}
    document = load_operation(__name__, "delete_tree_crontab.graphql")
    payload = (await run_operation(document, variables, caller.principal, settings))["deleteTreeCrontab"]
    raise_user_errors(payload)
    return 1
