"""The states bk-sops shows for a run, derived from the stored engine states.

`format_bamboo_engine_status_legacy` rules (bk-sops gcloud/taskflow3/domains/dispatchers/task.py):
a RUNNING (or SUSPENDED) pipeline — the root or a subprocess — with a FAILED child is shown FAILED
("FAILED while parallel nodes still run", bk-sops#6653); a RUNNING one with a SUSPENDED child is
shown NODE_SUSPENDED. A run that has not started is CREATED.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from opsgraph.executors.pipeline import states
from opsgraph.executors.pipeline.plugins import PLUGINS, PRESET_OUTPUTS

Row = dict[str, Any]


def node_rows(steps: list[Row]) -> list[Row]:
    """A step row's node facts, flat (config keys + the step's times and canonical status)."""
    rows = []
    for step in steps:
        config = step.get("config") or {}
        rows.append(
            {
                **config,
                "step_id": step["id"],
                "position": step["position"],
                "name": step["name"],
                "status": str(step["status"]),
                "started_at": step.get("started_at"),
                "finished_at": step.get("finished_at"),
            }
        )
    return rows


def display_states(root_state: str, rows: list[Row]) -> tuple[str, dict[str, str]]:
    """(the root's shown state, node id → shown state) with the derived states applied."""
    children: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        children[str(row.get("parent") or "")].append(row)
    shown: dict[str, str] = {}

    def visit(parent: str, state: str) -> str:
        child_states = set()
        for row in children.get(parent, []):
            node_id = str(row["node_id"])
            own = str(row.get("state", states.CREATED))
            shown[node_id] = visit(node_id, own) if row.get("type") == "SubProcess" else own
            child_states.add(shown[node_id])
        if state in (states.RUNNING, states.SUSPENDED) and states.FAILED in child_states:
            return states.FAILED
        if state == states.RUNNING and child_states & {states.SUSPENDED, states.NODE_SUSPENDED}:
            return states.NODE_SUSPENDED
        return state

    return visit("", root_state), shown


def output_list(row: Row) -> list[Row]:
    """get_task_node_detail's outputs: [{name, key, value, preset}] (preset: declared by the plugin)."""
    plugin = PLUGINS.get(str(row.get("code") or ""))
    declared = {**PRESET_OUTPUTS, **(plugin.outputs if plugin else {})}
    outputs = row.get("outputs") or {}
    return [
        {"name": declared.get(key, key), "key": key, "value": value, "preset": key in declared}
        for key, value in outputs.items()
        if key != "ex_data"
    ]


def pipeline_outputs(tree: dict[str, Any], rows: list[Row], system: dict[str, Any]) -> list[Row]:
    """The run's outputs (the top tree's `outputs` constants) rendered with what the nodes produced:
    [{key, name, value}], as get_task_detail lists them."""
    from opsgraph.executors.pipeline.variables import Scope, VariableError

    finished = {
        str(row["node_id"]): row.get("outputs") or {}
        for row in rows
        if row.get("state") in (states.FINISHED, states.FAILED)
    }
    constants = tree.get("constants") or {}
    scope = Scope(constants, system, outputs_of=finished.get)
    listed = []
    for key in tree.get("outputs") or []:
        raw = constants.get(key)
        constant: Row = raw if isinstance(raw, dict) else {}
        try:
            value = scope.render(key) if key.startswith("${") else None
        except VariableError:
            value = constant.get("value")
        listed.append({"key": key, "name": constant.get("name", key), "value": value})
    return listed
