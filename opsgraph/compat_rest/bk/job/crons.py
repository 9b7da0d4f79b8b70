"""bk `job` crons: get_cron_list, save_cron (create or update) and update_cron_status.

As bk-job documents, a new cron is created paused (cron_status 2) and started with
update_cron_status(cron_status=1). Expressions arrive in Quartz form (or the Linux 5-field form)
and are stored in the 5-field form (quartz.py); get_cron_list reports them in Quartz form again.
Schedules run in UTC. OpsGraph does not record who last changed a cron (its audit log does), so
`last_modify_user` is the creator.

Example (bkapi-client-core):
    client.job.save_cron(data={"bk_biz_id": 2, "bk_job_id": 100, "cron_name": "nightly",
                               "cron_expression": "0 0 2 * * ?"})
    # data: {"cron_id": 7}; then update_cron_status(data={"bk_biz_id": 2, "cron_id": 7, "cron_status": 1})
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.common import bk_time, refuse_missing
from opsgraph.compat_rest.bk.job.common import (
    GET,
    bk_id,
    business_id,
    business_list,
    day_bound,
    job_route,
    offset_page,
    required_id,
    within,
)
from opsgraph.compat_rest.bk.job.quartz import to_cron, to_quartz
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

STARTED, PAUSED = 1, 2
_ENABLED = {STARTED: True, PAUSED: False}


@job_route("get_cron_list", methods=GET, summary="A business's crons, filtered and paged by offset")
async def get_cron_list(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    biz = business_id(params)
    cron_id = bk_id(params, "cron_id", "CRON_NOT_FOUND", required=False)
    status = None if cron_id is not None else _status(params, required=False)
    document = load_operation(__name__, "crons.graphql")
    variables = {"enabled": None if status is None else _ENABLED[status]}
    crons = await business_list(document, "crons", variables, biz, principal, settings)
    if cron_id is not None:
        # As documented, a cron_id makes every other filter moot.
        chosen = [c for c in crons if c["bkCronId"] == cron_id]
    else:
        name = params.get_str("cron_name", required=False)
        creator = params.get_str("creator", required=False)
        modifier = params.get_str("last_modify_user", required=False)
        created = day_bound(params, "create_time_start", end=False), day_bound(params, "create_time_end", end=True)
        modified = (
            day_bound(params, "last_modify_time_start", end=False),
            day_bound(params, "last_modify_time_end", end=True),
        )
        chosen = [
            c
            for c in crons
            if (not name or name in c["name"])  # a part of the name finds it, like bk-job's LIKE
            and (not creator or c["createdBy"] == creator)
            and (not modifier or c["createdBy"] == modifier)
            and within(c["createdAt"], *created)
            and within(c["updatedAt"], *modified)
        ]
    return [
        {
            "bk_biz_id": c["bkBizId"],
            "bk_job_id": c["bkJobId"],
            "job_name": c["template"]["name"],
            "cron_id": c["bkCronId"],
            "cron_name": c["name"],
            "cron_status": STARTED if c["enabled"] else PAUSED,
            "cron_expression": to_quartz(c["expression"]),
            "creator": c["createdBy"],
            "create_time": bk_time(c["createdAt"], offset=True),
            "last_modify_user": c["createdBy"],
            "last_modify_time": bk_time(c["updatedAt"], offset=True),
        }
        for c in offset_page(chosen, params)
    ]


@job_route("save_cron", summary="Create a cron (paused) or, with cron_id, update one → {cron_id}")
async def save_cron(params: Params, principal: Principal, settings: Settings) -> dict[str, int]:
    biz = business_id(params)
    job_id = required_id(params, "bk_job_id", "TEMPLATE_NOT_FOUND")
    cron_id = bk_id(params, "cron_id", "CRON_NOT_FOUND", required=False)
    # Required to create; an update may leave the schedule as it is.
    expression = (
        params.get_str("cron_expression") if cron_id is None else params.get_str("cron_expression", required=False)
    )
    fields: dict[str, Any] = {"jobTemplateId": encode_global_id("JobTemplate", job_id)}
    if expression is not None:
        fields["expression"] = to_cron(expression)
    if cron_id is None:
        fields |= {"businessId": encode_global_id("Business", biz), "name": params.get_str("cron_name")}
        return {"cron_id": await _write("createCron", "create_cron.graphql", fields, principal, settings)}
    await _check_cron(cron_id, biz, principal, settings)
    if params.has("cron_name"):
        fields["name"] = params.get_str("cron_name")
    fields["cronId"] = encode_global_id("Cron", cron_id)
    return {"cron_id": await _write("updateCron", "update_cron.graphql", fields, principal, settings)}


@job_route("update_cron_status", summary="Start (cron_status 1) or pause (2) a cron → {cron_id}")
async def update_cron_status(params: Params, principal: Principal, settings: Settings) -> dict[str, int]:
    biz = business_id(params)
    cron_id = required_id(params, "cron_id", "CRON_NOT_FOUND")
    status = _status(params, required=True)
    assert status is not None
    await _check_cron(cron_id, biz, principal, settings)
    fields = {"cronId": encode_global_id("Cron", cron_id), "enabled": _ENABLED[status]}
    return {"cron_id": await _write("setCronEnabled", "set_cron_enabled.graphql", fields, principal, settings)}


def _status(params: Params, *, required: bool) -> int | None:
    status = params.get_int("cron_status") if required else params.get_int("cron_status", required=False)
    if status is not None and status not in _ENABLED:
        raise ValidationFailed(f"cron_status must be 1 (start) or 2 (pause), got {status}", field="cron_status")
    return status


async def _check_cron(cron_id: int, biz: int, principal: Principal, settings: Settings) -> None:
    document = load_operation(__name__, "cron.graphql")
    cron = (await run_operation(document, {"id": encode_global_id("Cron", cron_id)}, principal, settings))["cron"]
    if cron is None or cron["bkBizId"] != biz:
        raise refuse_missing(principal, biz, f"cron {cron_id} does not exist in business {biz}", "CRON_NOT_FOUND")


async def _write(mutation: str, document: str, fields: dict[str, Any], principal: Principal, settings: Settings) -> int:
    data = await run_operation(load_operation(__name__, document), {"input": fields}, principal, settings)
    raise_user_errors(data[mutation])
    cron_id: int = data[mutation]["cron"]["bkCronId"]
    return cron_id
