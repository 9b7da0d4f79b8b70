"""Building bk-sops pipeline_tree documents (the web format) for the tests, node by node.

Example:
    t = TreeBuilder()
    a = t.activity("sleep_timer", {"bk_timing": "0"}, name="wait")
    t.chain(t.start, a, t.end)
    tree = t.tree()
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):031x}"[:32]


class TreeBuilder:
    def __init__(self) -> None:
        self.start = new_id("n")
        self.end = new_id("n")
        self.nodes: dict[str, dict[str, Any]] = {
            self.start: {"id": self.start, "type": "EmptyStartEvent", "name": "", "incoming": "", "outgoing": ""},
            self.end: {"id": self.end, "type": "EmptyEndEvent", "name": "", "incoming": [], "outgoing": ""},
        }
        self.flows: dict[str, dict[str, Any]] = {}
        self.constants: dict[str, dict[str, Any]] = {}
        self.outputs: list[str] = []

    # -- nodes ----------------------------------------------------------------------------------------

    def activity(self, code: str, data: dict[str, Any] | None = None, *, name: str = "", **options: Any) -> str:
        node_id = new_id("n")
        self.nodes[node_id] = {
            "id": node_id,
            "type": "ServiceActivity",
            "name": name or code,
            "stage_name": "",
            "incoming": [],
            "outgoing": "",
            "optional": False,
            "error_ignorable": False,
            "retryable": True,
            "skippable": True,
            "component": {
                "code": code,
                "version": "legacy",
                "data": {key: {"hook": False, "value": value} for key, value in (data or {}).items()},
            },
            **options,
        }
        return node_id

    def sleep(self, seconds: str | int = "0", *, name: str = "", **options: Any) -> str:
        return self.activity("sleep_timer", {"bk_timing": str(seconds)}, name=name or "sleep", **options)

    def pause(self, *, name: str = "", **options: Any) -> str:
        return self.activity("pause_node", {}, name=name or "pause", **options)

    def subprocess(self, template_id: int, constants: dict[str, Any] | None = None, *, name: str = "") -> str:
        node_id = new_id("n")
        self.nodes[node_id] = {
            "id": node_id,
            "type": "SubProcess",
            "name": name or "subprocess",
            "template_id": template_id,
            "version": "",
            "always_use_latest": True,
            "constants": {key: {"value": value} for key, value in (constants or {}).items()},
            "incoming": [],
            "outgoing": "",
            "optional": False,
        }
        return node_id

    def gateway(self, kind: str, *, name: str = "") -> str:
        node_id = new_id("n")
        node: dict[str, Any] = {"id": node_id, "type": kind, "name": name, "incoming": [], "outgoing": []}
        if kind in ("ExclusiveGateway", "ConditionalParallelGateway"):
            node["conditions"] = {}
        if kind == "ConvergeGateway":
            node["outgoing"] = ""
        self.nodes[node_id] = node
        return node_id

    # -- flows ----------------------------------------------------------------------------------------

    def flow(self, source: str, target: str, *, condition: str | None = None, default: bool = False) -> str:
        flow_id = new_id("l")
        self.flows[flow_id] = {"id": flow_id, "source": source, "target": target, "is_default": False}
        src, dst = self.nodes[source], self.nodes[target]
        if isinstance(src["outgoing"], list):
            src["outgoing"].append(flow_id)
        else:
            src["outgoing"] = flow_id
        if isinstance(dst["incoming"], list):
            dst["incoming"].append(flow_id)
        else:
            dst["incoming"] = flow_id
        if condition is not None:
            src["conditions"][flow_id] = {"evaluate": condition, "name": condition}
        if default:
            src["default_condition"] = {"flow_id": flow_id, "name": "default"}
        return flow_id

    def chain(self, *node_ids: str) -> None:
        for source, target in itertools.pairwise(node_ids):
            self.flow(source, target)

    def constant(self, name: str, value: Any, **fields: Any) -> str:
        key = "${" + name + "}"
        self.constants[key] = {
            "key": key,
            "name": name,
            "index": len(self.constants),
            "desc": "",
            "source_type": "custom",
            "custom_type": "input",
            "source_tag": "",
            "source_info": {},
            "value": value,
            "show_type": "show",
            "validation": "",
            **fields,
        }
        return key

    def output_constant(self, name: str, node_id: str, output_key: str, default: Any = "") -> str:
        return self.constant(
            name, default, source_type="component_outputs", source_info={node_id: [output_key]}, custom_type=""
        )

    def tree(self) -> dict[str, Any]:
        activities = {k: v for k, v in self.nodes.items() if v["type"] in ("ServiceActivity", "SubProcess")}
        gateways = {k: v for k, v in self.nodes.items() if v["type"].endswith("Gateway")}
        return copy.deepcopy(
            {
                "start_event": self.nodes[self.start],
                "end_event": self.nodes[self.end],
                "activities": activities,
                "gateways": gateways,
                "flows": self.flows,
                "constants": self.constants,
                "outputs": self.outputs,
                "location": [],
                "line": [],
            }
        )
