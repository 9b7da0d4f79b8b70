"""A bk-sops `pipeline_tree` (the "web" format the APIs accept and return) read into a graph.

The tree is JSON from users: `read_graph` checks its shape as it goes and raises `TreeError` naming
the node or flow at fault. `incoming` is a string or a list depending on the node type in the
docs; the engine normalises both to lists (bamboo `format_node_io_to_list`), and so do we.

Example:
    graph = read_graph(tree)
    graph.start.id, [graph.nodes[t].name for _, t in graph.targets(graph.start.id)]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

START = "EmptyStartEvent"
END = "EmptyEndEvent"
ACTIVITY = "ServiceActivity"
SUBPROCESS = "SubProcess"
EXCLUSIVE = "ExclusiveGateway"
PARALLEL = "ParallelGateway"
CONDITIONAL_PARALLEL = "ConditionalParallelGateway"
CONVERGE = "ConvergeGateway"

ACTIVITY_TYPES = frozenset({ACTIVITY, SUBPROCESS})
GATEWAY_TYPES = frozenset({EXCLUSIVE, PARALLEL, CONDITIONAL_PARALLEL, CONVERGE})
FORKING_TYPES = frozenset({PARALLEL, CONDITIONAL_PARALLEL})
CONDITIONAL_TYPES = frozenset({EXCLUSIVE, CONDITIONAL_PARALLEL})
# TaskStep.kind (16 characters at most) for each node type.
STEP_KIND = {
    START: "start",
    END: "end",
    ACTIVITY: "activity",
    SUBPROCESS: "subprocess",
    EXCLUSIVE: "exclusive",
    PARALLEL: "parallel",
    CONDITIONAL_PARALLEL: "cond_parallel",
    CONVERGE: "converge",
}
MAX_NODES = 2000  # per tree level: far beyond any real flow, small enough to validate in milliseconds


class TreeError(ValueError):
    """A pipeline_tree the engine cannot run; `node` names the node or flow at fault."""

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str
    is_default: bool = False


@dataclass(frozen=True)
class Condition:
    flow_id: str
    evaluate: str
    name: str = ""


@dataclass
class Node:
    id: str
    type: str
    name: str
    incoming: list[str]
    outgoing: list[str]
    raw: dict[str, Any]
    conditions: dict[str, Condition] = field(default_factory=dict)  # by flow id
    default_flow: str | None = None

    @property
    def kind(self) -> str:
        return STEP_KIND[self.type]

    @property
    def label(self) -> str:
        """How messages name the node: its name and id."""
        return f"{self.name!r} ({self.id})" if self.name else self.id


@dataclass
class Graph:
    start: Node
    end: Node
    nodes: dict[str, Node]
    flows: dict[str, Flow]
    constants: dict[str, dict[str, Any]]
    outputs: list[str]
    raw: dict[str, Any]

    def targets(self, node_id: str) -> Iterator[tuple[str, str]]:
        """(flow id, target node id) of each outgoing flow, in the node's order."""
        for flow_id in self.nodes[node_id].outgoing:
            yield flow_id, self.flows[flow_id].target

    def next_node(self, node_id: str) -> str:
        """The single successor of a node with one outgoing flow."""
        return self.flows[self.nodes[node_id].outgoing[0]].target

    def subprocess_tree(self, node_id: str) -> dict[str, Any] | None:
        """The unfolded child tree of a SubProcess node of a run (`pipeline`), if any."""
        child = self.nodes[node_id].raw.get("pipeline")
        return child if isinstance(child, dict) else None


