"""Two servers and two workers on PostgreSQL + Redis: a job started on server A is run by a worker,
followed live from server B without a gap, and cancelled from server B."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import host_results, read_events, run_script, summary, task_mutation, wait_for_task
from tests.scaleout.cluster import Cluster, ready
from tests.scaleout.support import admin, estate, sql, task_pk
from tests.support.sshd import SshUser

HOSTS = 300


def test_a_job_started_on_one_server_is_followed_from_the_other(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    server_a, server_b = cluster.servers[:2]
    gql_a, gql_b = admin(server_a), admin(server_b)
    hosts = estate(gql_a, f"scale-{unique}", sshd_pool(HOSTS), ssh_user)
    ref = run_script(gql_a, hosts, 'set -- $SSH_CONNECTION; echo "hello $3"; sleep 1; echo "bye $3"')

    assert gql_b.token is not None
    reading = asyncio.run(asyncio.wait_for(read_events(server_b, gql_b.token, ref.id, after=0), 240))

    task = wait_for_task(gql_b, ref, timeout=60)
    assert task["status"] == "SUCCESS", summary(task)
    results = host_results(task)
    assert len(results) == HOSTS
    for ip, result in results.items():
        assert result["log"] == f"hello {ip}\nbye {ip}\n"
    # Every event, in order, none twice, up to the end: replay and live joined on another server.
    assert reading.completed
    assert [e["seq"] for e in reading.events] == list(range(1, task["lastSeq"] + 1))
    assert reading.events[-1]["payload"]["status"] == "SUCCESS"


def test_cancel_from_the_other_server_reaches_the_worker(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql_a, gql_b = admin(cluster.servers[0]), admin(cluster.servers[1])
    hosts = estate(gql_a, f"cancel-{unique}", sshd_pool(3), ssh_user)
    ref = run_script(gql_a, hosts, "echo started; sleep 120")

    def running(task: dict[str, Any]) -> bool:
        return all(r["status"] == "RUNNING" and "started" in r["log"] for r in host_results(task).values())

    from tests.executors.support import wait_until

    wait_until(gql_a, ref, running, what="every host running", timeout=60)
    payload = task_mutation(gql_b, "cancelTask", ref.id)
    assert payload["errors"] == [], payload["errors"]
    task = wait_for_task(gql_a, ref, timeout=30)
    assert task["status"] == "CANCELLED", summary(task)
    assert {r["status"] for r in host_results(task).values()} == {"CANCELLED"}
    left = sql(cluster.database_url, "SELECT count(*) AS n FROM remote_process WHERE task_id = $1", task_pk(ref.id))
    assert left[0]["n"] == 0  # the run forgot its commands once they were stopped
    assert ready(cluster.servers[1]).status_code == 200
