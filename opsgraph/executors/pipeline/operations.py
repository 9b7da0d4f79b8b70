"""Task and node operations, each refused with bamboo's message when its precondition fails.

Every function returns an engine `Action` (applied under the run's lock by `PipelineEngine.operate`)
and raises `InvalidOperation` (code INVALID_OPERATION, bk-sops 3545000) or NotFound. The table is
upstream's (bamboo_engine/engine.py, bk-sops dispatchers):

| operation | precondition | effect |
|---|---|---|
| start | root CREATED | root RUNNING, the start event READY |
| pause | root RUNNING | root SUSPENDED: running nodes finish, nothing new starts |
| resume | root SUSPENDED | root RUNNING |
| revoke | started, not FINISHED/REVOKED | root REVOKED: running nodes are stopped |
| retry (+inputs) | node retryable and FAILED, not a SubProcess | READY, retry+1, inputs overridden |
| skip | skippable, FAILED, a ServiceActivity or start event | FINISHED with skip, the flow goes on |
| skip_exg (+flow_id) | an ExclusiveGateway in FAILED | FINISHED, the flow takes flow_id |
| skip_cpg (+flow_ids, converge_gateway_id) | a ConditionalParallelGateway in FAILED | the chosen branches run |
| forced_fail | a ServiceActivity RUNNING here | FAILED "The node has been terminated by <op>." |
| callback (+data, version) | a node waiting for a callback; version current | the node finishes with the data |
| pause / resume (node) | not a SubProcess; not started yet | SUSPENDED before it starts / READY |
| pause_subproc / resume_subproc | a SubProcess RUNNING / SUSPENDED | its nodes hold / go on |
"""

from __future__ import annotations

import asyncio
from typing import Any

from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.executors.pipeline import states
from opsgraph.executors.pipeline.activities import REVOKED_REASON
from opsgraph.executors.pipeline.engine import Action, Applied
from opsgraph.executors.pipeline.plugins import PLUGINS
from opsgraph.executors.pipeline.runtime import NodeRef, RunRuntime
from opsgraph.executors.pipeline.tree import ACTIVITY, CONDITIONAL_PARALLEL, EXCLUSIVE, START, SUBPROCESS
from opsgraph.models.tasks import TaskStatus, TaskStep

TASK_ACTIONS = ("start", "pause", "resume", "revoke")
NODE_ACTIONS = (
    "retry",
    "skip",
    "skip_exg",
    "skip_cpg",
    "forced_fail",
    "callback",
    "pause",
    "resume",
    "pause_subproc",
    "resume_subproc",
    "retry_subprocess",
)


class InvalidOperation(Conflict):
    code = "INVALID_OPERATION"


# --- task operations -----------------------------------------------------------------------------------


