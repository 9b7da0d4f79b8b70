"""bk `sops` periodic tasks: create_periodic_task, get_periodic_task_info, get_periodic_task_list,
set_periodic_task_enabled, modify_cron_for_periodic_task, modify_constants_for_periodic_task.

As documented: `cron` is a dict of minute / hour / day_of_week / day_of_month / month_of_year, each
`*` when absent, answered as `"*/5 * * * * (m/h/d/dM/MY)"`; a new periodic task is disabled (the
list example shows `enabled: false`); set_periodic_task_enabled without `enabled` disables;
`last_run_at` is "" before the first run; modify_constants answers with every constant. Schedules
run in UTC. The two paths the doc leaves blank are served where their names say.

Example (bkapi-component-open):
    client.sops.create_periodic_task(data={"bk_biz_id": 2, "template_id": 7, "name": "nightly",
                                           "cron": {"minute": "0", "hour": "2"}})
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.common import refuse_missing
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.sops.common import (
    POST,
    business_id,
    json_object,
    mutate,
    positive_id,
    sops_route,
    sops_time,
    string_list,
)
from opsgraph.compat_rest.bk.sops.templates import template_source
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings


def _summary(periodic: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": periodic["bkPeriodicTaskId"],
        "name": periodic["name"],
        "template_id": str(periodic["bkTemplateId"]),
        "creator": periodic["createdBy"],
        "cron": periodic["cronText"],
        "enabled": periodic["enabled"],
        "last_run_at": sops_time(periodic["lastRunAt"], offset=False),
        "total_run_count": periodic["totalRunCount"],
    }


def _detail(periodic: dict[str, Any]) -> dict[str, Any]:
    return {**_summary(periodic), "form": periodic["form"], "pipeline_tree": periodic["pipelineTree"]}


def _cron(params: Params) -> dict[str, Any]:
    cron = params.get("cron")
    if isinstance(cron, str) and cron.lstrip().startswith("{"):
        cron = params.get_dict("cron")
    if cron is None or not isinstance(cron, dict | str):
        raise ValidationFailed("cron must be an object {minute, hour, day_of_week, …}", field="cron")
    if isinstance(cron, dict):
        # The doc's example wraps "month_of_year" across a line ("mo\nnth_of_year"): read it back.
        cron = {"".join(str(key).split()): value for key, value in cron.items()}
    return {"cron": cron}


async def _periodic(params: Params, principal: Principal, settings: Settings) -> tuple[int, dict[str, Any]]:
    biz = business_id(params)
    number = positive_id(params, "task_id", "PERIODIC_TASK_NOT_FOUND")
    assert number is not None
    variables = {"id": encode_global_id("PeriodicTask", number)}
    periodic = (await run_operation(load_operation(__name__, "periodic_task.graphql"), variables, principal, settings))[
        "periodicTask"
    ]
    if periodic is None or periodic["bkBizId"] != biz:
        raise refuse_missing(principal, biz, f"task({number}) does not exist", "PERIODIC_TASK_NOT_FOUND")
    return number, periodic


@sops_route("create_periodic_task", methods=POST, summary="A periodic task of a flow template (disabled)")
async def create_periodic_task(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    template = positive_id(params, "template_id", "TEMPLATE_NOT_FOUND")
    assert template is not None
    template_source(params)  # checked; the template itself says whether it is common
    fields = {
        "businessId": encode_global_id("Business", biz),
        "pipelineTemplateId": encode_global_id("PipelineTemplate", template),
        "name": params.get_str("name"),
        **_cron(params),
        "constants": json_object(params, "constants"),
        "excludeTaskNodesId": string_list(params, "exclude_task_nodes_id"),
    }
    payload = await mutate(
        "create_periodic_task.graphql", __name__, "createPeriodicTask", {"input": fields}, principal, settings
    )
    return _detail(payload["periodicTask"])


@sops_route("get_periodic_task_info", summary="One periodic task with its form and tree")
async def get_periodic_task_info(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    _, periodic = await _periodic(params, principal, settings)
    return _detail(periodic)


@sops_route("get_periodic_task_list", summary="Every periodic task of a business")
async def get_periodic_task_list(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    biz = business_id(params)
    document = load_operation(__name__, "periodic_tasks.graphql")
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        variables = {"businessId": encode_global_id("Business", biz), "first": settings.max_page_size, "after": after}
        page = (await run_operation(document, variables, principal, settings))["periodicTasks"]
        found += [_summary(p) for p in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


@sops_route("set_periodic_task_enabled", methods=POST, summary="Enable or (by default) disable a periodic task")
async def set_periodic_task_enabled(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    number, _ = await _periodic(params, principal, settings)
    enabled = params.get_bool("enabled", False, required=False)  # omitted: disabled, as documented
    variables = {"input": {"periodicTaskId": encode_global_id("PeriodicTask", number), "enabled": enabled}}
    payload = await mutate(
        "set_periodic_task_enabled.graphql", __name__, "setPeriodicTaskEnabled", variables, principal, settings
    )
    return {"enabled": payload["periodicTask"]["enabled"]}


@sops_route("modify_cron_for_periodic_task", methods=POST, summary="Change a periodic task's schedule")
async def modify_cron_for_periodic_task(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    number, _ = await _periodic(params, principal, settings)
    cron = _cron(params) if params.has("cron") else {"cron": {}}  # bk-sops: an absent cron is every minute
    variables = {"input": {"periodicTaskId": encode_global_id("PeriodicTask", number), **cron}}
    payload = await mutate(
        "update_periodic_task.graphql", __name__, "updatePeriodicTask", variables, principal, settings
    )
    return {"cron": payload["periodicTask"]["cronText"]}


@sops_route("modify_constants_for_periodic_task", methods=POST, summary="Change a periodic task's constants")
async def modify_constants_for_periodic_task(
    params: Params, principal: Principal, settings: Settings
) -> dict[str, Any]:
    number, _ = await _periodic(params, principal, settings)
    constants = json_object(params, "constants")
    variables = {"input": {"periodicTaskId": encode_global_id("PeriodicTask", number), "constants": constants}}
    payload = await mutate(
        "update_periodic_task.graphql", __name__, "updatePeriodicTask", variables, principal, settings
    )
    result: dict[str, Any] = (payload["periodicTask"]["pipelineTree"] or {}).get("constants") or {}
    return result
