"""Events, gateways and subprocess entry: nodes that decide at once, committed together with the
nodes they make READY (so a crash leaves all of the decision or none of it).

- exclusive gateway (bamboo `handlers/exclusive_gateway.py`): every condition is rendered and
  tested; exactly one true branch is taken, or the default one; none and no default fails the
  gateway "all conditions of branches are not meet", several fail it "multiple conditions meet: […]"
  (`extra_info.strategy = "FIRST"` takes the first true branch instead);
- conditional-parallel gateway: every true branch runs (or the default), then they converge;
- parallel gateway: every branch runs; its converge gateway waits for as many arrivals;
- end event: the run (or the subprocess, whose node then finishes with the child's outputs) ends.
Call these under the run's lock; they change memory only and return the steps to commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsgraph.executors.pipeline import states
from opsgraph.executors.pipeline.conditions import ConditionError, test
from opsgraph.executors.pipeline.tree import CONDITIONAL_PARALLEL, CONVERGE, END, EXCLUSIVE, PARALLEL, START, SUBPROCESS
from opsgraph.executors.pipeline.variables import VariableError
from opsgraph.models.tasks import TaskStep

if TYPE_CHECKING:
    from opsgraph.executors.pipeline.runtime import NodeRef, RunRuntime


def run_flow_node(rt: RunRuntime, ref: NodeRef) -> list[TaskStep]:
    """Events, gateways and subprocess entry: decided at once, committed together."""
    node = ref.node
    rt.running(ref)
    if node.type == SUBPROCESS:
        child = rt.levels[ref.id]
        return [ref.step, *rt.ready(rt.refs[child.graph.start.id])]
    if node.type == END:
        return _end(rt, ref)
    if node.type in (EXCLUSIVE, CONDITIONAL_PARALLEL):
        return _conditional(rt, ref)
    rt.recorder.touch(ref.step, states.FINISHED, outputs={"_result": True, "_loop": ref.config.get("loop", 1)})
    if node.type == PARALLEL:
        return [ref.step, *rt.fork(ref, list(node.outgoing))]
    if node.type in (START, CONVERGE):
        return [ref.step, *rt.advance(ref, list(node.outgoing))]
    raise AssertionError(f"no handler for node type {node.type}")


def _conditional(rt: RunRuntime, ref: NodeRef) -> list[TaskStep]:
    node = ref.node
    first_only = isinstance(node.raw.get("extra_info"), dict) and node.raw["extra_info"].get("strategy") == "FIRST"
    met: list[str] = []
    try:
        for flow_id in node.outgoing:
            condition = node.conditions.get(flow_id)
            if condition is None:
                continue
            if test(ref.level.scope.render_text(condition.evaluate)):
                met.append(flow_id)
                if first_only and node.type == EXCLUSIVE:
                    break
    except (ConditionError, VariableError) as exc:
        return [rt.fail(ref, str(exc))]
    if not met and node.default_flow is None:
        return [rt.fail(ref, "all conditions of branches are not meet")]
    if not met:
        met = [node.default_flow] if node.default_flow else []
    if node.type == EXCLUSIVE and len(met) > 1:
        names = [node.conditions[flow].name or flow for flow in met]
        return [rt.fail(ref, f"multiple conditions meet: {names}")]
    rt.recorder.touch(ref.step, states.FINISHED, outputs={"_result": True, "taken": met})
    if node.type == CONDITIONAL_PARALLEL:
        return [ref.step, *rt.fork(ref, met)]
    return [ref.step, *rt.advance(ref, met)]


def _end(rt: RunRuntime, ref: NodeRef) -> list[TaskStep]:
    rt.recorder.touch(ref.step, states.FINISHED, outputs={"_result": True})
    parent = ref.level.parent
    if not parent:
        return [ref.step]  # the root ends: the caller finishes the run (see finish_if_ended)
    holder = rt.refs[parent]
    outputs = {"_result": True, "_loop": holder.config.get("loop", 1)}
    try:
        for key in ref.level.graph.outputs:
            outputs[key] = ref.level.scope.render("${" + key[2:-1] + "}") if key.startswith("${") else None
    except VariableError as exc:
        return [ref.step, rt.fail(holder, str(exc))]
    rt.recorder.touch(holder.step, states.FINISHED, outputs=outputs)
    return [ref.step, holder.step, *rt.advance(holder, list(holder.node.outgoing))]
