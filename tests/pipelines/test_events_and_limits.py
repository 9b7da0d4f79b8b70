"""`taskEvents` follows a pipeline like a job; a node past its timeout is stopped (and here skipped,
`forced_fail_and_skip`); pipeline queries cost the same number of SQL statements for 2 templates or
runs as for 8 (every relationship through a DataLoader)."""

from __future__ import annotations

import asyncio

from tests.executors.support import read_events
from tests.pipelines.support import create_template, nodes, run_template, summary, wait_ended
from tests.pipelines.trees import TreeBuilder
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

TEMPLATES = """
query($b: ID!) { pipelineTemplates(first: 50, filter: {businessId: $b}) {
  nodes { name version pipelineTree versions { version digest } business { name } } } }"""
RUNS = """
query($b: ID!) { tasks(first: 50, filter: {businessId: $b, kind: [PIPELINE]}) { nodes { bkTaskId } } }"""
RUN = """
query($n: Int!) { pipelineRun(bkTaskId: $n) {
  displayState outputs template { name pipelineTree } task { status }
  nodes { nodeId state displayState outputList } } }"""


def test_task_events_follow_a_pipeline_from_start_to_end(server: Server, gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-events-{unique}")
    t = TreeBuilder()
    first, second = t.sleep("0", name="first"), t.sleep("0", name="second")
    t.chain(t.start, first, second, t.end)
    run = run_template(gql, business, t.tree(), f"events-{unique}")
    final = wait_ended(gql, run)
    assert gql.token is not None
    history = asyncio.run(asyncio.wait_for(read_events(server, gql.token, run.id), 15))
    assert history.completed
    assert [e["seq"] for e in history.events] == list(range(1, final["task"]["lastSeq"] + 1))
    tasks = [e["payload"] for e in history.events if e["kind"] == "TASK_STATUS"]
    assert (tasks[0]["status"], tasks[0]["state"]) == ("RUNNING", "RUNNING")
    assert (tasks[-1]["status"], tasks[-1]["state"]) == ("SUCCESS", "FINISHED")
    states = [(e["payload"]["nodeId"], e["payload"]["state"]) for e in history.events if e["kind"] == "STEP_STATUS"]
    for node in (first, second):
        mine = [state for node_id, state in states if node_id == run.node(node)]
        assert mine == ["READY", "RUNNING", "FINISHED"], (node, states)


def test_a_node_past_its_timeout_is_stopped_and_skipped(gql: GraphQLClient, unique: str) -> None:
    business = create_business(gql, f"pipe-timeout-{unique}")
    t = TreeBuilder()
    stuck = t.pause(name="stuck", timeout_config={"enable": True, "seconds": 10, "action": "forced_fail_and_skip"})
    t.chain(t.start, stuck, t.sleep("0", name="after"), t.end)
    run = run_template(gql, business, t.tree(), f"timeout-{unique}")
    final = wait_ended(gql, run, timeout=40)
    assert final["task"]["status"] == "SUCCESS", summary(final)
    node = nodes(final)[run.node(stuck)]
    assert (node["state"], node["skip"]) == ("FINISHED", True)
    assert "timeout" in node["exData"]
    assert "10 seconds" in node["exData"]


def test_pipeline_queries_do_not_grow_with_rows(gql: GraphQLClient, unique: str) -> None:
    counts: dict[tuple[int, str], int | None] = {}
    for how_many in (2, 8):
        business = create_business(gql, f"pipe-qc-{how_many}-{unique}")
        for index in range(how_many):
            create_template(gql, business, _wide(how_many), f"qc-{index}-{unique}")
        response = gql.execute(TEMPLATES, {"b": business.id})
        assert len(response.ok()["pipelineTemplates"]["nodes"]) == how_many
        counts[how_many, "templates"] = response.sql_count
        run = run_template(gql, business, _wide(how_many), f"qc-run-{unique}")
        wait_ended(gql, run)
        run_response = gql.execute(RUN, {"n": run.number})
        assert len(run_response.ok()["pipelineRun"]["nodes"]) == how_many + 4
        counts[how_many, "run"] = run_response.sql_count
    assert counts[2, "templates"] == counts[8, "templates"], counts
    assert counts[2, "run"] == counts[8, "run"], counts
    assert all(count is not None and count <= 12 for count in counts.values()), counts


def _wide(width: int) -> dict[str, object]:
    """A run with `width` parallel branches: many more nodes than the 2-node one."""
    t = TreeBuilder()
    fork, join = t.gateway("ParallelGateway"), t.gateway("ConvergeGateway")
    t.chain(t.start, fork)
    for _ in range(width):
        branch = t.sleep("0")
        t.flow(fork, branch)
        t.flow(branch, join)
    t.flow(join, t.end)
    return t.tree()
