"""Driving pipelines through GraphQL, as a front-end would: templates, runs, node operations, and
waiting for a run (or a node) to reach a state by polling `pipelineRun`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.server import GraphQLClient
from tests.support.topology import Business

ERRORS = "errors { code field message }"
CREATE_TEMPLATE = f"""
mutation($input: CreatePipelineTemplateInput!) {{
  createPipelineTemplate(input: $input) {{ pipelineTemplate {{ id bkTemplateId version versionDigest }} {ERRORS} }}
}}"""
UPDATE_TEMPLATE = f"""
mutation($input: UpdatePipelineTemplateInput!) {{
  updatePipelineTemplate(input: $input) {{ pipelineTemplate {{ id bkTemplateId version versionDigest }} {ERRORS} }}
}}"""
CREATE_TASK = f"""
mutation($input: CreatePipelineTaskInput!) {{
  createPipelineTask(input: $input) {{
    task {{ id bkTaskId status kind }} pipeline {{ state nodeMap pipelineTree }} {ERRORS}
  }}
}}"""
START_TASK = f"""
mutation($t: ID!) {{ startPipelineTask(input: {{taskId: $t}}) {{ task {{ id status }} {ERRORS} }} }}"""
OPERATE_TASK = f"""
mutation($t: ID!, $a: PipelineTaskAction!) {{
  operatePipelineTask(input: {{taskId: $t, action: $a}}) {{ task {{ id status }} {ERRORS} }}
}}"""
OPERATE_NODE = f"""
mutation($input: OperatePipelineNodeInput!) {{
  operatePipelineNode(input: $input) {{ task {{ id status }} {ERRORS} }}
}}"""
NODE_FIELDS = """
  nodeId parentId templateNodeId name type code state displayState status loop retry skip errorIgnored
  inputs outputs exData histories version startedAt finishedAt
"""
RUN = f"""
query($n: Int!) {{
  pipelineRun(bkTaskId: $n) {{
    state displayState isStarted isFinished outputs
    task {{ status error lastSeq }}
    nodes {{ {NODE_FIELDS} }}
  }}
}}"""
ENDED = frozenset({"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL"})


@dataclass
class Run:
    id: str  # the Task's global id
    number: int  # bk task_id
    node_map: dict[str, str]  # template node id → run node id
    tree: dict[str, Any]

    def node(self, template_node_id: str) -> str:
        return self.node_map[template_node_id]


def payload(data: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = data[name]
    assert result["errors"] == [], result["errors"]
    return result


def create_template(gql: GraphQLClient, business: Business | None, tree: dict[str, Any], name: str) -> str:
    fields: dict[str, Any] = {"name": name, "pipelineTree": tree}
    if business is not None:
        fields["businessId"] = business.id
    return str(payload(gql.ok(CREATE_TEMPLATE, {"input": fields}), "createPipelineTemplate")["pipelineTemplate"]["id"])


def create_run(gql: GraphQLClient, business: Business, template_id: str, name: str = "run", **extra: Any) -> Run:
    fields = {"businessId": business.id, "pipelineTemplateId": template_id, "name": name, **extra}
    created = payload(gql.ok(CREATE_TASK, {"input": fields}), "createPipelineTask")
    pipeline = created["pipeline"]
    return Run(created["task"]["id"], created["task"]["bkTaskId"], pipeline["nodeMap"], pipeline["pipelineTree"])


def start(gql: GraphQLClient, run: Run) -> None:
    payload(gql.ok(START_TASK, {"t": run.id}), "startPipelineTask")


def run_template(gql: GraphQLClient, business: Business, tree: dict[str, Any], name: str, **extra: Any) -> Run:
    run = create_run(gql, business, create_template(gql, business, tree, name), name, **extra)
    start(gql, run)
    return run


def operate_task(gql: GraphQLClient, run: Run, action: str) -> dict[str, Any]:
    result: dict[str, Any] = gql.ok(OPERATE_TASK, {"t": run.id, "a": action})["operatePipelineTask"]
    return result


def operate_node(gql: GraphQLClient, run: Run, node_id: str, action: str, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"taskId": run.id, "nodeId": node_id, "action": action, **fields}}
    result: dict[str, Any] = gql.ok(OPERATE_NODE, variables)["operatePipelineNode"]
    return result


def read(gql: GraphQLClient, run: Run) -> dict[str, Any]:
    data: dict[str, Any] = gql.ok(RUN, {"n": run.number})["pipelineRun"]
    return data


def nodes(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["nodeId"]: node for node in state["nodes"]}


def wait_for(
    gql: GraphQLClient, run: Run, check: Callable[[dict[str, Any]], bool], *, what: str, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = read(gql, run)
        if check(state):
            return state
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {summary(state)}"
        time.sleep(0.1)


def wait_ended(gql: GraphQLClient, run: Run, timeout: float = 30) -> dict[str, Any]:
    return wait_for(gql, run, lambda s: s["task"]["status"] in ENDED, what="the run to end", timeout=timeout)


def wait_node(gql: GraphQLClient, run: Run, node_id: str, state: str, timeout: float = 30) -> dict[str, Any]:
    return wait_for(
        gql, run, lambda s: nodes(s)[node_id]["state"] == state, what=f"node {node_id} {state}", timeout=timeout
    )


def summary(state: dict[str, Any]) -> str:
    parts = [f"task={state['task']['status']} root={state['state']} error={state['task']['error']!r}"]
    for node in state["nodes"]:
        if node["state"] != "CREATED":
            parts.append(f"{node['name'] or node['type']}:{node['state']} loop={node['loop']} ex={node['exData']!r}")
    return "; ".join(parts)
