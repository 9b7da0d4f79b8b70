"""bk `sops` task reads: get_task_status, get_task_detail, get_task_node_detail.

As upstream shows them:
- the status tree lists only nodes that have started, keyed by the run's node ids, a subprocess's
  nodes nested in its `children`; a run that has not started is `{"state": "CREATED", …}`;
- derived states: a RUNNING pipeline (root or subprocess) with a FAILED child is FAILED, with a
  SUSPENDED child NODE_SUSPENDED; a pause node waiting for its callback is plain RUNNING;
- the root's `id` is the run's pipeline id, not the task id; its `name` is the task's name;
- `task_id` is documented as "a task or node id": a run node id answers that node's entry (a
  subprocess with its started nodes nested, CREATED when not reached), found as bk-sops finds a
  `subprocess_id` in the run's tree; the run is looked up by the node within the business named;
- times are "YYYY-MM-DD HH:MM:SS +0000" (UTC) in the status tree and the node detail, and without the
  offset in get_task_detail, as in the documented examples;
- get_task_node_detail's `outputs` are bk-sops' `_format_outputs`: with `component_code` (documented
  as required for the plugin's execution details), first every output that plugin declares (its
  display `name`, the value or "" when the node has not produced it, `preset: true`), then the
  node's other outputs (`name` = key, `preset: false`); an unknown code is refused. Without it, the
  node's outputs as they are: `[{key, value, preset: false}]`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from opsgraph.compat_rest.bk.common import refuse_missing
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.sops.common import business_id, elapsed, load_run, sops_route, sops_time
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings
from opsgraph.executors.pipeline.context import task_url
from opsgraph.executors.pipeline.plugins import PLUGINS, PRESET_OUTPUTS, load_plugins

# The shape of a run's node ids (bk-sops' node_uniqid): such a task_id names a node of a task.
NODE_ID = re.compile(r"n[0-9a-f]{31}")

CREATED_STATUS: dict[str, Any] = {
    "start_time": None,
    "state": "CREATED",
    "retry": 0,
    "skip": 0,
    "finish_time": None,
    "elapsed_time": 0,
    "children": {},
}


def _entry(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": node["nodeId"],
        "name": node["name"],
        "state": node["displayState"],
        "retry": node["retry"],
        "skip": node["skip"],
        "loop": node["loop"],
        "version": node["version"],
        "error_ignored": node["errorIgnored"],
        "error_ignorable": node["errorIgnored"],
        "start_time": sops_time(node["startedAt"]),
        "finish_time": sops_time(node["finishedAt"]),
        "elapsed_time": elapsed(node["startedAt"], node["finishedAt"]),
        "children": {},
    }


@sops_route("get_task_status", summary="The status tree of a task (nodes that have started), or of one of its nodes")
async def get_task_status(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    node_id = _node_id(params)
    if node_id is None:
        _, run = await load_run(params, principal, settings, "task_status.graphql", __name__)
    else:
        run = await _run_of_node(params, node_id, principal, settings)
    if not run["isStarted"] or run["state"] == "CREATED":
        return dict(CREATED_STATUS)
    task = run["task"]
    entries = {node["nodeId"]: _entry(node) for node in run["nodes"]}
    for node in run["nodes"]:
        parent = entries.get(node["parentId"] or "")
        if parent is not None:
            parent["children"][node["nodeId"]] = entries[node["nodeId"]]
    finished = run["state"] in ("FINISHED", "REVOKED")
    root = {
        "id": (run["pipelineTree"] or {}).get("id", ""),
        "name": task["name"],
        "state": run["displayState"],
        "retry": 0,
        "skip": False,
        "loop": 1,
        "version": "",
        "start_time": sops_time(task["startedAt"]),
        "finish_time": sops_time(task["finishedAt"]) if finished else "",
        "elapsed_time": elapsed(task["startedAt"], task["finishedAt"] if finished else None),
        "children": {n["nodeId"]: entries[n["nodeId"]] for n in run["nodes"] if not n["parentId"]},
    }
    # bk-sops looks the subprocess (or any node) up in the run's tree: one that has not run is CREATED.
    chosen = params.get_str("subprocess_id", required=False) or node_id
    if chosen:
        root = entries.get(chosen) or dict(CREATED_STATUS)
    if params.get_bool("with_ex_data", False, required=False) and root["state"] == "FAILED":
        failed = {n["nodeId"]: n["exData"] for n in run["nodes"] if n["state"] == "FAILED"}
        root["ex_data"] = {key: failed[key] for key in _subtree(root) if key in failed}
    return root


def _node_id(params: Params) -> str | None:
    """`task_id` is "a task or node id": a run node id ("n" + 31 hex digits) names a node, anything
    else is read as the task's number (and refused as a bad parameter when it is not one)."""
    raw = params.get("task_id")
    if isinstance(raw, str) and NODE_ID.fullmatch(raw.strip()):
        return raw.strip()
    return None


