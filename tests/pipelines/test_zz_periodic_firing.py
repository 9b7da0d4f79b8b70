"""A periodic task fires: on its schedule the scheduler creates a run from the periodic task's tree
(its constants applied), starts it as the periodic task's creator, and counts it.

Named `zz` to run after the other pipeline tests: the periodic task (tests/pipelines/conftest.py)
was enabled when the first of them started, so its minute has usually come round by now."""

from __future__ import annotations

import time

from tests.pipelines.conftest import FiringPeriodic
from tests.support.server import GraphQLClient

PERIODIC = "query($p: ID!) { periodicTask(id: $p) { totalRunCount lastRunAt nextRunAt enabled } }"
RUNS = """
query($b: ID!) { tasks(first: 10, filter: {businessId: $b, kind: [PIPELINE]}) {
  nodes { bkTaskId creator startWay } } }"""
RUN = """
query($n: Int!) { pipelineRun(bkTaskId: $n) { createMethod task { status } nodes { name inputs } } }"""


def test_a_periodic_task_starts_runs_on_its_schedule(gql: GraphQLClient, firing_periodic: FiringPeriodic) -> None:
    deadline = firing_periodic.enabled_at + 75  # a minute boundary plus the scheduler's 5-second pass
    while True:
        periodic = gql.ok(PERIODIC, {"p": firing_periodic.periodic_id})["periodicTask"]
        if periodic["totalRunCount"] >= 1:
            break
        assert time.monotonic() < deadline, f"the periodic task never fired: {periodic}"
        time.sleep(1)
    assert periodic["lastRunAt"]
    assert periodic["nextRunAt"] > periodic["lastRunAt"]
    runs = gql.ok(RUNS, {"b": firing_periodic.business.id})["tasks"]["nodes"]
    assert len(runs) == periodic["totalRunCount"], runs
    assert (runs[-1]["creator"], runs[-1]["startWay"]) == ("admin", 3)  # the creator's run, started by cron
    deadline = time.monotonic() + 30
    while True:
        run = gql.ok(RUN, {"n": runs[-1]["bkTaskId"]})["pipelineRun"]
        if run["task"]["status"] == "SUCCESS":
            break
        assert time.monotonic() < deadline, run
        time.sleep(0.2)
    assert run["createMethod"] == "periodic"
    tick = next(node for node in run["nodes"] if node["name"] == "tick")
    assert tick["inputs"]["note"] == "from the periodic task"
