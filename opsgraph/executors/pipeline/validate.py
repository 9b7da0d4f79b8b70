"""The engine's rules for a pipeline_tree, checked when a template is saved and when a run is made.

- degrees (bamboo `validator/rules.py`): start 0 in / 1 out, end ≥1 in / 0 out, activities and
  subprocesses ≥1 in / exactly 1 out, exclusive / parallel / conditional-parallel gateways ≥1 in /
  1..1000 out, converge gateways ≥1 in / 1 out; nothing points back at the start event;
- every node is reachable from the start event, and flows agree with the nodes' incoming/outgoing;
- every parallel (and conditional-parallel) gateway meets ONE converge gateway on every branch,
  before the end, and a converge closes at most one parallel gateway (`converge_of`);
- exclusive and conditional-parallel gateways carry a parseable condition on every outgoing flow
  but the default one;
- activities: a known plugin, `auto_retry` (≤10 times, ≤60 s apart) and `timeout_config`
  (≥10 s, forced_fail | forced_fail_and_skip), and a timeout never together with auto-retry or
  error_ignorable (bk-sops rejects the mix);
- constants are keyed `${name}`; `outputs` name constants.
Cycles are allowed (bk-sops runs with cycle_tolerate); a re-entered node counts its `loop`.

Every refusal is a `TreeError` whose message names the node (or flow) at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opsgraph.executors.pipeline.conditions import ConditionError, check_syntax
from opsgraph.executors.pipeline.converge import converge_of
from opsgraph.executors.pipeline.plugins import Plugin
from opsgraph.executors.pipeline.tree import (
    ACTIVITY,
    CONDITIONAL_TYPES,
    CONVERGE,
    END,
    START,
    SUBPROCESS,
    Graph,
    Node,
    TreeError,
    read_graph,
)

MAX_OUT = 1000
MAX_AUTO_RETRY_TIMES = 10
MAX_AUTO_RETRY_INTERVAL = 60
MIN_TIMEOUT_SECONDS = 10
MAX_TIMEOUT_SECONDS = 7 * 86_400
TIMEOUT_ACTIONS = frozenset({"forced_fail", "forced_fail_and_skip"})
CONSTANT_KEY = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
SOURCE_TYPES = frozenset({"custom", "component_inputs", "component_outputs"})
_LOOP = "<loop>"


def validate_tree(tree: Any, plugins: Mapping[str, Plugin], *, subprocess_path: str = "") -> Graph:
    """Check one tree and, in a run tree, every unfolded subprocess inside it."""
    graph = read_graph(tree)
    where = f"subprocess {subprocess_path}: " if subprocess_path else ""
    try:
        _check_connections(graph)
        _check_reachable(graph)
        for node in graph.nodes.values():
            if node.type == ACTIVITY:
                _check_activity(node, plugins)
            elif node.type == SUBPROCESS:
                _check_subprocess(node)
            elif node.type in CONDITIONAL_TYPES:
                _check_conditions(node)
        converge_of(graph)
        _check_constants(graph)
    except TreeError as exc:
        raise TreeError(where + exc.message, exc.node) from exc
    for node in graph.nodes.values():
        child = graph.subprocess_tree(node.id)
        if node.type == SUBPROCESS and child is not None:
            validate_tree(child, plugins, subprocess_path=f"{subprocess_path}{node.label}/")
    return graph


def _check_connections(graph: Graph) -> None:
    incoming: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for flow in graph.flows.values():
        outgoing[flow.source].append(flow.id)
        incoming[flow.target].append(flow.id)
    for node in graph.nodes.values():
        if sorted(node.outgoing) != sorted(outgoing[node.id]):
            raise TreeError(
                f"node {node.label}: outgoing {node.outgoing} disagrees with the flows leaving it "
                f"{sorted(outgoing[node.id])}",
                node.id,
            )
        if sorted(node.incoming) != sorted(incoming[node.id]):
            raise TreeError(
                f"node {node.label}: incoming {node.incoming} disagrees with the flows entering it "
                f"{sorted(incoming[node.id])}",
                node.id,
            )
        _check_degree(node)


def _check_degree(node: Node) -> None:
    ins, outs = len(node.incoming), len(node.outgoing)
    if node.type == START:
        if ins:
            raise TreeError(f"the start event {node.label} cannot have incoming flows", node.id)
        if outs != 1:
            raise TreeError(f"the start event {node.label} needs exactly 1 outgoing flow, has {outs}", node.id)
        return
    if ins < 1:
        raise TreeError(f"node {node.label} has no incoming flow", node.id)
    if node.type == END:
        if outs:
            raise TreeError(f"the end event {node.label} cannot have outgoing flows", node.id)
    elif node.type in (ACTIVITY, SUBPROCESS, CONVERGE):
        if outs != 1:
            raise TreeError(f"node {node.label} needs exactly 1 outgoing flow, has {outs}", node.id)
    elif not 1 <= outs <= MAX_OUT:
        raise TreeError(f"gateway {node.label} needs 1 to {MAX_OUT} outgoing flows, has {outs}", node.id)


def _check_reachable(graph: Graph) -> None:
    seen = {graph.start.id}
    pending = [graph.start.id]
    while pending:
        for _, target in graph.targets(pending.pop()):
            if target not in seen:
                seen.add(target)
                pending.append(target)
    for node in graph.nodes.values():
        if node.id not in seen:
            raise TreeError(f"node {node.label} cannot be reached from the start event", node.id)


def _flag(node: Node, name: str) -> bool:
    value = node.raw.get(name, False)
    if not isinstance(value, bool):
        raise TreeError(f"node {node.label}: {name} must be true or false", node.id)
    return value


def _check_activity(node: Node, plugins: Mapping[str, Plugin]) -> None:
    component = node.raw.get("component")
    if not isinstance(component, dict) or not isinstance(component.get("code"), str):
        raise TreeError(f"activity {node.label} needs a component with a code", node.id)
    code = component["code"]
    plugin = plugins.get(code)
    if plugin is None:
        raise TreeError(
            f"activity {node.label}: unknown plugin {code!r} (known: {', '.join(sorted(plugins))})", node.id
        )
    data = component.get("data") if component.get("data") is not None else {}
    if not isinstance(data, dict) or not all(isinstance(item, dict) and "value" in item for item in data.values()):
        raise TreeError(f"activity {node.label}: component.data must map each input to {{hook, value}}", node.id)
    problem = plugin.check(data)
    if problem:
        raise TreeError(f"activity {node.label} ({code}): {problem}", node.id)
    for name in ("error_ignorable", "optional", "retryable", "skippable"):
        _flag(node, name)
    retry = _section(node, "auto_retry")
    timeout = _section(node, "timeout_config")
    if retry.get("enable"):
        times, interval = retry.get("times", 1), retry.get("interval", 0)
        if not _int_in(times, 1, MAX_AUTO_RETRY_TIMES) or not _int_in(interval, 0, MAX_AUTO_RETRY_INTERVAL):
            raise TreeError(
                f"activity {node.label}: auto_retry needs times 1..{MAX_AUTO_RETRY_TIMES} and interval "
                f"0..{MAX_AUTO_RETRY_INTERVAL} seconds",
                node.id,
            )
    if timeout.get("enable"):
        seconds, action = timeout.get("seconds"), timeout.get("action", "forced_fail")
        if not _int_in(seconds, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS) or action not in TIMEOUT_ACTIONS:
            raise TreeError(
                f"activity {node.label}: timeout_config needs seconds {MIN_TIMEOUT_SECONDS}..{MAX_TIMEOUT_SECONDS} "
                f"and action forced_fail or forced_fail_and_skip",
                node.id,
            )
        if retry.get("enable") or _flag(node, "error_ignorable"):
            raise TreeError(
                f"activity {node.label}: a timeout cannot be combined with auto_retry or error_ignorable", node.id
            )


def _section(node: Node, name: str) -> dict[str, Any]:
    value = node.raw.get(name)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or not isinstance(value.get("enable", False), bool):
        raise TreeError(f"node {node.label}: {name} must be an object with a boolean `enable`", node.id)
    return value


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_subprocess(node: Node) -> None:
    template_id = node.raw.get("template_id")
    if not (isinstance(template_id, int) and not isinstance(template_id, bool)) and not (
        isinstance(template_id, str) and template_id.strip().isdigit()
    ):
        raise TreeError(f"subprocess {node.label} needs the template_id of a flow template", node.id)
    constants = node.raw.get("constants")
    if constants is not None and not isinstance(constants, dict):
        raise TreeError(f"subprocess {node.label}: constants must be an object", node.id)


def _check_conditions(node: Node) -> None:
    for flow_id in node.conditions:
        if flow_id not in node.outgoing:
            raise TreeError(f"gateway {node.label}: a condition names flow {flow_id}, which does not leave it", node.id)
    if node.default_flow is not None and node.default_flow not in node.outgoing:
        raise TreeError(f"gateway {node.label}: the default flow {node.default_flow} does not leave it", node.id)
    for flow_id in node.outgoing:
        condition = node.conditions.get(flow_id)
        if condition is None:
            if flow_id == node.default_flow:
                continue
            raise TreeError(f"gateway {node.label}: flow {flow_id} has no condition (and is not the default)", node.id)
        try:
            check_syntax(condition.evaluate)
        except ConditionError as exc:
            raise TreeError(f"gateway {node.label}, flow {flow_id}: {exc}", node.id) from exc


def _check_constants(graph: Graph) -> None:
    for key, constant in graph.constants.items():
        if not CONSTANT_KEY.fullmatch(key):
            raise TreeError(f"constant {key!r}: keys are written ${{name}} (letters, digits, underscore)", key)
        if not isinstance(constant, dict):
            raise TreeError(f"constant {key} must be an object", key)
        if constant.get("key", key) != key:
            raise TreeError(f"constant {key}: its key field says {constant.get('key')!r}", key)
        source = constant.get("source_type", "custom")
        if source not in SOURCE_TYPES:
            raise TreeError(f"constant {key}: source_type must be one of {', '.join(sorted(SOURCE_TYPES))}", key)
        info = constant.get("source_info")
        if source == "component_outputs" and not isinstance(info, dict):
            raise TreeError(f"constant {key}: a component_outputs constant needs source_info {{node: [output]}}", key)
        if isinstance(info, dict):
            for node_id in info:
                if node_id not in graph.nodes:
                    raise TreeError(f"constant {key}: source_info names node {node_id}, which is not in the tree", key)
    for key in graph.outputs:
        if key not in graph.constants:
            raise TreeError(f"outputs names {key}, which is not a constant", key)