async def _run_of_node(params: Params, node_id: str, principal: Principal, settings: Settings) -> dict[str, Any]:
    """The run that has the node, in the business the request names. A node of another business,
    or of one the caller cannot see, is refused as a missing one (no role: bk's permission error)."""
    biz = business_id(params)
    variables = {"businessId": encode_global_id("Business", biz), "nodeId": node_id}
    data = await run_operation(load_operation(__name__, "node_status.graphql"), variables, principal, settings)
    run: dict[str, Any] | None = data["pipelineRunOfNode"]
    if run is None or run["task"]["bkBizId"] != biz:
        raise refuse_missing(
            principal, biz, f"task or node[id={node_id}] of business[{biz}] does not exist", "TASK_NOT_FOUND"
        )
    return run


def _subtree(entry: dict[str, Any]) -> list[str]:
    """The ids of `entry` and of every node under it (failed leaves give bk-sops' ex_data)."""
    ids = [str(entry.get("id", ""))]
    for child in entry["children"].values():
        ids += _subtree(child)
    return ids


@sops_route("get_task_detail", summary="A task's constants, outputs and tree")
async def get_task_detail(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    biz, run = await load_run(params, principal, settings, "task_detail.graphql", __name__)
    task = run["task"]
    tree = run["pipelineTree"] or {}
    number = int(params.get_int("task_id"))
    return {
        "id": number,
        "name": task["name"],
        "business_id": biz,
        "business_name": (task["business"] or {}).get("name", ""),
        "project_id": biz,
        "template_id": (run["template"] or {}).get("bkTemplateId"),
        "create_time": sops_time(task["createdAt"], offset=False),
        "create_method": run["createMethod"],
        "start_time": sops_time(task["startedAt"], offset=False),
        "finish_time": sops_time(task["finishedAt"], offset=False),
        "elapsed_time": elapsed(task["startedAt"], task["finishedAt"]),
        "creator": task["creator"],
        "executor": run["executor"],
        "constants": tree.get("constants") or {},
        "outputs": [{**item, "preset": False} for item in run["outputs"]],
        "ex_data": task["error"],
        "task_url": task_url(settings.public_url, biz, number),
        "pipeline_tree": tree,
    }


@sops_route("get_task_node_detail", summary="One node's inputs, outputs, state and histories")
async def get_task_node_detail(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    node_id = params.get_str("node_id")
    stack = _subprocess_stack(params)
    component_code = params.get_str("component_code", required=False)
    _, run = await load_run(params, principal, settings, "node_detail.graphql", __name__)
    nodes = {node["nodeId"]: node for node in run["nodes"]}
    node = nodes.get(node_id)
    if node is None or (stack and node["parentId"] != stack[-1]):
        raise NotFound(
            f"task[{params.get('task_id')}] does not have node[{node_id}]", field="node_id", code="NODE_NOT_FOUND"
        )
    return {
        "id": node_id,
        "name": node["name"],
        "state": node["displayState"],
        "skip": node["skip"],
        "retry": node["retry"],
        "loop": node["loop"],
        "version": node["version"],
        "error_ignorable": node["errorIgnored"],
        "start_time": sops_time(node["startedAt"]),
        "finish_time": sops_time(node["finishedAt"]),
        "elapsed_time": elapsed(node["startedAt"], node["finishedAt"]),
        "inputs": node["inputs"],
        "outputs": _format_outputs(node["outputs"] or {}, component_code),
        "ex_data": node["exData"] or None,
        "histories": [_history(entry) for entry in node["histories"]],
        "children": {},
    }


def _format_outputs(outputs: dict[str, Any], component_code: str | None) -> list[Any]:
    produced = {key: value for key, value in outputs.items() if key != "ex_data"}
    if not component_code:
        return [{"key": key, "value": value, "preset": False} for key, value in produced.items()]
    load_plugins()
    plugin = PLUGINS.get(component_code)
    if plugin is None:
        raise ValidationFailed(
            f"component_code {component_code!r} is no plugin here: _format_outputs fail", field="component_code"
        )
    declared = {**plugin.outputs, **PRESET_OUTPUTS}
    rows = [
        {"name": name, "key": key, "value": produced.get(key, ""), "preset": True} for key, name in declared.items()
    ]
    rows += [
        {"name": key, "key": key, "value": value, "preset": False}
        for key, value in produced.items()
        if key not in declared
    ]
    return rows


def _subprocess_stack(params: Params) -> list[str]:
    raw = params.get("subprocess_stack")
    if raw in (None, ""):
        return []
    try:
        stack = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise ValidationFailed("subprocess_stack is not a valid array json", field="subprocess_stack") from exc
    if not isinstance(stack, list) or not all(isinstance(item, str) for item in stack):
        raise ValidationFailed("subprocess_stack is not a valid array json", field="subprocess_stack")
    return stack


def _history(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "start_time": sops_time(entry.get("start_time")),
        "finish_time": sops_time(entry.get("finish_time")),
        "elapsed_time": entry.get("elapsed_time", 0),
        "state": entry.get("state"),
        "skip": entry.get("skip", False),
        "retry": entry.get("retry", 0),
        "loop": entry.get("loop", 1),
        "inputs": entry.get("inputs") or {},
        "outputs": entry.get("outputs") or {},
        "ex_data": entry.get("ex_data") or "",
        "histories": [],
    }