def start(executor: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        if rt.run.root_state != states.CREATED:
            raise InvalidOperation("task already started")
        rt.run.executor = executor
        rt.system["executor"] = rt.system["operator"] = executor
        return Applied(future=rt.stage(rt.start_run(), root_state=states.RUNNING))

    return apply


def pause() -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        if rt.run.root_state != states.RUNNING:
            raise InvalidOperation(f"pipeline({rt.task.id}) state is: {rt.run.root_state}")
        return Applied(future=rt.stage([], root_state=states.SUSPENDED))

    return apply


def resume() -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        if rt.run.root_state != states.SUSPENDED:
            raise InvalidOperation(f"pipeline({rt.task.id}) state is: {rt.run.root_state}")
        return Applied(future=rt.stage([], root_state=states.RUNNING))

    return apply


def revoke(operator: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        if rt.run.root_state in (states.FINISHED, states.REVOKED):
            raise InvalidOperation(f"can not revoke a task in state {rt.run.root_state}")
        touched: list[TaskStep] = []
        for ref in rt.refs.values():
            if ref.id in rt.stops:
                rt.stop_reasons[ref.id] = REVOKED_REASON
                rt.stops[ref.id].set()
            elif ref.state in (states.READY, states.SUSPENDED):
                touched.append(rt.recorder.touch(ref.step, states.REVOKED))
        future = rt.stage_end(touched, root_state=states.REVOKED, error=f"revoked by {operator}")
        return Applied(future=future)

    return apply


def _started(rt: RunRuntime) -> None:
    if rt.run.root_state == states.CREATED:
        raise InvalidOperation("task not started")


# --- node operations -----------------------------------------------------------------------------------


def _node(rt: RunRuntime, node_id: str) -> NodeRef:
    ref = rt.ref(node_id)
    if ref is None:
        raise NotFound(f"task[{rt.task.id}] does not have node[{node_id}]", field="node_id", code="NODE_NOT_FOUND")
    return ref


def _ensure_failed(ref: NodeRef) -> None:
    if ref.state != states.FAILED:
        raise InvalidOperation(f"{ref.id} state is not FAILED, actual {ref.state}")


def _going_on(rt: RunRuntime, touched: list[TaskStep]) -> Applied:
    """Staged node changes; a run that had stopped on a failure is RUNNING again."""
    status = TaskStatus.RUNNING if rt.run.root_state == states.RUNNING else None
    return Applied(future=rt.stage(touched, task_status=status))


def retry_node(node_id: str, inputs: dict[str, Any] | None) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        ref = _node(rt, node_id)
        if ref.node.type == SUBPROCESS:
            raise InvalidOperation(f"node({node_id}) is a SubProcess: retry the failed node inside it")
        retryable = (
            ref.node.raw.get("retryable", True) is not False and ref.node.raw.get("can_retry", True) is not False
        )
        if not retryable:
            raise InvalidOperation(f"can not retry node({node_id}) with can_retry({retryable})")
        _ensure_failed(ref)
        if inputs is not None and ref.node.type != ACTIVITY:
            raise ValidationFailed("only a ServiceActivity takes new inputs", field="inputs")
        rt.remember(ref)
        changes: dict[str, Any] = {"retry": int(ref.config.get("retry", 0)) + 1, "auto_retry_at": None, "ex_data": ""}
        if inputs is not None:
            changes["input_overrides"] = inputs
        return _going_on(rt, [rt.recorder.touch(ref.step, states.READY, **changes)])

    return apply


def skip_node(node_id: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        ref = _node(rt, node_id)
        if ref.node.type not in (ACTIVITY, START):
            raise InvalidOperation(f"can not use skip_node api for {ref.node.type}")
        if ref.node.raw.get("skippable", True) is False or ref.node.raw.get("isSkipped", True) is False:
            raise InvalidOperation("can not skip this node")
        _ensure_failed(ref)
        outputs = {**(ref.config.get("outputs") or {}), "_result": False}
        step = rt.recorder.touch(ref.step, states.FINISHED, skip=True, auto_retry_at=None, outputs=outputs)
        return _going_on(rt, [step, *rt.advance(ref, list(ref.node.outgoing))])

    return apply


def skip_exclusive_gateway(node_id: str, flow_id: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        ref = _node(rt, node_id)
        if ref.node.type != EXCLUSIVE:
            raise InvalidOperation(f"{node_id} is not exclusive gateway, actual: {ref.node.type}")
        _ensure_failed(ref)
        if flow_id not in ref.node.outgoing:
            raise ValidationFailed(f"flow {flow_id} does not leave gateway {node_id}", field="flow_id")
        step = rt.recorder.touch(ref.step, states.FINISHED, skip=True, outputs={"_result": True, "taken": [flow_id]})
        return _going_on(rt, [step, *rt.advance(ref, [flow_id])])

    return apply


def skip_conditional_parallel_gateway(node_id: str, flow_ids: list[str], converge_gateway_id: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        ref = _node(rt, node_id)
        if ref.node.type != CONDITIONAL_PARALLEL:
            raise InvalidOperation(f"{node_id} is not conditional parallel gateway, actual: {ref.node.type}")
        _ensure_failed(ref)
        if not flow_ids or any(flow not in ref.node.outgoing for flow in flow_ids):
            raise ValidationFailed(f"flow_ids must name flows leaving gateway {node_id}", field="flow_ids")
        if ref.level.converge.get(node_id) != converge_gateway_id:
            raise ValidationFailed(
                f"converge_gateway_id {converge_gateway_id} is not the converge of gateway {node_id}",
                field="converge_gateway_id",
            )
        chosen = list(dict.fromkeys(flow_ids))
        step = rt.recorder.touch(ref.step, states.FINISHED, skip=True, outputs={"_result": True, "taken": chosen})
        return _going_on(rt, [step, *rt.fork(ref, chosen)])

    return apply


def forced_fail(node_id: str, operator: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        _started(rt)
        ref = _node(rt, node_id)
        if ref.node.type != ACTIVITY:
            raise InvalidOperation(f"{node_id} is not activity, actual: {ref.node.type}")
        if ref.state != states.RUNNING:
            raise InvalidOperation(f"{node_id} state is not RUNNING, actual: {ref.state}")
        if ref.id not in rt.stops:
            raise InvalidOperation(f"can not find process with current node id: {node_id}")
        rt.stop_reasons[ref.id] = f"The node has been terminated by {operator}."
        rt.stops[ref.id].set()
        return Applied()

    return apply


def callback(node_id: str, data: Any, version: str | None) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        ref = _node(rt, node_id)
        plugin = PLUGINS.get(str((ref.node.raw.get("component") or {}).get("code")))
        if ref.state != states.RUNNING or plugin is None or not plugin.accepts_callback:
            raise InvalidOperation(f"can not find sleep process with current node id: {node_id}")
        if version and version != ref.config.get("version"):
            raise InvalidOperation(f"node version {version} not exist")
        rt.callbacks.setdefault(ref.id, asyncio.Queue()).put_nowait(data)
        return Applied()

    return apply


def deliver(node_id: str, message: Any) -> Action:
    """Internal deliveries (an approval's decision) to a RUNNING node; False when it no longer waits."""

    def apply(rt: RunRuntime) -> Applied:
        ref = rt.ref(node_id)
        if ref is None or ref.state != states.RUNNING:
            return Applied(value=False)
        rt.callbacks.setdefault(ref.id, asyncio.Queue()).put_nowait(message)
        return Applied(value=True)

    return apply


def pause_node(node_id: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        ref = _node(rt, node_id)
        if ref.node.type == SUBPROCESS:
            raise InvalidOperation("can not use pause_node_appoint api for SubProcess")
        if ref.state not in (states.CREATED, states.READY):
            raise InvalidOperation(f"node({node_id}) is {ref.state}: a pause is appointed before the node starts")
        state = states.SUSPENDED if ref.state == states.READY else None
        return Applied(future=rt.stage([rt.recorder.touch(ref.step, state, pause_before=True)]))

    return apply


def resume_node(node_id: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        ref = _node(rt, node_id)
        if ref.node.type == SUBPROCESS:
            raise InvalidOperation("can not use pause_node_appoint api for SubProcess")
        if not ref.config.get("pause_before") and ref.state != states.SUSPENDED:
            raise InvalidOperation(f"node({node_id}) has no appointed pause")
        state = states.READY if ref.state == states.SUSPENDED else None
        return _going_on(rt, [rt.recorder.touch(ref.step, state, pause_before=False)])

    return apply


def pause_subprocess(node_id: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        ref = _subprocess(rt, node_id)
        if ref.state != states.RUNNING:
            raise InvalidOperation(f"pipeline({node_id}) state is: {ref.state}")
        return Applied(future=rt.stage([_keep_start(rt, ref, states.SUSPENDED, suspended=True)]))

    return apply


def resume_subprocess(node_id: str) -> Action:
    def apply(rt: RunRuntime) -> Applied:
        ref = _subprocess(rt, node_id)
        if ref.state != states.SUSPENDED:
            raise InvalidOperation(f"pipeline({node_id}) state is: {ref.state}")
        return _going_on(rt, [_keep_start(rt, ref, states.RUNNING, suspended=False)])

    return apply


def _subprocess(rt: RunRuntime, node_id: str) -> NodeRef:
    _started(rt)
    ref = _node(rt, node_id)
    if ref.node.type != SUBPROCESS:
        raise InvalidOperation(f"node({node_id}) type is not SubProcess")
    return ref


def _keep_start(rt: RunRuntime, ref: NodeRef, state: str, **changes: Any) -> TaskStep:
    """A subprocess paused and resumed keeps the time it started."""
    started = ref.step.started_at
    step = rt.recorder.touch(ref.step, state, **changes)
    step.started_at = started
    return step
