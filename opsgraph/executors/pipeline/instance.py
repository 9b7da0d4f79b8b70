"""From a template's tree to a run's tree, as bk-sops `create_instance` does it.

- `exclude_nodes`: optional activities named by `exclude_task_nodes_id` (template ids) are taken
  out and their incoming flows go straight to what followed them; a node that is not `optional`
  is refused ("task node[id=…] is not optional");
- `apply_constants`: values by key; keys the template does not have are ignored, as upstream;
- `unfold`: every SubProcess gets its template's tree (pinned `version` digest, or the latest with
  `always_use_latest`) in `pipeline`, recursively; a template that contains itself is refused;
- `replace_ids`: every node and flow id is new (template node ids ≠ run node ids); the
  mapping of the top level is kept for callers that name template nodes.

Example:
    tree = exclude_nodes(template_tree, ["node1"])
    tree = await unfold(tree, load_subprocess)
    run_tree, top_map, origin = replace_ids(tree)
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from opsgraph.executors.pipeline.tree import SUBPROCESS, TreeError, as_list

MAX_SUBPROCESS_DEPTH = 8
SubprocessLoader = Callable[[int, str, bool], Awaitable[dict[str, Any]]]


def _set_io(node: dict[str, Any], key: str, values: list[str], *, as_string: bool) -> None:
    node[key] = (values[0] if values else "") if as_string and len(values) <= 1 else list(values)


def exclude_nodes(tree: dict[str, Any], node_ids: list[str]) -> dict[str, Any]:
    result = copy.deepcopy(tree)
    activities: dict[str, Any] = result.get("activities") or {}
    flows: dict[str, Any] = result.get("flows") or {}
    nodes = _all_nodes(result)
    for node_id in dict.fromkeys(node_ids):
        node = activities.get(node_id)
        if node is None:
            raise TreeError(f"task node[id={node_id}] does not exist", node_id)
        if not node.get("optional"):
            raise TreeError(f"task node[id={node_id}] is not optional", node_id)
        outgoing = as_list(node.get("outgoing"), where="outgoing", node=node_id)
        if len(outgoing) != 1:
            raise TreeError(f"task node[id={node_id}] has no single outgoing flow to reconnect", node_id)
        leaving = flows.pop(outgoing[0])
        target = nodes[leaving["target"]]
        target_in = [
            f for f in as_list(target.get("incoming"), where="incoming", node=target["id"]) if f != leaving["id"]
        ]
        for flow_id in as_list(node.get("incoming"), where="incoming", node=node_id):
            flows[flow_id]["target"] = target["id"]
            target_in.append(flow_id)
        _set_io(target, "incoming", target_in, as_string=isinstance(target.get("incoming"), str))
        del activities[node_id]
        del nodes[node_id]
        _drop_sources(result, node_id)
    return result


def _drop_sources(tree: dict[str, Any], node_id: str) -> None:
    constants: dict[str, Any] = tree.get("constants") or {}
    for key in list(constants):
        info = constants[key].get("source_info") if isinstance(constants[key], dict) else None
        if isinstance(info, dict) and node_id in info:
            del info[node_id]
            if not info and constants[key].get("source_type") in ("component_inputs", "component_outputs"):
                del constants[key]
                if key in (tree.get("outputs") or []):
                    tree["outputs"].remove(key)


def _all_nodes(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    nodes = {tree["start_event"]["id"]: tree["start_event"], tree["end_event"]["id"]: tree["end_event"]}
    nodes.update(tree.get("activities") or {})
    nodes.update(tree.get("gateways") or {})
    return nodes


def apply_constants(tree: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(tree)
    constants = result.get("constants") or {}
    for key, value in values.items():
        if key in constants and isinstance(constants[key], dict):
            constants[key]["value"] = value
    return result


async def unfold(tree: dict[str, Any], load: SubprocessLoader, *, chain: tuple[int, ...] = ()) -> dict[str, Any]:
    """`load(template_id, version_digest, always_use_latest)` returns that template's tree."""
    result = copy.deepcopy(tree)
    for node_id, node in (result.get("activities") or {}).items():
        if node.get("type") != SUBPROCESS:
            continue
        template_id = int(str(node.get("template_id")).strip())
        if template_id in chain:
            raise TreeError(f"subprocess {node_id} uses template {template_id}, which contains it", node_id)
        if len(chain) >= MAX_SUBPROCESS_DEPTH:
            raise TreeError(f"subprocesses nest deeper than {MAX_SUBPROCESS_DEPTH} levels at {node_id}", node_id)
        version = str(node.get("version") or "")
        latest = bool(node.get("always_use_latest")) or not version
        child = await load(template_id, version, latest)
        node["pipeline"] = await unfold(child, load, chain=(*chain, template_id))
    return result


def replace_ids(tree: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(the tree with new ids, top-level old → new node ids, new → old for every node at every level)."""
    origin: dict[str, str] = {}
    replaced, mapping = _replace(tree, origin)
    return replaced, {old: new for old, new in mapping.items() if old in _all_nodes(tree)}, origin


def _replace(tree: dict[str, Any], origin: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    mapping: dict[str, str] = {}
    for old in _all_nodes(tree):
        mapping[old] = "n" + uuid.uuid4().hex[:31]
        origin[mapping[old]] = old
    for old in tree.get("flows") or {}:
        mapping[old] = "l" + uuid.uuid4().hex[:31]

    def ids(value: Any) -> Any:
        if isinstance(value, list):
            return [mapping.get(item, item) for item in value]
        return mapping.get(value, value) if isinstance(value, str) else value

    def node(raw: dict[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(raw)
        new["id"] = mapping[raw["id"]]
        new["incoming"], new["outgoing"] = ids(raw.get("incoming", "")), ids(raw.get("outgoing", ""))
        if isinstance(raw.get("conditions"), dict):
            new["conditions"] = {mapping.get(k, k): v for k, v in raw["conditions"].items()}
        if isinstance(raw.get("default_condition"), dict) and "flow_id" in raw["default_condition"]:
            new["default_condition"]["flow_id"] = ids(raw["default_condition"]["flow_id"])
        if "converge_gateway_id" in raw:
            new["converge_gateway_id"] = ids(raw["converge_gateway_id"])
        if raw.get("type") == SUBPROCESS and isinstance(raw.get("pipeline"), dict):
            new["pipeline"], _ = _replace(raw["pipeline"], origin)
        return new

    result = copy.deepcopy(tree)
    result["start_event"] = node(tree["start_event"])
    result["end_event"] = node(tree["end_event"])
    result["activities"] = {mapping[k]: node(v) for k, v in (tree.get("activities") or {}).items()}
    result["gateways"] = {mapping[k]: node(v) for k, v in (tree.get("gateways") or {}).items()}
    result["flows"] = {
        mapping[k]: {**v, "id": mapping[k], "source": ids(v["source"]), "target": ids(v["target"])}
        for k, v in (tree.get("flows") or {}).items()
    }
    for constant in (result.get("constants") or {}).values():
        if isinstance(constant, dict) and isinstance(constant.get("source_info"), dict):
            constant["source_info"] = {mapping.get(k, k): v for k, v in constant["source_info"].items()}
    for item in result.get("location") or []:
        if isinstance(item, dict) and "id" in item:
            item["id"] = ids(item["id"])
    for item in result.get("line") or []:
        if isinstance(item, dict):
            item["id"] = ids(item.get("id"))
            for end in ("source", "target"):
                if isinstance(item.get(end), dict):
                    item[end]["id"] = ids(item[end].get("id"))
    return result, mapping
