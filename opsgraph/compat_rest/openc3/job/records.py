"""Smaller `/api/job` resources: notify subscribers, the environment settings, the release check,
self-monitoring, and the monitoring-triggered start upstream marks "ignore"."""

from __future__ import annotations

from typing import Any

from starlette.responses import PlainTextResponse, Response

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import fail, required_int, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time, metrics, releasable_text
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.settings import Settings

RELEASE_IDS = r"^\d[\d,]*$"
COMMON = "opsgraph.compat_rest.openc3"


@C3_ROUTES.route("job", "GET", "/notify/:treeid")
async def list_notify(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Who is notified about the node's tasks."""
    data = await run_operation(
        load_operation(__name__, "tree_notify.graphql"), {"treeId": tree_id(request)}, caller.principal, settings
    )
    return [
        {"id": r["id"], "user": r["user"], "create_user": r["createdBy"], "create_time": c3_time(r["createdAt"])}
        for r in data["treeNotifySubscribers"]
    ]


@C3_ROUTES.route("job", "POST", "/notify/:treeid")
async def add_notify(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Notify `user` (a name or mail address) about the node's tasks."""
    variables = {"treeId": tree_id(request), "user": text(request, "user", required=True, max_length=254)}
    payload = (
        await run_operation(load_operation(__name__, "add_tree_notify.graphql"), variables, caller.principal, settings)
    )["addTreeNotifySubscriber"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "DELETE", "/notify/:treeid/:id")
async def remove_notify(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Stop notifying one subscriber."""
    variables = {"treeId": tree_id(request), "id": required_int(request, "id")}
    payload = (
        await run_operation(
            load_operation(__name__, "remove_tree_notify.graphql"), variables, caller.principal, settings
        )
    )["removeTreeNotifySubscriber"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "GET", "/environment")
async def environment(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The notification switches and templates."""
    data = await run_operation(
        load_operation(COMMON, "settings.graphql"), {"scope": "environment"}, caller.principal, settings
    )
    return dict(data["platformSettings"]["values"])


@C3_ROUTES.route("job", "POST", "/environment")
async def set_environment(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Change switches and templates (superusers)."""
    values = request.body_params()
    if not values:
        raise fail("body", "send the settings to change as a JSON object")
    variables = {"scope": "environment", "values": values}
    payload = (
        await run_operation(load_operation(COMMON, "set_settings.graphql"), variables, caller.principal, settings)
    )["setPlatformSettings"]
    raise_user_errors(payload)
    return 1


@C3_ROUTES.route("job", "GET", "/release", public=True, answers="text")
async def release(request: C3Request, caller: C3Caller, settings: Settings) -> Response:
    """`true` when no enabled crontab runs a job of the nodes in `id` (plain text, as upstream)."""
    import re

    ids = text(request, "id", required=True, pattern=re.compile(RELEASE_IDS), max_length=8192)
    return PlainTextResponse(await releasable_text(ids, settings))


@C3_ROUTES.route("job", "GET", "/monitor/metrics/mysql")
async def database_metrics(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The database behind the job module (a round trip proves it answers)."""
    await run_operation(load_operation(COMMON, "health.graphql"), {}, caller.principal, settings)
    return {**metrics(caller.principal, settings, "job"), "up": 1}


@C3_ROUTES.route("job", "GET", "/monitor/metrics/app")
async def app_metrics(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The job module itself."""
    return {**metrics(caller.principal, settings, "job"), "up": 1}


@C3_ROUTES.route("job", "GET", "/task/:treeid/job/bymon")
async def start_by_monitor(request: C3Request, caller: C3Caller, settings: Settings) -> Any:
    """Upstream's monitoring-triggered start (the doc says "ignore"): its monitor ids do not exist
    here; alarms start jobs through OpsGraph's own monitoring."""
    tree_id(request)
    text(request, "jobname", required=True)
    raise ValidationFailed("starts by monitor id are not served here: start the job by name (job/byname)")
