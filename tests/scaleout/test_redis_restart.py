"""Redis restarted mid-run (it keeps nothing on disk: every queued message and live event of the
moment is gone). The running task finishes, its subscriber on the other server still sees every
event in order, a task accepted while Redis was down runs once it is back, and the cluster keeps
working."""

from __future__ import annotations

import asyncio
import threading
import time

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import Reading, host_results, read_events, run_script, summary, wait_for_task, wait_until
from tests.scaleout.cluster import Cluster
from tests.scaleout.support import admin, estate
from tests.support.sshd import SshUser


def test_redis_restart_mid_run(cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> None:
    gql_a, gql_b = admin(cluster.servers[0]), admin(cluster.servers[1])
    hosts = estate(gql_a, f"redis-{unique}", sshd_pool(3), ssh_user)
    running = run_script(gql_a, hosts, "echo one; sleep 6; echo two")
    wait_until(gql_a, running, lambda t: t["status"] == "RUNNING", what="running", timeout=60)

    readings: list[Reading] = []
    assert gql_b.token is not None
    token = gql_b.token
    follower = threading.Thread(
        target=lambda: readings.append(
            asyncio.run(asyncio.wait_for(read_events(cluster.servers[1], token, running.id), 120))
        )
    )
    follower.start()
    time.sleep(1)
    cluster.redis.stop()
    try:
        accepted = run_script(gql_a, hosts, "echo accepted-while-redis-was-down")  # stored PENDING, not refused
        time.sleep(2)
    finally:
        cluster.redis.start()

    first = wait_for_task(gql_a, running, timeout=90)
    assert first["status"] == "SUCCESS", summary(first)
    assert {r["log"] for r in host_results(first).values()} == {"one\ntwo\n"}
    second = wait_for_task(gql_a, accepted, timeout=90)
    assert second["status"] == "SUCCESS", summary(second)
    follower.join(120)
    assert readings
    assert readings[0].completed
    assert [e["seq"] for e in readings[0].events] == list(range(1, first["lastSeq"] + 1))
    # Still a working cluster: queue, workers and live events after the restart.
    after = wait_for_task(gql_b, run_script(gql_b, hosts, "echo after"), timeout=60)
    assert after["status"] == "SUCCESS", summary(after)
