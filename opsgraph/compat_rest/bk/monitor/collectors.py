"""bk `monitor` collectors: import/export of script and log collectors, and deploy_script_collector.

Deployment runs through the executor (a SCRIPT task over SSH); these endpoints wait for it (up to
common.DEPLOY_WAIT_SECONDS) to answer per host, as documented: deploy_script_collector's
`{success: [{ip, bk_cloud_id, message}], failed: [...]}` and import_log_collector's
`{successed (sic): {total, detail}, failed: {total, detail}}`, where an item succeeds when every
target host did. Envelopes follow each doc: `code: 200` for import_script_collector,
deploy_script_collector and export_log_collector, `code: "0"` for export_script_collector and
import_log_collector.
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.monitor.common import (
    GET,
    INT_200,
    POST,
    STRING_ZERO,
    host_outcomes,
    id_list,
    monitor_route,
    run,
    wait_for_task,
)
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import raise_user_errors
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import decode_global_id, encode_global_id
from opsgraph.core.settings import Settings


async def _export(params: Params, kind: str, principal: Principal, settings: Settings) -> Any:
    variables = {
        "businessId": encode_global_id("Business", params.get_int("bk_biz_id")),
        "kind": kind,
        "ids": id_list(params, "ids", required=False),
    }
    return (await run(__name__, "export_collectors.graphql", variables, principal, settings))["exportCollectors"]


@monitor_route("export_script_collector", methods=GET, code=STRING_ZERO, summary="Script collector configs")
async def export_script_collector(params: Params, principal: Principal, settings: Settings) -> Any:
    return await _export(params, "SCRIPT", principal, settings)


@monitor_route("export_log_collector", methods=GET, code=INT_200, summary="Log collector configs")
async def export_log_collector(params: Params, principal: Principal, settings: Settings) -> Any:
    return await _export(params, "LOG", principal, settings)


@monitor_route("import_script_collector", methods=POST, code=INT_200, summary="Import script collector configs")
async def import_script_collector(params: Params, principal: Principal, settings: Settings) -> Any:
    business = params.get_int("bk_biz_id", required=False)
    variables = {
        "input": {
            "collectorConfList": params.get_list("collector_conf_list"),
            "businessId": encode_global_id("Business", business) if business is not None else None,
        }
    }
    payload = (await run(__name__, "import_script_collectors.graphql", variables, principal, settings))[
        "importScriptCollectors"
    ]
    raise_user_errors(payload)
    return payload["result"]


def _targets(params: Params) -> list[dict[str, Any]]:
    items = params.get_list("target_conf")
    if not items:
        raise ValidationFailed("target_conf must name at least one host", field="target_conf")
    targets = []
    for index, item in enumerate(items):
        where = f"target_conf[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(f"{where} must be an object {{ip, bk_cloud_id, params}}", field=where)
        target = Params(item, prefix=f"{where}.")
        extra = target.get_dict("params", {}, required=False)
        targets.append(
            {"ip": target.get_str("ip").strip(), "bkCloudId": target.get_int("bk_cloud_id"), "params": extra}
        )
    return targets


@monitor_route("deploy_script_collector", methods=POST, code=INT_200, summary="Deploy a script collector to hosts")
async def deploy_script_collector(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    config_id = params.get_int("config_id")
    if not 0 < config_id < 2**31:
        raise ValidationFailed(f"script collector {config_id} does not exist", field="config_id")
    targets = _targets(params)
    variables = {"input": {"collectorId": encode_global_id("Collector", config_id), "targets": targets}}
    payload = (await run(__name__, "deploy_collector.graphql", variables, principal, settings))["deployCollector"]
    raise_user_errors(payload)
    failed = [dict(item) for item in payload["refused"] or []]
    success: list[dict[str, Any]] = []
    if payload["task"] is not None:
        task = await wait_for_task(payload["task"]["jobInstanceId"], principal, settings)
        outcomes = host_outcomes(task)
        refused = {(f["ip"], f["bk_cloud_id"]) for f in failed}
        for target in targets:
            if (target["ip"], target["bkCloudId"]) in refused:
                continue
            outcome = outcomes.get(f"{target['bkCloudId']}:{target['ip']}") or {
                "ok": False,
                "message": "the deployment is still running",
            }
            item = {"ip": target["ip"], "bk_cloud_id": target["bkCloudId"], "message": outcome["message"]}
            (success if outcome["ok"] else failed).append(item)
    return {"success": success, "failed": failed}


@monitor_route("import_log_collector", methods=POST, code=STRING_ZERO, summary="Import and deploy log collectors")
async def import_log_collector(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    business = params.get_int("bk_biz_id", required=False)
    variables = {
        "input": {
            "confList": params.get_list("conf_list"),
            "businessId": encode_global_id("Business", business) if business is not None else None,
        }
    }
    payload = (await run(__name__, "import_log_collectors.graphql", variables, principal, settings))[
        "importLogCollectors"
    ]
    raise_user_errors(payload)
    succeeded: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for item in payload["result"]:
        if "message" in item and item.get("collector_id") is None:
            failed.append({"origin_conf": item["origin_conf"], "message": item["message"]})
            continue
        problems = [f"{f['ip']}: {f['message']}" for f in item.get("failed") or []]
        if item.get("task_id"):
            task = await wait_for_task(decode_global_id(item["task_id"], "Task")[1], principal, settings)
            outcomes = host_outcomes(task)
            if task is None:
                problems.append("the deployment is still running")
            problems += [f"{key.split(':', 1)[1]}: {o['message']}" for key, o in outcomes.items() if not o["ok"]]
        entry = {"origin_conf": item["origin_conf"], "message": "; ".join(problems) or "success"}
        (failed if problems else succeeded).append(entry)
    return {
        "failed": {"total": len(failed), "detail": failed},
        "successed": {"total": len(succeeded), "detail": succeeded},
    }
