"""Pipeline runs: creating one from a template (a Task of kind PIPELINE, not started), starting it,
and the task and node operations.

Creating is all validation and writes (the run's tree with new node ids, one step per node at every
level); starting only claims the run (`is_started`, compare-and-set) and hands the start to the
engine in the background, so start_task answers before the run starts, as bk-sops does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.executors.pipeline import operations
from opsgraph.executors.pipeline.engine import pipeline_engine
from opsgraph.executors.pipeline.instance import apply_constants, exclude_nodes, replace_ids, unfold
from opsgraph.executors.pipeline.tree import STEP_KIND, TreeError, walk_trees
from opsgraph.models.pipelines import PipelineRun
from opsgraph.models.tasks import Task, TaskKind, TaskStep
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.common import clean_name
from opsgraph.resolvers.pipelines.common import COMMON, RUN_ROLE, check_source, check_tree, load_template, template_tree
from opsgraph.resolvers.pipelines.templates import subprocess_loader
from opsgraph.resolvers.tasks.control import get_task
from opsgraph.resolvers.tasks.launch import check_callback_protocol, check_callback_url
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

FLOW_TYPES = ("common", "common_func")
_BULK = 1000


@dataclass
class RunRequest:
    business_id: int
    template_id: int
    name: Any
    template_source: Any = None
    constants: Any = None
    exclude_nodes: Any = None
    flow_type: Any = None
    version: int | None = None
    callback_url: str | None = None
    callback_protocol: str | None = None
    create_method: str = "api"
    periodic_task_id: int | None = None
    tree: dict[str, Any] | None = None  # a periodic task's prepared tree instead of the template's
    extra: dict[str, Any] = field(default_factory=dict)


def _constants(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise ValidationFailed('constants must be an object of "${key}": value', field="constants")
    return value


def _node_ids(value: Any, field_name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValidationFailed(f"{field_name} must be a list of node ids", field=field_name)
    return value


async def create_run(principal: Principal, request: RunRequest) -> Task:
    await get_business(principal, request.business_id, RUN_ROLE, require_enabled=True)
    source = check_source(request.template_source)
    template = await load_template(
        principal, request.template_id, business_id=None if source == COMMON else request.business_id
    )
    if template.is_common != (source == COMMON):
        raise NotFound(
            f"template[id={request.template_id}] does not exist", field="templateId", code="TEMPLATE_NOT_FOUND"
        )
    name = clean_name(request.name, field="name", label="task name")
    flow_type = request.flow_type or "common"
    if flow_type not in FLOW_TYPES:
        raise ValidationFailed("flow_type must be common or common_func", field="flowType")
    version = await template_tree(template, request.version)
    tree = request.tree if request.tree is not None else dict(version.tree)
    tree = apply_constants(tree, _constants(request.constants))
    try:
        tree = exclude_nodes(tree, _node_ids(request.exclude_nodes, "excludeTaskNodesId"))
        tree = await unfold(tree, subprocess_loader(request.business_id))
    except TreeError as exc:
        raise ValidationFailed(exc.message, field="excludeTaskNodesId", code="INVALID_TREE") from exc
    run_tree, node_map, origin = replace_ids(tree)
    run_tree["id"] = "n" + uuid.uuid4().hex[:31]  # the root pipeline's id (bk get_task_status `id`)
    check_tree(run_tree)
    callback_url = check_callback_url(request.callback_url)
    protocol = check_callback_protocol(request.callback_protocol)
    async with write_transaction():
        task = await Task.create(
            kind=TaskKind.PIPELINE,
            business_id=request.business_id,
            name=name[:512],
            creator=principal.username,
            app_code=principal.app_code,
            start_way=3 if request.create_method == "periodic" else 2,
            params={"template_id": template.id, "template_version": version.version, "callback_protocol": protocol},
            callback_url=callback_url,
        )
        await PipelineRun.create(
            task=task,
            template_id=template.id,
            template_version=version.version,
            template_source=source,
            periodic_task_id=request.periodic_task_id,
            category=template.category,
            flow_type=flow_type,
            create_method=request.create_method,
            tree=run_tree,
            node_map=node_map,
        )
        await _create_steps(task, run_tree, origin)
        await record_operation(
            principal,
            op_type="create",
            op_target="pipeline_task",
            op_desc=f"create pipeline task {name} from template {template.id}",
            business_id=request.business_id,
            inst_id=task.id,
            cur_data={"template_id": template.id, "version": version.version, "constants": request.constants or {}},
        )
    return task


async def _create_steps(task: Task, tree: dict[str, Any], origin: dict[str, str]) -> None:
    rows: list[TaskStep] = []
    for parent, level in walk_trees(tree):
        nodes = [level["start_event"], *(level.get("activities") or {}).values()]
        nodes += [*(level.get("gateways") or {}).values(), level["end_event"]]
        for node in nodes:
            component = node.get("component") if isinstance(node.get("component"), dict) else {}
            config = {
                "node_id": node["id"],
                "parent": parent,
                "template_node_id": origin.get(node["id"], ""),
                "type": node["type"],
                "code": component.get("code", ""),
                "state": "CREATED",
                "loop": 0,
                "retry": 0,
                "skip": False,
                "inputs": {},
                "outputs": {},
                "histories": [],
            }
            rows.append(
                TaskStep(
                    task_id=task.id,
                    position=len(rows),
                    kind=STEP_KIND[node["type"]],
                    name=str(node.get("name") or "")[:256],
                    config=config,
                )
            )
    for start in range(0, len(rows), _BULK):
        await TaskStep.bulk_create(rows[start : start + _BULK])


async def get_run(principal: Principal, task_id: int, minimum_role: str = "viewer") -> tuple[Task, PipelineRun]:
    task = await get_task(principal, task_id, minimum_role)
    run = await PipelineRun.get_or_none(task_id=task_id)
    if task.kind != TaskKind.PIPELINE or run is None:
        raise NotFound(f"task {task_id} is not a pipeline task", field="taskId", code="TASK_NOT_FOUND")
    return task, run


async def start_run(principal: Principal, task_id: int) -> Task:
    """Claim the start (once) and let the engine start it in the background."""
    task, _ = await get_run(principal, task_id, RUN_ROLE)
    claimed = await PipelineRun.filter(task_id=task_id, is_started=False).update(
        is_started=True, executor=principal.username
    )
    if not claimed:
        raise operations.InvalidOperation("task already started")
    await _audit(principal, task, "start", f"start pipeline task {task_id}")
    pipeline_engine().in_background(task_id, operations.start(principal.username))
    return task


async def operate_task(principal: Principal, task_id: int, action: str) -> Task:
    if action == "start":
        return await start_run(principal, task_id)
    task, _ = await get_run(principal, task_id, RUN_ROLE)
    chosen = {
        "pause": operations.pause,
        "resume": operations.resume,
        "revoke": lambda: operations.revoke(principal.username),
    }.get(action)
    if chosen is None:
        raise operations.InvalidOperation("task command is invalid")
    await pipeline_engine().operate(task_id, chosen())
    await _audit(principal, task, action, f"{action} pipeline task {task_id}")
    return await Task.get(id=task_id)


@dataclass
class NodeOperation:
    action: str
    node_id: str
    inputs: Any = None
    flow_id: str | None = None
    flow_ids: Any = None
    converge_gateway_id: str | None = None
    data: Any = None
    version: str | None = None


async def operate_node(principal: Principal, task_id: int, request: NodeOperation) -> Task:
    task, _ = await get_run(principal, task_id, RUN_ROLE)
    if not isinstance(request.node_id, str) or not request.node_id:
        raise ValidationFailed("node_id is required", field="node_id", code="MISSING_FIELD")
    action = _node_action(principal, request)
    await pipeline_engine().operate(task_id, action)
    await _audit(
        principal,
        task,
        f"node_{request.action}",
        f"{request.action} node {request.node_id} of pipeline task {task_id}",
        node=request.node_id,
    )
    return await Task.get(id=task_id)


def _node_action(principal: Principal, request: NodeOperation) -> operations.Action:
    node_id = request.node_id
    if request.action == "retry":
        if request.inputs is not None and not isinstance(request.inputs, dict):
            raise ValidationFailed("inputs must be an object", field="inputs")
        return operations.retry_node(node_id, request.inputs or None)
    if request.action == "skip":
        return operations.skip_node(node_id)
    if request.action == "skip_exg":
        if not request.flow_id:
            raise ValidationFailed("flow_id is required", field="flow_id", code="MISSING_FIELD")
        return operations.skip_exclusive_gateway(node_id, request.flow_id)
    if request.action == "skip_cpg":
        flows = _node_ids(request.flow_ids, "flow_ids")
        if not flows or not request.converge_gateway_id:
            raise ValidationFailed("flow_ids and converge_gateway_id are required", field="flow_ids")
        return operations.skip_conditional_parallel_gateway(node_id, flows, request.converge_gateway_id)
    if request.action == "forced_fail":
        return operations.forced_fail(node_id, principal.username)
    if request.action == "callback":
        return operations.callback(node_id, request.data, request.version)
    simple = {
        "pause": operations.pause_node,
        "resume": operations.resume_node,
        "pause_subproc": operations.pause_subprocess,
        "resume_subproc": operations.resume_subprocess,
    }
    if request.action in simple:
        return simple[request.action](node_id)
    if request.action == "retry_subprocess":
        raise operations.InvalidOperation("retry_subprocess is not supported: retry the failed node inside it")
    raise operations.InvalidOperation("task command is invalid")


async def _audit(principal: Principal, task: Task, op_type: str, description: str, **extra: Any) -> None:
    await record_operation(
        principal,
        op_type=op_type[:32],
        op_target="pipeline_task",
        op_desc=description,
        business_id=task.business_id,
        inst_id=task.id,
        cur_data=extra or None,
    )
