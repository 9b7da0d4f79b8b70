"""Two `opsgraph serve` processes on one PostgreSQL database (the distributed deployment, with a
Redis of its own and short leases) never both drive one pipeline run. An operation sent to the
process that does not drive the run makes the driving one hand it over (its stored state
untouched: a sleep resumes on the other side) — back and forth, the engine's own refusals still
apply; when the driving process is killed, the other takes the run over by itself once the lease
expires and finishes it. Every node finishes exactly once in the task's event stream. Skipped,
with the reason, without PostgreSQL or redis-server; on the SQLite parameter too (one SQLite file
is never shared by several servers)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from tests.executors.support import login, read_events
from tests.pipelines.support import (
    nodes,
    operate_node,
    operate_task,
    run_template,
    summary,
    wait_ended,
    wait_for,
    wait_node,
)
from tests.pipelines.trees import TreeBuilder
from tests.scaleout.cluster import start_cluster, stop_cluster, unavailable_reason
from tests.support.server import ADMIN_PASSWORD, Server
from tests.support.topology import create_business


def test_one_process_drives_a_run_at_a_time(server: Server, tmp_path: Path, unique: str) -> None:
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
        sleep, pause, last = t.sleep("8", name="first sleep"), t.pause(name="wait"), t.sleep("8", name="last sleep")
        t.chain(t.start, sleep, pause, last, t.end)
        run = run_template(gql_first, business, t.tree(), f"lease-{unique}")
        wait_node(gql_first, run, run.node(sleep), "RUNNING")

        # Sent to the process that does not drive the run: the run is handed over, the pause applies
        # there, and the sleep goes on there (suspended: no next node starts).
        assert operate_task(gql_second, run, "PAUSE")["errors"] == []
        wait_for(gql_first, run, lambda s: s["state"] == "SUSPENDED", what="the pause")
        slept = wait_node(gql_second, run, run.node(sleep), "FINISHED", timeout=30)
        assert nodes(slept)[run.node(pause)]["state"] == "READY", summary(slept)  # reached, not started
        assert operate_task(gql_first, run, "RESUME")["errors"] == []
        wait_node(gql_first, run, run.node(pause), "RUNNING")
        # Handed over again for a callback naming a wrong version: the engine's refusal, nothing changed.
        wrong = operate_node(gql_second, run, run.node(pause), "CALLBACK", callbackData="x", version="0" * 32)
        assert [e["code"] for e in wrong["errors"]] == ["INVALID_OPERATION"], wrong
        assert nodes(wait_node(gql_first, run, run.node(pause), "RUNNING"))[run.node(pause)]["loop"] == 1
        assert operate_node(gql_first, run, run.node(pause), "CALLBACK", callbackData="go")["errors"] == []
        wait_node(gql_first, run, run.node(last), "RUNNING")

        # The driving process dies: nobody operates the run, the other process's lease pass takes it
        # over once the lease has expired, the last sleep resumes there and the run ends.
        assert first.process is not None
        first.process.kill()
        first.process.wait(10)
        final = wait_ended(gql_second, run, timeout=60)
        assert final["task"]["status"] == "SUCCESS", summary(final)
        for node in final["nodes"]:
            assert (node["state"], node["loop"], node["retry"], node["histories"]) == ("FINISHED", 1, 0, []), node

        assert gql_second.token is not None
        reading = asyncio.run(asyncio.wait_for(read_events(second, gql_second.token, run.id), 30))
        assert reading.completed
        assert [e["seq"] for e in reading.events] == list(range(1, final["task"]["lastSeq"] + 1))
        finished = Counter(
            e["payload"].get("nodeId")
            for e in reading.events
            if e["kind"] == "STEP_STATUS" and e["payload"].get("state") == "FINISHED"
        )
        assert finished == Counter({node["nodeId"]: 1 for node in final["nodes"]}), finished
    finally:
        stop_cluster(cluster)