def as_list(value: Any, *, where: str, node: str | None) -> list[str]:
    """A node's incoming/outgoing: "" or null = none, a string = one flow, or a list of flow ids."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return list(value)
    raise TreeError(f"{where} must be a flow id or a list of flow ids", node)


def _obj(value: Any, where: str, node: str | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TreeError(f"{where} must be an object", node)
    return value


def _node(key: str | None, raw: Any, section: str, allowed: frozenset[str]) -> Node:
    where = f"{section}[{key}]" if key is not None else section
    data = _obj(raw, where, key)
    node_id = data.get("id")
    if not isinstance(node_id, str) or not node_id or len(node_id) > 64:
        raise TreeError(f"{where}.id must be a non-empty string of at most 64 characters", key)
    if key is not None and node_id != key:
        raise TreeError(f"{where}.id is {node_id!r}: it must equal its key", key)
    node_type = data.get("type")
    if node_type not in allowed:
        raise TreeError(f"{where}.type must be one of {', '.join(sorted(allowed))}, got {node_type!r}", node_id)
    name = data.get("name") or ""
    if not isinstance(name, str):
        raise TreeError(f"{where}.name must be a string", node_id)
    return Node(
        id=node_id,
        type=node_type,
        name=name[:256],
        incoming=as_list(data.get("incoming"), where=f"{where}.incoming", node=node_id),
        outgoing=as_list(data.get("outgoing"), where=f"{where}.outgoing", node=node_id),
        raw=data,
    )


def _conditions(node: Node) -> None:
    raw = node.raw.get("conditions")
    if raw is None and node.type == CONDITIONAL_PARALLEL:
        raw = {}
    if node.type not in CONDITIONAL_TYPES:
        return
    conditions = _obj(raw if raw is not None else {}, f"gateway {node.label} conditions", node.id)
    for flow_id, spec in conditions.items():
        item = _obj(spec, f"gateway {node.label} condition of flow {flow_id}", node.id)
        evaluate = item.get("evaluate")
        if not isinstance(evaluate, str) or not evaluate.strip():
            raise TreeError(f"gateway {node.label}: the condition of flow {flow_id} has no `evaluate` text", node.id)
        node.conditions[flow_id] = Condition(flow_id, evaluate, str(item.get("name") or ""))
    default = node.raw.get("default_condition")
    if default not in (None, {}, ""):
        spec = _obj(default, f"gateway {node.label} default_condition", node.id)
        default_id = spec.get("flow_id")
        if not isinstance(default_id, str) or not default_id:
            raise TreeError(f"gateway {node.label}: default_condition needs a flow_id", node.id)
        node.default_flow = default_id


def read_graph(tree: Any) -> Graph:
    """Parse one level of a tree (subprocess children stay in their SubProcess node's `pipeline`)."""
    data = _obj(tree, "pipeline_tree")
    start = _node(None, data.get("start_event"), "start_event", frozenset({START}))
    end = _node(None, data.get("end_event"), "end_event", frozenset({END}))
    nodes: dict[str, Node] = {start.id: start}
    if end.id in nodes:
        raise TreeError(f"node id {end.id!r} is used twice", end.id)
    nodes[end.id] = end
    sections = (("activities", ACTIVITY_TYPES), ("gateways", GATEWAY_TYPES))
    for section, allowed in sections:
        for key, raw in _obj(data.get(section) if data.get(section) is not None else {}, section).items():
            node = _node(key, raw, section, allowed)
            if node.id in nodes:
                raise TreeError(f"node id {node.id!r} is used twice", node.id)
            nodes[node.id] = node
            _conditions(node)
    if len(nodes) > MAX_NODES:
        raise TreeError(f"a pipeline level may hold at most {MAX_NODES} nodes, this one has {len(nodes)}")
    flows: dict[str, Flow] = {}
    for key, raw in _obj(data.get("flows") if data.get("flows") is not None else {}, "flows").items():
        item = _obj(raw, f"flows[{key}]", key)
        flow_id, source, target = item.get("id"), item.get("source"), item.get("target")
        if flow_id != key:
            raise TreeError(f"flows[{key}].id is {flow_id!r}: it must equal its key", key)
        if key in nodes:
            raise TreeError(f"flow id {key!r} is also a node id: ids are unique across the tree", key)
        for end_name, end_id in (("source", source), ("target", target)):
            if not isinstance(end_id, str) or end_id not in nodes:
                raise TreeError(f"flow {key}: {end_name} {end_id!r} is not a node of this tree", key)
        flows[key] = Flow(key, str(source), str(target), bool(item.get("is_default", False)))
    constants = _obj(data.get("constants") if data.get("constants") is not None else {}, "constants")
    outputs = data.get("outputs") if data.get("outputs") is not None else []
    if not isinstance(outputs, list) or not all(isinstance(key, str) for key in outputs):
        raise TreeError("outputs must be a list of constant keys")
    return Graph(start, end, nodes, flows, constants, list(outputs), data)


def walk_trees(tree: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(parent SubProcess node id or "", tree) for a run tree and every unfolded subprocess in it."""
    pending: list[tuple[str, dict[str, Any]]] = [("", tree)]
    while pending:
        parent, current = pending.pop(0)
        yield parent, current
        for node_id, activity in (current.get("activities") or {}).items():
            child = activity.get("pipeline") if isinstance(activity, dict) else None
            if activity.get("type") == SUBPROCESS and isinstance(child, dict):
                pending.append((node_id, child))
