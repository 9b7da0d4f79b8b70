"""Two `opsgraph serve` processes on one PostgreSQL database (the distributed deployment, with a
Redis of its own and short leases) never both drive one pipeline run: while the process that
started the run drives it, the other refuses to operate on it (RUN_ELSEWHERE, nothing changed);
when that process is killed, the other takes the run over by itself once the lease expires, the
interrupted sleep ends, and the run finishes there — every node finished exactly once in the
task's event stream. Skipped, with the reason, without PostgreSQL or redis-server; on the SQLite
parameter too (one SQLite file is never shared by several servers)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.executors.support import login, read_events
from tests.pipelines.support import nodes, operate_node, operate_task, run_template, summary, wait_ended, wait_node
from tests.pipelines.trees import TreeBuilder
from tests.scaleout.cluster import start_cluster, stop_cluster, unavailable_reason
from tests.support.server import ADMIN_PASSWORD, Server
from tests.support.topology import create_business


def test_one_process_drives_a_run_and_another_takes_it_over(server: Server, tmp_path: Path, unique: str) -> None:
    if server.database_url.startswith("sqlite"):
        pytest.skip("the run lease serves several servers on one PostgreSQL database; SQLite has one server")
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    cluster = start_cluster(tmp_path, servers=2, workers=0)
    try:
        first, second = cluster.servers
        gql_first = login(first.url, "admin", ADMIN_PASSWORD)
        gql_second = login(second.url, "admin", ADMIN_PASSWORD)
        business = create_business(gql_first, f"pipe-lease-{unique}")
        t = TreeBuilder()
        sleep, pause = t.sleep("10", name="long sleep"), t.pause(name="wait")
        t.chain(t.start, sleep, pause, t.end)
        run = run_template(gql_first, business, t.tree(), f"lease-{unique}")
        wait_node(gql_first, run, run.node(sleep), "RUNNING")

        refused = operate_task(gql_second, run, "PAUSE")
        assert [e["code"] for e in refused["errors"]] == ["RUN_ELSEWHERE"], refused
        assert "another OpsGraph server process" in refused["errors"][0]["message"]
        state = wait_node(gql_second, run, run.node(sleep), "RUNNING")
        assert state["state"] == "RUNNING", summary(state)

        assert first.process is not None
        first.process.kill()
        first.process.wait(10)
        killed_at = time.monotonic()
        # Nobody operates the run: the second process's lease pass takes it over by itself.
        waiting = wait_node(gql_second, run, run.node(pause), "RUNNING", timeout=60)
        assert time.monotonic() - killed_at < 45, "taken over within the lease time and a pass or two"
        assert nodes(waiting)[run.node(sleep)]["loop"] == 1, summary(waiting)
        assert operate_node(gql_second, run, run.node(pause), "CALLBACK", callbackData="go")["errors"] == []
        final = wait_ended(gql_second, run)
        assert final["task"]["status"] == "SUCCESS", summary(final)
        for node in final["nodes"]:
            assert (node["state"], node["loop"], node["retry"], node["histories"]) == ("FINISHED", 1, 0, []), node

        assert gql_second.token is not None
        reading = asyncio.run(asyncio.wait_for(read_events(second, gql_second.token, run.id), 30))
        assert reading.completed
        seqs = [e["seq"] for e in reading.events]
        assert seqs == list(range(1, final["task"]["lastSeq"] + 1))
        finished = Counter(
            e["payload"].get("nodeId")
            for e in reading.events
            if e["kind"] == "STEP_STATUS" and e["payload"].get("state") == "FINISHED"
        )
        assert finished == Counter({node["nodeId"]: 1 for node in final["nodes"]}), finished
    finally:
        stop_cluster(cluster)
