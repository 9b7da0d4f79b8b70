"""bk `sops` task writes: create_task, start_task, operate_task, node_callback (and operate_node and
create_and_start_task, which the published client declares beside the 17), and query_task_count.

As upstream: create_task answers with the run's tree, whose node ids differ from the template's;
start_task (and operate_task start) answer before the run starts; an operation whose precondition
fails is refused with 3545000 and bamboo's message ("task already started", "… state is not
FAILED, actual RUNNING").

Example (bkapi-component-open):
    task = client.sops.create_task(data={"bk_biz_id": 2, "template_id": 7, "name": "deploy"})["data"]
    client.sops.start_task(data={"bk_biz_id": 2, "task_id": task["task_id"]})
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from opsgraph.compat_rest.bk.common import refuse_missing
from opsgraph.compat_rest.bk.envelope import BkReply
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.sops.common import (
    ANY,
    POST,
    business_id,
    json_object,
    mutate,
    positive_id,
    sops_route,
    string_list,
    task_global_id,
    task_id,
)
from opsgraph.compat_rest.bk.sops.templates import template_source
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings
from opsgraph.executors.callback_bodies import BK_SOPS
from opsgraph.executors.pipeline.context import task_url
from opsgraph.executors.pipeline.operations import NODE_ACTIONS, TASK_ACTIONS, InvalidOperation

# bk-sops' own check of create_task's callback_url (gcloud/apigw/views/create_task.py).
CALLBACK_URL = re.compile(r"^https?://\w.+$")


async def checked_task(params: Params, principal: Principal, settings: Settings) -> tuple[int, int]:
    """(bk_biz_id, task_id) once the task is known to be a pipeline task of that business."""
    biz, task = business_id(params), task_id(params)
    data = await run_operation(
        load_operation(__name__, "run_business.graphql"), {"bkTaskId": task}, principal, settings
    )
    run = data["pipelineRun"]
    if run is None or run["task"]["bkBizId"] != biz:
        raise refuse_missing(principal, biz, f"task[id={task}] of business[{biz}] does not exist", "TASK_NOT_FOUND")
    return biz, task


@sops_route("create_task", methods=POST, summary="A task (run) of a flow template, not started yet")
async def create_task(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    template = positive_id(params, "template_id", "TEMPLATE_NOT_FOUND")
    assert template is not None
    callback = params.get_str("callback_url", required=False)
    if callback and not CALLBACK_URL.match(callback):
        raise ValidationFailed(f"callback_url format error, must match {CALLBACK_URL.pattern}", field="callback_url")
    source = template_source(params)
    fields: dict[str, Any] = {
        "businessId": encode_global_id("Business", biz),
        "pipelineTemplateId": encode_global_id("PipelineTemplate", template),
        "name": params.get_str("name"),
        "constants": json_object(params, "constants"),
        "excludeTaskNodesId": string_list(params, "exclude_task_nodes_id"),
        "flowType": params.get_str("flow_type", "common", required=False),
        "callbackUrl": callback or None,
        "callbackProtocol": BK_SOPS if callback else None,
        "templateSource": source,
    }
    payload = await mutate(
        "create_task.graphql", __name__, "createPipelineTask", {"input": fields}, principal, settings
    )
    number = payload["task"]["bkTaskId"]
    return {
        "task_id": number,
        "task_url": task_url(settings.public_url, biz, number),
        "pipeline_tree": payload["pipeline"]["pipelineTree"],
    }


@sops_route("create_and_start_task", methods=POST, summary="create_task, then start it (answers before it runs)")
async def create_and_start_task(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    created = await create_task(params, principal, settings)
    variables = {"input": {"taskId": task_global_id(created["task_id"])}}
    await mutate("start_task.graphql", __name__, "startPipelineTask", variables, principal, settings)
    return created


@sops_route("start_task", methods=POST, summary="Start a task; the answer comes before the run starts")
async def start_task(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz, task = await checked_task(params, principal, settings)
    variables = {"input": {"taskId": task_global_id(task)}}
    await mutate("start_task.graphql", __name__, "startPipelineTask", variables, principal, settings)
    return {"task_url": task_url(settings.public_url, biz, task)}


@sops_route("operate_task", methods=POST, summary="start | pause | resume | revoke a task")
async def operate_task(params: Params, principal: Principal, settings: Settings) -> BkReply:
    action = params.get_str("action")
    if action not in TASK_ACTIONS:
        raise InvalidOperation("task command is invalid")
    _, task = await checked_task(params, principal, settings)
    if action == "start":
        variables = {"input": {"taskId": task_global_id(task)}}
        await mutate("start_task.graphql", __name__, "startPipelineTask", variables, principal, settings)
    else:
        variables = {"input": {"taskId": task_global_id(task), "action": action.upper()}}
        await mutate("operate_task.graphql", __name__, "operatePipelineTask", variables, principal, settings)
    return BkReply(data={}, message="success")


async def _operate_node(params: Params, principal: Principal, settings: Settings, fields: dict[str, Any]) -> None:
    _, task = await checked_task(params, principal, settings)
    node = params.get_str("node_id")
    variables = {"input": {"taskId": task_global_id(task), "nodeId": node, **fields}}
    await mutate("operate_node.graphql", __name__, "operatePipelineNode", variables, principal, settings)


@sops_route("node_callback", methods=POST, summary="Call back a node waiting for it (pause_node)")
async def node_callback(params: Params, principal: Principal, settings: Settings) -> BkReply:
    # The doc's example sends `callback_data`; bk-sops' node callback endpoint also reads `data`.
    data = params.get("callback_data", params.get("data"))
    fields = {"action": "CALLBACK", "callbackData": data, "version": params.get_str("version", required=False)}
    await _operate_node(params, principal, settings, fields)
    return BkReply(data=None, message="success")


@sops_route("operate_node", methods=POST, summary="retry | skip | skip_exg | skip_cpg | callback | … a node")
async def operate_node(params: Params, principal: Principal, settings: Settings) -> BkReply:
    action = params.get_str("action")
    if action not in NODE_ACTIONS:
        raise InvalidOperation("task command is invalid")
    data = json_object(params, "data")
    inputs = params.get_dict("inputs", required=False)
    fields: dict[str, Any] = {
        "action": action.upper(),
        "inputs": inputs or data.get("inputs") or None,
        "flowId": params.get_str("flow_id", required=False) or data.get("flow_id") or None,
        "flowIds": data.get("flow_ids"),
        "convergeGatewayId": data.get("converge_gateway_id"),
        "callbackData": data.get("data", data) if action == "callback" else None,
        "version": data.get("version"),
    }
    await _operate_node(params, principal, settings, fields)
    return BkReply(data={}, message="success")


# query_task_count conditions → filter fields. The Markdown of the doc ate double underscores
# (`create_timegte`, and once `start_timeIte`): every spelling is accepted.
_CONDITIONS = {
    "template_id": "bkTemplateId",
    "name": "name",
    "creator": "creator",
    "executor": "executor",
    "create_time__gte": "createdAfter",
    "create_time__lte": "createdBefore",
    "start_time__gte": "startedAfter",
    "start_time__lte": "startedBefore",
    "is_started": "isStarted",
    "is_finished": "isFinished",
}
_SPELLINGS = {
    **{key: key for key in _CONDITIONS},
    **{key.replace("__", "_"): key for key in _CONDITIONS if "__" in key},
    **{key.replace("__", ""): key for key in _CONDITIONS if "__" in key},
    "start_timeIte": "start_time__lte",
    "create_timeIte": "create_time__lte",
}


@sops_route("query_task_count", methods=ANY, summary="Task counts grouped by status, category, flow_type …")
async def query_task_count(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz = business_id(params)
    group_by = params.get_str("group_by")
    conditions = json_object(params, "conditions")
    spec: dict[str, Any] = {}
    for raw, value in conditions.items():
        key = _SPELLINGS.get(raw)
        if key is None:
            raise ValidationFailed(f"conditions has no field {raw!r}", field="conditions")
        spec[_CONDITIONS[key]] = _condition(key, value)
    variables = {"businessId": encode_global_id("Business", biz), "groupBy": group_by, "filter": spec}
    data = await run_operation(load_operation(__name__, "task_counts.graphql"), variables, principal, settings)
    counts = data["pipelineTaskCounts"]
    return {"total": counts["total"], "groups": counts["groups"]}


def _condition(key: str, value: Any) -> Any:
    inner = Params({key: value}, prefix="conditions.")
    if key.endswith(("__gte", "__lte")):
        text = inner.get_str(key).strip()
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, pattern).replace(tzinfo=UTC).isoformat()
            except ValueError:
                continue
        try:
            return datetime.fromisoformat(text).isoformat()
        except ValueError as exc:
            raise ValidationFailed(f"conditions.{key} must be a time YYYY-MM-DD HH:MM:SS", field="conditions") from exc
    if key in ("is_started", "is_finished"):
        return inner.get_bool(key)
    if key == "template_id":
        return inner.get_int(key)
    return inner.get_str(key)
